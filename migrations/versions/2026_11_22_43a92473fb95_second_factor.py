"""second factor: TOTP secrets of staff accounts and the session's verification

Revision ID: 43a92473fb95
Revises: 9dcacef8a1a6
Create Date: 2026-11-22 18:11:37.407232

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '43a92473fb95'
down_revision = '9dcacef8a1a6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('second_factor_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret_encrypted', sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column('totp_pending_encrypted', sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_pending_encrypted')
        batch_op.drop_column('totp_secret_encrypted')

    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.drop_column('second_factor_at')

