"""department legs get a handler within the department; attachments of department replies

Revision ID: 4be6b3afaf21
Revises: 43a92473fb95
Create Date: 2026-11-22 18:21:44.973327

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4be6b3afaf21'
down_revision = '43a92473fb95'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('department_leg', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handler_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_department_leg_handler_id'), ['handler_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_department_leg_handler_id_staff_user'), 'staff_user', ['handler_id'], ['id'])

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attachment_known_purpose'), type_='check')
        batch_op.create_check_constraint(
            'known_purpose', "purpose IN ('evidence', 'authorization', 'licence', 'supplement', 'reply')"
        )



def downgrade() -> None:
    op.execute("DELETE FROM attachment WHERE purpose = 'reply'")
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attachment_known_purpose'), type_='check')
        batch_op.create_check_constraint('known_purpose', "purpose IN ('evidence', 'authorization', 'licence', 'supplement')")

    with op.batch_alter_table('department_leg', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_department_leg_handler_id_staff_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_department_leg_handler_id'))
        batch_op.drop_column('handler_id')

