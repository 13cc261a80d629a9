"""staff accounts, sessions, audit trail, departments, holiday schedules and deadlines

Revision ID: a3cf4405275a
Revises: 
The audit trail is append-only: triggers abort any UPDATE of audit_event and any DELETE of a row younger
than 180 days (等级保护 2.0 retention), and on PostgreSQL any TRUNCATE.

Create Date: 2026-11-22 15:04:58.158617

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3cf4405275a'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_year',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('entered_by', sa.String(length=80), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('year BETWEEN 2000 AND 2200', name=op.f('ck_calendar_year_plausible_year')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_year'))
    )
    op.create_table('deadline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('provisional', sa.Boolean(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("unit IN ('calendar_days', 'working_days')", name=op.f('ck_deadline_known_unit')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_deadline_ends_after_start')),
    sa.CheckConstraint('length > 0', name=op.f('ck_deadline_positive_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline'))
    )
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_ends_at'), ['ends_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadline_last_day'), ['last_day'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadline_provisional'), ['provisional'], unique=False)

    op.create_table('department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['department.id'], name=op.f('fk_department_parent_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department')),
    sa.UniqueConstraint('code', name=op.f('uq_department_code')),
    sa.UniqueConstraint('name', name=op.f('uq_department_name'))
    )
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_parent_id'), ['parent_id'], unique=False)

    op.create_table('calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=True),
    sa.CheckConstraint("kind IN ('holiday', 'workday')", name=op.f('ck_calendar_day_known_kind')),
    sa.ForeignKeyConstraint(['year'], ['calendar_year.year'], name=op.f('fk_calendar_day_year_calendar_year'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_day'))
    )
    with op.batch_alter_table('calendar_day', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_day_year'), ['year'], unique=False)

    op.create_table('staff_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=40), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('failed_login_count', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(role IN ('department_handler', 'department_head')) = (department_id IS NOT NULL)", name=op.f('ck_staff_user_department_roles_have_department')),
    sa.CheckConstraint("role IN ('intake_clerk', 'triage_officer', 'supervisor', 'department_handler', 'department_head', 'system_admin', 'security_admin', 'audit_admin')", name=op.f('ck_staff_user_known_role')),
    sa.CheckConstraint('failed_login_count >= 0', name=op.f('ck_staff_user_failed_login_count_not_negative')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_staff_user_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_user')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_user_username'))
    )
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_user_department_id'), ['department_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=80), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=True),
    sa.Column('ip_address', sa.String(length=64), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_audit_event_actor_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_ip_address'), ['ip_address'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('staff_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ip_address', sa.String(length=64), nullable=True),
    sa.CheckConstraint('expires_at > created_at', name=op.f('ck_staff_session_expires_after_creation')),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_staff_session_user_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_session')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_staff_session_token_digest'))
    )
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_session_user_id'), ['user_id'], unique=False)

    _protect_audit_events()



def downgrade() -> None:
    _unprotect_audit_events()
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_session_user_id'))

    op.drop_table('staff_session')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_audit_event_ip_address'))
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_user_department_id'))

    op.drop_table('staff_user')
    with op.batch_alter_table('calendar_day', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_day_year'))

    op.drop_table('calendar_day')
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_parent_id'))

    op.drop_table('department')
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_provisional'))
        batch_op.drop_index(batch_op.f('ix_deadline_last_day'))
        batch_op.drop_index(batch_op.f('ix_deadline_ends_at'))

    op.drop_table('deadline')
    op.drop_table('calendar_year')


PG_PROTECT = """
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.occurred_at < now() - interval '180 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_event is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
"""

SQLITE_PROTECT = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only (UPDATE refused)'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    WHEN OLD.occurred_at >= datetime('now', '-180 days')
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only (DELETE refused)'); END""",
]


def _protect_audit_events() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_PROTECT)
    else:
        for statement in SQLITE_PROTECT:
            op.execute(statement)


def _unprotect_audit_events() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER audit_event_no_update ON audit_event")
        op.execute("DROP FUNCTION audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
