"""outbox: a token per delivery claim, so a worker whose lease ran out cannot mark a row another relay took over

Revision ID: 43b26c7edaf0
Revises: d0b889e67dd1
Create Date: 2026-11-23 02:04:36.438336

Rows a worker of the previous version holds (status 'sending') carry no token: they are taken over, with a
token, once their lease runs out, as before.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '43b26c7edaf0'
down_revision = 'd0b889e67dd1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('claim_token')
