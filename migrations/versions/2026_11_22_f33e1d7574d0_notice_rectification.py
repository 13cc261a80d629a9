"""notices: the rectification deadline beside the reply deadline

Revision ID: f33e1d7574d0
Revises: 4be6b3afaf21
Create Date: 2026-11-22 19:05:00.040933

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f33e1d7574d0'
down_revision = '4be6b3afaf21'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rectify_by', sa.Date(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_column('rectify_by')

