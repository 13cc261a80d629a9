"""administrators map events to subscribe-message templates

Revision ID: d0b889e67dd1
Revises: f33e1d7574d0
Create Date: 2026-11-22 19:07:44.579591

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd0b889e67dd1'
down_revision = 'f33e1d7574d0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('template_mapping',
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('page', sa.String(length=200), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event', name=op.f('pk_template_mapping'))
    )


def downgrade() -> None:
    op.drop_table('template_mapping')
