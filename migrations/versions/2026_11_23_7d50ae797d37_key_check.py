"""key_check: a value written with the first keys, so a process with other keys refuses to serve

Revision ID: 7d50ae797d37
Revises: 66567923520b
Create Date: 2026-11-23 05:00:00.000000

A database from before this revision gets its check value on the next start, if its stored data decrypts with
the keys of that start.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d50ae797d37'
down_revision = '66567923520b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('key_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('encrypted', sa.String(length=400), nullable=False),
    sa.Column('lookup_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_check'))
    )


def downgrade() -> None:
    op.drop_table('key_check')
