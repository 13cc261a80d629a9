"""case lifecycle: complaints, complainants, department legs, extensions, clocks, policies, notices, outbox

Revision ID: 77870765893b
Revises: a3cf4405275a
Create Date: 2026-11-22 15:16:32.226557

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '77870765893b'
down_revision = 'a3cf4405275a'
branch_labels = None
depends_on = None

DEADLINE_CHECKS = {
    "known_state": "state IN ('running', 'paused', 'extended', 'stopped')",
    "paused_has_time": "state <> 'paused' OR paused_at IS NOT NULL",
    "stopped_has_time": "state <> 'stopped' OR stopped_at IS NOT NULL",
    "extension_at_most_30_days": "extension_days BETWEEN 0 AND 30",
    "paused_units_not_negative": "paused_units >= 0",
}


def upgrade() -> None:
    op.create_table('category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['category.id'], name=op.f('fk_category_parent_id_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category')),
    sa.UniqueConstraint('code', name=op.f('uq_category_code'))
    )
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_category_parent_id'), ['parent_id'], unique=False)

    op.create_table('complainant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('name_encrypted', sa.String(length=400), nullable=True),
    sa.Column('phone_encrypted', sa.String(length=400), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=True),
    sa.Column('id_number_encrypted', sa.String(length=400), nullable=True),
    sa.Column('enterprise_name', sa.String(length=200), nullable=True),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind <> 'enterprise' OR (enterprise_name IS NOT NULL AND credit_code IS NOT NULL)", name=op.f('ck_complainant_enterprise_has_name_and_code')),
    sa.CheckConstraint("kind IN ('individual', 'enterprise')", name=op.f('ck_complainant_known_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complainant'))
    )
    with op.batch_alter_table('complainant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complainant_credit_code'), ['credit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_complainant_enterprise_name'), ['enterprise_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_complainant_phone_hash'), ['phone_hash'], unique=False)

    op.create_table('domain',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['domain.id'], name=op.f('fk_domain_parent_id_domain')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_domain')),
    sa.UniqueConstraint('code', name=op.f('uq_domain_code'))
    )
    with op.batch_alter_table('domain', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_domain_parent_id'), ['parent_id'], unique=False)

    op.create_table('yearly_counter',
    sa.Column('series', sa.String(length=30), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('series', 'year', name=op.f('pk_yearly_counter'))
    )
    op.create_table('deadline_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clock', sa.String(length=16), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('urgency', sa.String(length=10), nullable=True),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('basis', sa.String(length=120), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("unit IN ('calendar_days', 'working_days')", name=op.f('ck_deadline_policy_known_unit')),
    sa.CheckConstraint("urgency IS NULL OR urgency IN ('normal', 'urgent', 'critical')", name=op.f('ck_deadline_policy_known_urgency')),
    sa.CheckConstraint('length BETWEEN 1 AND 365', name=op.f('ck_deadline_policy_plausible_length')),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_deadline_policy_category_id_category'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_policy'))
    )
    with op.batch_alter_table('deadline_policy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_policy_clock'), ['clock'], unique=False)

    op.create_table('department_category',
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_department_category_category_id_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_department_category_department_id_department'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('department_id', 'category_id', name=op.f('pk_department_category'))
    )
    op.create_table('complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=24), nullable=False),
    sa.Column('query_code_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('supervision_level', sa.String(length=8), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('confidentiality', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('respondent', sa.String(length=200), nullable=False),
    sa.Column('respondent_department_id', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('domain_id', sa.Integer(), nullable=True),
    sa.Column('lead_department_id', sa.Integer(), nullable=True),
    sa.Column('external_ref', sa.String(length=64), nullable=True),
    sa.Column('external_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('lawful_channel', sa.String(length=200), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('transferred_to', sa.String(length=200), nullable=True),
    sa.Column('conclusion', sa.Text(), nullable=True),
    sa.Column('redo_count', sa.Integer(), nullable=False),
    sa.Column('follow_up_outcome', sa.String(length=12), nullable=True),
    sa.Column('follow_up_comment', sa.Text(), nullable=True),
    sa.Column('recheck_status', sa.String(length=10), nullable=True),
    sa.Column('recheck_reason', sa.Text(), nullable=True),
    sa.Column('recheck_conclusion', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("channel IN ('miniprogram', 'hotline', 'walkin', 'web', 'letter', 'forum', 'contact_point')", name=op.f('ck_complaint_known_channel')),
    sa.CheckConstraint("confidentiality IN ('confidential', 'anonymous')", name=op.f('ck_complaint_known_confidentiality')),
    sa.CheckConstraint("follow_up_outcome IS NULL OR (status = 'closed' AND follow_up_outcome IN ('satisfied', 'dissatisfied'))", name=op.f('ck_complaint_follow_up_only_when_closed')),
    sa.CheckConstraint("recheck_status IS NULL OR recheck_status IN ('requested', 'concluded')", name=op.f('ck_complaint_known_recheck_status')),
    sa.CheckConstraint("status <> 'closed' OR (closed_at IS NOT NULL AND conclusion IS NOT NULL)", name=op.f('ck_complaint_closed_has_conclusion')),
    sa.CheckConstraint("status <> 'merged' OR merged_into_id IS NOT NULL", name=op.f('ck_complaint_merged_names_target')),
    sa.CheckConstraint("status <> 'rejected' OR (rejection_reason IS NOT NULL AND lawful_channel IS NOT NULL)", name=op.f('ck_complaint_rejected_names_reason_and_channel')),
    sa.CheckConstraint("status <> 'transferred' OR transferred_to IS NOT NULL", name=op.f('ck_complaint_transferred_names_body')),
    sa.CheckConstraint("status IN ('submitted', 'accepted', 'rejected', 'merged', 'transferred', 'withdrawn', 'assigned', 'in_handling', 'replied', 'under_review', 'closed')", name=op.f('ck_complaint_known_status')),
    sa.CheckConstraint("status NOT IN ('assigned', 'in_handling', 'replied', 'under_review', 'closed') OR lead_department_id IS NOT NULL", name=op.f('ck_complaint_handling_has_lead_department')),
    sa.CheckConstraint("supervision_level IN ('none', 'normal', 'yellow', 'red')", name=op.f('ck_complaint_known_supervision_level')),
    sa.CheckConstraint("urgency IN ('normal', 'urgent', 'critical')", name=op.f('ck_complaint_known_urgency')),
    sa.CheckConstraint('merged_into_id IS NULL OR merged_into_id <> id', name=op.f('ck_complaint_not_merged_into_itself')),
    sa.CheckConstraint('redo_count >= 0', name=op.f('ck_complaint_redo_count_not_negative')),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_complaint_category_id_category')),
    sa.ForeignKeyConstraint(['domain_id'], ['domain.id'], name=op.f('fk_complaint_domain_id_domain')),
    sa.ForeignKeyConstraint(['lead_department_id'], ['department.id'], name=op.f('fk_complaint_lead_department_id_department')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['complaint.id'], name=op.f('fk_complaint_merged_into_id_complaint')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['staff_user.id'], name=op.f('fk_complaint_registered_by_id_staff_user')),
    sa.ForeignKeyConstraint(['respondent_department_id'], ['department.id'], name=op.f('fk_complaint_respondent_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint')),
    sa.UniqueConstraint('reference', name=op.f('uq_complaint_reference'))
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_domain_id'), ['domain_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_lead_department_id'), ['lead_department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_respondent'), ['respondent'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_submitted_at'), ['submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_supervision_level'), ['supervision_level'], unique=False)

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=80), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by', sa.String(length=12), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("uploaded_by IN ('complainant', 'center', 'department')", name=op.f('ck_attachment_known_uploader')),
    sa.CheckConstraint('size_bytes >= 0', name=op.f('ck_attachment_size_not_negative')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_attachment_complaint_id_complaint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_attachment_storage_key'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('complaint_party',
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('complainant_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.CheckConstraint("role IN ('principal', 'joint', 'agent')", name=op.f('ck_complaint_party_known_role')),
    sa.ForeignKeyConstraint(['complainant_id'], ['complainant.id'], name=op.f('fk_complaint_party_complainant_id_complainant')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_complaint_party_complaint_id_complaint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('complaint_id', 'complainant_id', name=op.f('pk_complaint_party'))
    )
    with op.batch_alter_table('complaint_party', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_party_complainant_id'), ['complainant_id'], unique=False)
        batch_op.create_index('uq_complaint_party_one_principal', ['complaint_id'], unique=True, sqlite_where=sa.text("role = 'principal'"), postgresql_where=sa.text("role = 'principal'"))

    op.create_table('department_leg',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('objection_reason', sa.Text(), nullable=True),
    sa.Column('instructions', sa.Text(), nullable=True),
    sa.CheckConstraint("role IN ('lead', 'assisting')", name=op.f('ck_department_leg_known_role')),
    sa.CheckConstraint("status <> 'objected' OR objection_reason IS NOT NULL", name=op.f('ck_department_leg_objection_has_reason')),
    sa.CheckConstraint("status <> 'replied' OR (reply IS NOT NULL AND replied_at IS NOT NULL)", name=op.f('ck_department_leg_reply_kept')),
    sa.CheckConstraint("status IN ('assigned', 'signed', 'replied', 'objected', 'cancelled', 'done')", name=op.f('ck_department_leg_known_status')),
    sa.CheckConstraint("status NOT IN ('signed', 'replied') OR signed_at IS NOT NULL", name=op.f('ck_department_leg_signed_has_time')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_department_leg_complaint_id_complaint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_department_leg_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department_leg'))
    )
    with op.batch_alter_table('department_leg', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_leg_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_department_leg_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_department_leg_status'), ['status'], unique=False)
        batch_op.create_index('uq_department_leg_one_active_lead', ['complaint_id'], unique=True, sqlite_where=sa.text("role = 'lead' AND status IN ('assigned', 'signed', 'replied')"), postgresql_where=sa.text("role = 'lead' AND status IN ('assigned', 'signed', 'replied')"))
        batch_op.create_index('uq_department_leg_one_active_per_department', ['complaint_id', 'department_id'], unique=True, sqlite_where=sa.text("status IN ('assigned', 'signed', 'replied')"), postgresql_where=sa.text("status IN ('assigned', 'signed', 'replied')"))

    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome IN ('satisfied', 'dissatisfied')", name=op.f('ck_follow_up_known_outcome')),
    sa.CheckConstraint("source IN ('complainant', 'staff')", name=op.f('ck_follow_up_known_source')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_follow_up_complaint_id_complaint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_follow_up_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up')),
    sa.UniqueConstraint('complaint_id', 'round', name=op.f('uq_follow_up_complaint_id_round'))
    )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('identity_disclosure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_identity_disclosure_complaint_id_complaint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff_user.id'], name=op.f('fk_identity_disclosure_decided_by_id_staff_user')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_identity_disclosure_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_disclosure')),
    sa.UniqueConstraint('complaint_id', 'department_id', name=op.f('uq_identity_disclosure_complaint_id_department_id'))
    )
    with op.batch_alter_table('identity_disclosure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_disclosure_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('audience', sa.String(length=12), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("audience <> 'department' OR department_id IS NOT NULL", name=op.f('ck_outbox_message_department_named')),
    sa.CheckConstraint("audience IN ('complainant', 'department', 'center', 'hotline')", name=op.f('ck_outbox_message_known_audience')),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'dead')", name=op.f('ck_outbox_message_known_status')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbox_message_attempts_not_negative')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_outbox_message_complaint_id_complaint'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_outbox_message_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index('ix_outbox_message_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)

    op.create_table('timeline_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_timeline_event_actor_id_staff_user')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_timeline_event_complaint_id_complaint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_timeline_event_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timeline_event'))
    )
    with op.batch_alter_table('timeline_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timeline_event_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('extension',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('leg_id', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.CheckConstraint("status = 'requested' OR decided_at IS NOT NULL", name=op.f('ck_extension_decision_has_time')),
    sa.CheckConstraint("status IN ('requested', 'approved', 'rejected')", name=op.f('ck_extension_known_status')),
    sa.CheckConstraint('days BETWEEN 1 AND 30', name=op.f('ck_extension_at_most_30_days')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_extension_complaint_id_complaint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff_user.id'], name=op.f('fk_extension_decided_by_id_staff_user')),
    sa.ForeignKeyConstraint(['leg_id'], ['department_leg.id'], name=op.f('fk_extension_leg_id_department_leg'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['staff_user.id'], name=op.f('fk_extension_requested_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extension'))
    )
    with op.batch_alter_table('extension', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extension_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index('uq_extension_once_per_case', ['complaint_id'], unique=True, sqlite_where=sa.text("status IN ('requested', 'approved')"), postgresql_where=sa.text("status IN ('requested', 'approved')"))

    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('reply_deadline_id', sa.Integer(), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('risk_alert', 'supervision_notice', 'clue_transfer')", name=op.f('ck_notice_known_kind')),
    sa.CheckConstraint("status <> 'replied' OR (reply IS NOT NULL AND replied_at IS NOT NULL)", name=op.f('ck_notice_reply_kept')),
    sa.CheckConstraint("status IN ('issued', 'replied')", name=op.f('ck_notice_known_status')),
    sa.CheckConstraint('sequence > 0', name=op.f('ck_notice_positive_sequence')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_notice_complaint_id_complaint'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_notice_department_id_department')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['staff_user.id'], name=op.f('fk_notice_issued_by_id_staff_user')),
    sa.ForeignKeyConstraint(['reply_deadline_id'], ['deadline.id'], name=op.f('fk_notice_reply_deadline_id_deadline')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice')),
    sa.UniqueConstraint('kind', 'year', 'sequence', name=op.f('uq_notice_kind_year_sequence')),
    sa.UniqueConstraint('number', name=op.f('uq_notice_number'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_department_id'), ['department_id'], unique=False)

    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.add_column(sa.Column('complaint_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('leg_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('clock', sa.String(length=16), nullable=False, server_default='handling'))
        batch_op.add_column(sa.Column('state', sa.String(length=10), nullable=False, server_default='running'))
        batch_op.add_column(sa.Column('paused_units', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('extension_days', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('cap_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_deadline_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadline_leg_id'), ['leg_id'], unique=False)
        batch_op.create_index('ix_deadline_state_ends_at', ['state', 'ends_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_deadline_leg_id_department_leg'), 'department_leg', ['leg_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_deadline_complaint_id_complaint'), 'complaint', ['complaint_id'], ['id'], ondelete='CASCADE')
        for name, condition in DEADLINE_CHECKS.items():
            batch_op.create_check_constraint(name, condition)

    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level', sa.String(length=10), nullable=False, server_default='city'))
        batch_op.create_check_constraint('known_level', "level IN ('city', 'district', 'town', 'external')")



def downgrade() -> None:
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_department_known_level'), type_='check')
        batch_op.drop_column('level')

    with op.batch_alter_table('deadline', schema=None) as batch_op:
        for name in DEADLINE_CHECKS:
            batch_op.drop_constraint(op.f(f'ck_deadline_{name}'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_deadline_complaint_id_complaint'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_deadline_leg_id_department_leg'), type_='foreignkey')
        batch_op.drop_index('ix_deadline_state_ends_at')
        batch_op.drop_index(batch_op.f('ix_deadline_leg_id'))
        batch_op.drop_index(batch_op.f('ix_deadline_complaint_id'))
        batch_op.drop_column('stopped_at')
        batch_op.drop_column('paused_at')
        batch_op.drop_column('cap_at')
        batch_op.drop_column('extension_days')
        batch_op.drop_column('paused_units')
        batch_op.drop_column('state')
        batch_op.drop_column('clock')
        batch_op.drop_column('leg_id')
        batch_op.drop_column('complaint_id')

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_department_id'))
        batch_op.drop_index(batch_op.f('ix_notice_complaint_id'))

    op.drop_table('notice')
    with op.batch_alter_table('extension', schema=None) as batch_op:
        batch_op.drop_index('uq_extension_once_per_case', sqlite_where=sa.text("status IN ('requested', 'approved')"), postgresql_where=sa.text("status IN ('requested', 'approved')"))
        batch_op.drop_index(batch_op.f('ix_extension_complaint_id'))

    op.drop_table('extension')
    with op.batch_alter_table('timeline_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timeline_event_complaint_id'))

    op.drop_table('timeline_event')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_status_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_outbox_message_complaint_id'))

    op.drop_table('outbox_message')
    with op.batch_alter_table('identity_disclosure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_disclosure_complaint_id'))

    op.drop_table('identity_disclosure')
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_complaint_id'))

    op.drop_table('follow_up')
    with op.batch_alter_table('department_leg', schema=None) as batch_op:
        batch_op.drop_index('uq_department_leg_one_active_per_department', sqlite_where=sa.text("status IN ('assigned', 'signed', 'replied')"), postgresql_where=sa.text("status IN ('assigned', 'signed', 'replied')"))
        batch_op.drop_index('uq_department_leg_one_active_lead', sqlite_where=sa.text("role = 'lead' AND status IN ('assigned', 'signed', 'replied')"), postgresql_where=sa.text("role = 'lead' AND status IN ('assigned', 'signed', 'replied')"))
        batch_op.drop_index(batch_op.f('ix_department_leg_status'))
        batch_op.drop_index(batch_op.f('ix_department_leg_department_id'))
        batch_op.drop_index(batch_op.f('ix_department_leg_complaint_id'))

    op.drop_table('department_leg')
    with op.batch_alter_table('complaint_party', schema=None) as batch_op:
        batch_op.drop_index('uq_complaint_party_one_principal', sqlite_where=sa.text("role = 'principal'"), postgresql_where=sa.text("role = 'principal'"))
        batch_op.drop_index(batch_op.f('ix_complaint_party_complainant_id'))

    op.drop_table('complaint_party')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_complaint_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_supervision_level'))
        batch_op.drop_index(batch_op.f('ix_complaint_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_complaint_status'))
        batch_op.drop_index(batch_op.f('ix_complaint_respondent'))
        batch_op.drop_index(batch_op.f('ix_complaint_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_lead_department_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_domain_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_channel'))
        batch_op.drop_index(batch_op.f('ix_complaint_category_id'))

    op.drop_table('complaint')
    op.drop_table('department_category')
    with op.batch_alter_table('deadline_policy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_policy_clock'))

    op.drop_table('deadline_policy')
    op.drop_table('yearly_counter')
    with op.batch_alter_table('domain', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_domain_parent_id'))

    op.drop_table('domain')
    with op.batch_alter_table('complainant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complainant_phone_hash'))
        batch_op.drop_index(batch_op.f('ix_complainant_enterprise_name'))
        batch_op.drop_index(batch_op.f('ix_complainant_credit_code'))

    op.drop_table('complainant')
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_category_parent_id'))

    op.drop_table('category')
