"""orders.idempotency_key dropped: idempotency keys live in idempotency_keys only (one mechanism)

Revision ID: 7604e238685e
Revises: bfb1a2c8b958
Create Date: 2026-12-02 20:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7604e238685e'
down_revision = 'bfb1a2c8b958'
branch_labels = None
depends_on = None


def upgrade():
    # A checkout's key and answer are kept in idempotency_keys in the order's own transaction; the copy on the
    # order (and its unique constraint, a second guard against the same key) is no longer written or read.
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint('uq_orders_user_idempotency_key', type_='unique')
        batch_op.drop_column('idempotency_key')


def downgrade():
    # The keys of past orders are not restored (they stay in idempotency_keys until purged).
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint('uq_orders_user_idempotency_key', ['user_id', 'idempotency_key'])
