"""WeCom: member ids of staff and a per-member send log for rate limits

Revision ID: b6aa567b14ae
Revises: 9fbcf86850d2
Create Date: 2026-11-22 16:33:28.750217

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b6aa567b14ae'
down_revision = '9fbcf86850d2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wecom_send',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], name=op.f('fk_wecom_send_staff_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wecom_send'))
    )
    with op.batch_alter_table('wecom_send', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wecom_send_sent_at'), ['sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_wecom_send_staff_user_id'), ['staff_user_id'], unique=False)

    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wecom_userid', sa.String(length=64), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('wecom_userid')

    with op.batch_alter_table('wecom_send', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wecom_send_staff_user_id'))
        batch_op.drop_index(batch_op.f('ix_wecom_send_sent_at'))

    op.drop_table('wecom_send')
