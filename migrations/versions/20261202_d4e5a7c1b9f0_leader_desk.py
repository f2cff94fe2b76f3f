"""Leader desk: a leader may pause taking orders, and limits home delivery to a radius

Revision ID: d4e5a7c1b9f0
Revises: 7604e238685e
Create Date: 2026-12-02 20:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd4e5a7c1b9f0'
down_revision = '7604e238685e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('leaders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('orders_paused', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('delivery_radius_m', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_leaders_delivery_radius_range'),
            'delivery_radius_m IS NULL OR (delivery_radius_m >= 100 AND delivery_radius_m <= 50000)',
        )


def downgrade():
    with op.batch_alter_table('leaders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_leaders_delivery_radius_range'), type_='check')
        batch_op.drop_column('delivery_radius_m')
        batch_op.drop_column('orders_paused')
