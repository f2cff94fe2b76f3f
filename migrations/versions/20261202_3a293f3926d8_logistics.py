"""logistics: dispatch, arrivals and shortages, pickup throttle, unclaimed goods, out_for_delivery

Revision ID: 3a293f3926d8
Revises: d4e5a7c1b9f0
Create Date: 2026-12-02 19:48:13.211290

"""
from alembic import op
import sqlalchemy as sa

STATUSES = ['pending_payment', 'paid', 'confirmed', 'stocking', 'shipped', 'ready_for_pickup', 'picked_up', 'delivered', 'completed', 'refunding', 'refunded', 'cancelled']
EVENTS = ['place', 'pay', 'expire', 'cancel', 'group_fail', 'confirm', 'stock', 'ship', 'arrive', 'pick_up', 'deliver', 'confirm_receipt', 'refund_done', 'line_refund', 'refund']
NEW = 'out_for_delivery'  # a status (home delivery on its way) and the event that leads there


# revision identifiers, used by Alembic.
revision = '3a293f3926d8'
down_revision = 'd4e5a7c1b9f0'
branch_labels = None
depends_on = None

def upgrade():
    op.create_table('arrivals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('leader_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pickup_date', sa.Date(), nullable=False),
    sa.Column('orders_ready', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['leader_id'], ['leaders.id'], name=op.f('fk_arrivals_leader_id_leaders'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arrivals')),
    sa.UniqueConstraint('leader_id', 'pickup_date', name='uq_arrivals_leader_pickup_date')
    )
    op.create_table('pickup_code_failures',
    sa.Column('leader_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('failures >= 0', name=op.f('ck_pickup_code_failures_failures_nonnegative')),
    sa.ForeignKeyConstraint(['leader_id'], ['leaders.id'], name=op.f('fk_pickup_code_failures_leader_id_leaders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('leader_id', name=op.f('pk_pickup_code_failures'))
    )
    op.create_table('arrival_shortages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('arrival_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('leader_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pickup_date', sa.Date(), nullable=False),
    sa.Column('deal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ordered_quantity', sa.Integer(), nullable=False),
    sa.Column('received_quantity', sa.Integer(), nullable=False),
    sa.Column('refunded_quantity', sa.Integer(), nullable=False),
    sa.Column('refunded_fen', sa.BigInteger(), nullable=False),
    sa.Column('orders_affected', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('received_quantity >= 0 AND received_quantity < ordered_quantity', name=op.f('ck_arrival_shortages_short')),
    sa.CheckConstraint('refunded_fen >= 0 AND orders_affected >= 1', name=op.f('ck_arrival_shortages_refund_recorded')),
    sa.CheckConstraint('refunded_quantity = ordered_quantity - received_quantity', name=op.f('ck_arrival_shortages_refunded_is_short')),
    sa.ForeignKeyConstraint(['arrival_id'], ['arrivals.id'], name=op.f('fk_arrival_shortages_arrival_id_arrivals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_arrival_shortages_deal_id_deals'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['leader_id'], ['leaders.id'], name=op.f('fk_arrival_shortages_leader_id_leaders'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arrival_shortages')),
    sa.UniqueConstraint('arrival_id', 'deal_id', name='uq_arrival_shortages_arrival_deal')
    )
    with op.batch_alter_table('arrival_shortages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_arrival_shortages_arrival_id'), ['arrival_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_arrival_shortages_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index('ix_arrival_shortages_leader_pickup', ['leader_id', 'pickup_date'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unclaimed_reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('unclaimed_flagged_at', sa.DateTime(timezone=True), nullable=True))

    _enum_checks(STATUSES + [NEW], EVENTS + [NEW])


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _enum_checks(statuses, events):
    # Enums are strings with named CHECKs (enum_column, native_enum=False): a new value rebuilds them.
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_order_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_orders_order_status'), _in('status', statuses))
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_order_events_order_event_from'), type_='check')
        batch_op.drop_constraint(op.f('ck_order_events_order_event_to'), type_='check')
        batch_op.drop_constraint(op.f('ck_order_events_order_event'), type_='check')
        batch_op.create_check_constraint(op.f('ck_order_events_order_event_from'), _in('from_status', statuses))
        batch_op.create_check_constraint(op.f('ck_order_events_order_event_to'), _in('to_status', statuses))
        batch_op.create_check_constraint(op.f('ck_order_events_order_event'), _in('event', events))


def downgrade():
    # Refuses (the CHECK fails) while an order is out for delivery: finish those deliveries first.
    _enum_checks(STATUSES, EVENTS)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('unclaimed_flagged_at')
        batch_op.drop_column('unclaimed_reminded_at')

    with op.batch_alter_table('arrival_shortages', schema=None) as batch_op:
        batch_op.drop_index('ix_arrival_shortages_leader_pickup')
        batch_op.drop_index(batch_op.f('ix_arrival_shortages_deal_id'))
        batch_op.drop_index(batch_op.f('ix_arrival_shortages_arrival_id'))

    op.drop_table('arrival_shortages')
    op.drop_table('pickup_code_failures')
    op.drop_table('arrivals')
