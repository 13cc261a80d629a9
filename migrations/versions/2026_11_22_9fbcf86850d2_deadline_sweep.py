"""deadline sweep: warning instant, warned, overdue and escalation marks

Revision ID: 9fbcf86850d2
Revises: de97398bc3dc
Clocks that exist before this revision get no warning instant (they are still marked overdue and escalated).

Create Date: 2026-11-22 15:59:06.249853

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9fbcf86850d2'
down_revision = 'de97398bc3dc'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('warned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('overdue_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalation_step', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_check_constraint('known_escalation_step', 'escalation_step BETWEEN 0 AND 3')
        batch_op.create_index(batch_op.f('ix_deadline_warn_at'), ['warn_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_warn_at'))
        batch_op.drop_constraint(op.f('ck_deadline_known_escalation_step'), type_='check')
        batch_op.drop_column('escalation_step')
        batch_op.drop_column('overdue_at')
        batch_op.drop_column('warned_at')
        batch_op.drop_column('warn_at')

