"""wording of our own WeCom and in-app messages that administrators may change

Revision ID: 548c50a569d1
Revises: b6aa567b14ae
Create Date: 2026-11-22 16:46:38.799198

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '548c50a569d1'
down_revision = 'b6aa567b14ae'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('message_text',
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'event', name=op.f('pk_message_text'))
    )


def downgrade() -> None:
    op.drop_table('message_text')
