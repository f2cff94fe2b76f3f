"""job_runs.simulated_now: the time a `run-job --now` run was told it was (null for real runs)

Revision ID: c17e2a9d4b30
Revises: c10e1f2a3b4c
Create Date: 2026-12-02 14:54:41.260816

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c17e2a9d4b30'
down_revision = 'c10e1f2a3b4c'
branch_labels = None
depends_on = None

def upgrade():
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('simulated_now', sa.DateTime(timezone=True), nullable=True))

def downgrade():
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_column('simulated_now')
