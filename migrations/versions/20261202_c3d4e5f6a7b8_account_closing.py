"""Account closing: users.closed_at and the 'closed' user status

Revision ID: c3d4e5f6a7b8
Revises: c17e2a9d4b30
Create Date: 2026-12-02 15:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c3d4e5f6a7b8'
down_revision = 'c17e2a9d4b30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(op.f('ck_users_user_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_user_status'), "status IN ('active', 'suspended', 'closed')")


def downgrade():
    op.execute("UPDATE users SET status = 'suspended' WHERE status = 'closed'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_user_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_user_status'), "status IN ('active', 'suspended')")
        batch_op.drop_column('closed_at')
