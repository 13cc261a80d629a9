"""mini-program accounts, sessions, subscription grants, shared WeChat token store, uploads

Revision ID: 0df33c1a2496
Revises: 00a85588d9f2
Create Date: 2026-11-22 15:34:43.765567

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0df33c1a2496'
down_revision = '00a85588d9f2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mp_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('unionid', sa.String(length=64), nullable=True),
    sa.Column('phone_encrypted', sa.String(length=400), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=True),
    sa.Column('privacy_version', sa.String(length=20), nullable=True),
    sa.Column('privacy_accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id_number_consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mp_account')),
    sa.UniqueConstraint('openid', name=op.f('uq_mp_account_openid'))
    )
    with op.batch_alter_table('mp_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mp_account_phone_hash'), ['phone_hash'], unique=False)

    op.create_table('wechat_token',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_wechat_token'))
    )
    op.create_table('mp_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['mp_account.id'], name=op.f('fk_mp_session_account_id_mp_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mp_session')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_mp_session_token_digest'))
    )
    with op.batch_alter_table('mp_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mp_session_account_id'), ['account_id'], unique=False)

    op.create_table('subscription_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('spent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['mp_account.id'], name=op.f('fk_subscription_grant_account_id_mp_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription_grant'))
    )
    with op.batch_alter_table('subscription_grant', schema=None) as batch_op:
        batch_op.create_index('ix_subscription_grant_unspent', ['account_id', 'template_id'], unique=False, sqlite_where=sa.text('spent_at IS NULL'), postgresql_where=sa.text('spent_at IS NULL'))

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uploader_account_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('purpose', sa.String(length=14), nullable=False, server_default='evidence'))
        batch_op.add_column(sa.Column('media_check', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('media_trace_id', sa.String(length=80), nullable=True))
        batch_op.create_check_constraint('known_purpose', "purpose IN ('evidence', 'authorization', 'licence', 'supplement')")
        batch_op.create_check_constraint(
            'known_media_check', "media_check IS NULL OR media_check IN ('pending', 'unchecked', 'pass', 'review', 'risky')"
        )
        batch_op.alter_column('complaint_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_attachment_media_trace_id'), ['media_trace_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_uploader_account_id'), ['uploader_account_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_attachment_uploader_account_id_mp_account'), 'mp_account', ['uploader_account_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_account_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('content_flag', sa.String(length=10), nullable=True))
        batch_op.create_index(batch_op.f('ix_complaint_owner_account_id'), ['owner_account_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_complaint_owner_account_id_mp_account'), 'mp_account', ['owner_account_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_complaint_owner_account_id_mp_account'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_complaint_owner_account_id'))
        batch_op.drop_column('content_flag')
        batch_op.drop_column('owner_account_id')

    op.execute("DELETE FROM attachment WHERE complaint_id IS NULL")  # uploads never filed cannot stay
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attachment_known_media_check'), type_='check')
        batch_op.drop_constraint(op.f('ck_attachment_known_purpose'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_attachment_uploader_account_id_mp_account'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_attachment_uploader_account_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_media_trace_id'))
        batch_op.alter_column('complaint_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('media_trace_id')
        batch_op.drop_column('media_check')
        batch_op.drop_column('purpose')
        batch_op.drop_column('uploader_account_id')

    with op.batch_alter_table('subscription_grant', schema=None) as batch_op:
        batch_op.drop_index('ix_subscription_grant_unspent', sqlite_where=sa.text('spent_at IS NULL'), postgresql_where=sa.text('spent_at IS NULL'))

    op.drop_table('subscription_grant')
    with op.batch_alter_table('mp_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mp_session_account_id'))

    op.drop_table('mp_session')
    op.drop_table('wechat_token')
    with op.batch_alter_table('mp_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mp_account_phone_hash'))

    op.drop_table('mp_account')
