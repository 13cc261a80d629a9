"""triage suggestions, routing rules, training examples and risk alerts

Revision ID: 9dcacef8a1a6
Revises: 548c50a569d1
Create Date: 2026-11-22 17:47:19.258304

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9dcacef8a1a6'
down_revision = '548c50a569d1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('risk_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('respondent_key', sa.String(length=200), nullable=False),
    sa.Column('respondent', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('case_count', sa.Integer(), nullable=False),
    sa.Column('complaint_ids', sa.JSON(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_risk_alert_known_status')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['staff_user.id'], name=op.f('fk_risk_alert_closed_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_alert'))
    )
    with op.batch_alter_table('risk_alert', schema=None) as batch_op:
        batch_op.create_index('uq_risk_alert_open_respondent', ['respondent_key'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('routing_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('place_contains', sa.String(length=60), nullable=True),
    sa.Column('respondent_contains', sa.String(length=120), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('domain_id IS NOT NULL OR category_id IS NOT NULL OR place_contains IS NOT NULL OR respondent_contains IS NOT NULL', name=op.f('ck_routing_rule_has_condition')),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_routing_rule_category_id_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_routing_rule_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_routing_rule_department_id_department'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['domain_id'], ['domain.id'], name=op.f('fk_routing_rule_domain_id_domain'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rule'))
    )
    op.create_table('training_example',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('head', sa.String(length=10), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('suggested_label', sa.String(length=80), nullable=True),
    sa.Column('corrected', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("head IN ('domain', 'category')", name=op.f('ck_training_example_known_head')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_training_example_complaint_id_complaint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_training_example_created_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_example'))
    )
    with op.batch_alter_table('training_example', schema=None) as batch_op:
        batch_op.create_index('uq_training_example_case_head', ['complaint_id', 'head'], unique=True)

    op.create_table('triage_suggestion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('model_version', sa.String(length=40), nullable=True),
    sa.Column('domain_label', sa.String(length=80), nullable=True),
    sa.Column('domain_probability', sa.Float(), nullable=True),
    sa.Column('domain_id', sa.Integer(), nullable=True),
    sa.Column('category_label', sa.String(length=80), nullable=True),
    sa.Column('category_probability', sa.Float(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('lead_department_id', sa.Integer(), nullable=True),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('out_of_scope', sa.String(length=20), nullable=True),
    sa.Column('repeat_of_id', sa.Integer(), nullable=True),
    sa.Column('risk_alert_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.String(length=12), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IN ('auto_routed', 'manual')", name=op.f('ck_triage_suggestion_known_decision')),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_triage_suggestion_category_id_category'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_triage_suggestion_complaint_id_complaint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['domain_id'], ['domain.id'], name=op.f('fk_triage_suggestion_domain_id_domain'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_department_id'], ['department.id'], name=op.f('fk_triage_suggestion_lead_department_id_department'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['repeat_of_id'], ['complaint.id'], name=op.f('fk_triage_suggestion_repeat_of_id_complaint'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['risk_alert_id'], ['risk_alert.id'], name=op.f('fk_triage_suggestion_risk_alert_id_risk_alert'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_triage_suggestion')),
    sa.UniqueConstraint('complaint_id', name=op.f('uq_triage_suggestion_complaint_id'))
    )
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_route_threshold', sa.Float(), nullable=True))
        batch_op.create_check_constraint(
            'threshold_is_probability',
            'auto_route_threshold IS NULL OR (auto_route_threshold > 0 AND auto_route_threshold <= 1)',
        )



def downgrade() -> None:
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_category_threshold_is_probability'), type_='check')
        batch_op.drop_column('auto_route_threshold')

    op.drop_table('triage_suggestion')
    with op.batch_alter_table('training_example', schema=None) as batch_op:
        batch_op.drop_index('uq_training_example_case_head')

    op.drop_table('training_example')
    op.drop_table('routing_rule')
    with op.batch_alter_table('risk_alert', schema=None) as batch_op:
        batch_op.drop_index('uq_risk_alert_open_respondent', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.drop_table('risk_alert')
