"""intake channels: hotline nonces, public lookup failures, one case per external work order

Revision ID: 00a85588d9f2
Revises: 77870765893b
Create Date: 2026-11-22 15:29:41.290458

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '00a85588d9f2'
down_revision = '77870765893b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hotline_nonce',
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nonce', name=op.f('pk_hotline_nonce'))
    )
    with op.batch_alter_table('hotline_nonce', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hotline_nonce_seen_at'), ['seen_at'], unique=False)

    op.create_table('lookup_failure',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('client_hash', sa.String(length=64), nullable=False),
    sa.Column('reference_hash', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lookup_failure'))
    )
    with op.batch_alter_table('lookup_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lookup_failure_client_hash'), ['client_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_lookup_failure_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lookup_failure_reference_hash'), ['reference_hash'], unique=False)

    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index('uq_complaint_channel_external_ref', ['channel', 'external_ref'], unique=True, sqlite_where=sa.text('external_ref IS NOT NULL'), postgresql_where=sa.text('external_ref IS NOT NULL'))



def downgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('uq_complaint_channel_external_ref', sqlite_where=sa.text('external_ref IS NOT NULL'), postgresql_where=sa.text('external_ref IS NOT NULL'))

    with op.batch_alter_table('lookup_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lookup_failure_reference_hash'))
        batch_op.drop_index(batch_op.f('ix_lookup_failure_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_lookup_failure_client_hash'))

    op.drop_table('lookup_failure')
    with op.batch_alter_table('hotline_nonce', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hotline_nonce_seen_at'))

    op.drop_table('hotline_nonce')
