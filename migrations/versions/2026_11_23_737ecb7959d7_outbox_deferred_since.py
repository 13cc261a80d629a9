"""outbox: when a rate limit first held a message, so one held over three days is dead-lettered for staff to see

Revision ID: 737ecb7959d7
Revises: 43b26c7edaf0
Create Date: 2026-11-23 04:25:29.176123

Messages already held by a rate limit start counting at their next deferral.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '737ecb7959d7'
down_revision = '43b26c7edaf0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deferred_since', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('deferred_since')
