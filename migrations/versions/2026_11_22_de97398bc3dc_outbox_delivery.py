"""outbox delivery: claims with a lease, the channel used, job leases

Revision ID: de97398bc3dc
Revises: 0df33c1a2496
Create Date: 2026-11-22 15:53:57.008392

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'de97398bc3dc'
down_revision = '0df33c1a2496'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_lease',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=80), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_lease'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.String(length=12), nullable=True))
        batch_op.create_check_constraint('sending_is_claimed', "status <> 'sending' OR claimed_until IS NOT NULL")



def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_message_sending_is_claimed'), type_='check')
        batch_op.drop_column('channel')
        batch_op.drop_column('claimed_until')

    op.drop_table('job_lease')
