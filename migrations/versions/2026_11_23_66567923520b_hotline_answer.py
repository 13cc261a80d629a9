"""hotline: the first answer's query code, encrypted, kept a day for retried pushes

Revision ID: 66567923520b
Revises: 737ecb7959d7
Create Date: 2026-11-23 04:29:02.348967

Work orders received before this revision have no kept answer: their retries answer query_code null, as before.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '66567923520b'
down_revision = '737ecb7959d7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hotline_answer',
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('query_code_encrypted', sa.String(length=400), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_hotline_answer_complaint_id_complaint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('complaint_id', name=op.f('pk_hotline_answer'))
    )
    with op.batch_alter_table('hotline_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hotline_answer_answered_at'), ['answered_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hotline_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hotline_answer_answered_at'))

    op.drop_table('hotline_answer')
