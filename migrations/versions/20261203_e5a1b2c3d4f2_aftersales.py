"""After-sale requests and disputes: requests with their items and timeline, disputes, leader deductions; fresh-produce
categories; amounts refunded for goods kept on order lines (and refund lines without units)

Revision ID: e5a1b2c3d4f2
Revises: e5a1b2c3d4f6
Create Date: 2026-12-03 05:58:01.984820

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'e5a1b2c3d4f2'
down_revision = 'e5a1b2c3d4f6'
branch_labels = None
depends_on = None

def upgrade():
    op.create_table('leader_deductions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('leader_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_leader_deductions_amount_positive')),
    sa.ForeignKeyConstraint(['leader_id'], ['leaders.id'], name=op.f('fk_leader_deductions_leader_id_leaders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_leader_deductions_order_id_orders'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leader_deductions')),
    sa.UniqueConstraint('source', name=op.f('uq_leader_deductions_source'))
    )
    with op.batch_alter_table('leader_deductions', schema=None) as batch_op:
        batch_op.create_index('ix_leader_deductions_leader_created', ['leader_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leader_deductions_order_id'), ['order_id'], unique=False)

    op.create_table('after_sale_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('leader_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('type', sa.Enum('refund_only', 'return_refund', name='after_sale_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reason', sa.Enum('quality', 'missing', 'wrong_item', 'damaged', 'expired', 'other', name='after_sale_reason', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('images', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'rejected', 'escalated', 'resolved', name='after_sale_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('answer_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('leader_note', sa.String(length=500), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refund_fen', sa.BigInteger(), nullable=True),
    sa.Column('order_refund_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_after_sale_requests_amount_positive')),
    sa.CheckConstraint('refund_fen IS NULL OR refund_fen >= 0', name=op.f('ck_after_sale_requests_refund_nonnegative')),
    sa.ForeignKeyConstraint(['leader_id'], ['leaders.id'], name=op.f('fk_after_sale_requests_leader_id_leaders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_after_sale_requests_order_id_orders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_refund_id'], ['order_refunds.id'], name=op.f('fk_after_sale_requests_order_refund_id_order_refunds'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_after_sale_requests_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_after_sale_requests'))
    )
    with op.batch_alter_table('after_sale_requests', schema=None) as batch_op:
        batch_op.create_index('ix_after_sale_requests_leader_status', ['leader_id', 'status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_after_sale_requests_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_after_sale_requests_status_due', ['status', 'answer_due_at'], unique=False)
        batch_op.create_index('ix_after_sale_requests_user_created', ['user_id', 'created_at'], unique=False)

    op.create_table('after_sale_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_status', sa.Enum('pending', 'accepted', 'rejected', 'escalated', 'resolved', name='after_sale_event_from', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('to_status', sa.Enum('pending', 'accepted', 'rejected', 'escalated', 'resolved', name='after_sale_event_to', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('actor', sa.String(length=40), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['after_sale_requests.id'], name=op.f('fk_after_sale_events_request_id_after_sale_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_after_sale_events'))
    )
    with op.batch_alter_table('after_sale_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_after_sale_events_request_id'), ['request_id'], unique=False)

    op.create_table('after_sale_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.CheckConstraint('quantity IS NULL OR quantity >= 1', name=op.f('ck_after_sale_items_quantity_positive')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_after_sale_items_order_line_id_order_lines'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['request_id'], ['after_sale_requests.id'], name=op.f('fk_after_sale_items_request_id_after_sale_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_after_sale_items')),
    sa.UniqueConstraint('request_id', 'order_line_id', name='uq_after_sale_items_request_line')
    )
    with op.batch_alter_table('after_sale_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_after_sale_items_order_line_id'), ['order_line_id'], unique=False)

    op.create_table('disputes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('leader_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.Enum('open', 'resolved', name='dispute_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('escalated_by', sa.Enum('shopper', 'timeout', name='dispute_escalated_by', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('statement', sa.String(length=1000), nullable=True),
    sa.Column('images', sa.JSON(), nullable=False),
    sa.Column('priority', sa.Boolean(), nullable=False),
    sa.Column('sla_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decision', sa.Enum('refund', 'no_refund', name='dispute_decision', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('refund_fen', sa.BigInteger(), nullable=True),
    sa.Column('responsibility', sa.Enum('leader', 'platform', 'supplier', name='dispute_responsibility', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('resolved_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('order_refund_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'resolved') = (resolved_at IS NOT NULL)", name=op.f('ck_disputes_resolved_when_decided')),
    sa.CheckConstraint('refund_fen IS NULL OR refund_fen >= 0', name=op.f('ck_disputes_refund_nonnegative')),
    sa.ForeignKeyConstraint(['leader_id'], ['leaders.id'], name=op.f('fk_disputes_leader_id_leaders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_disputes_order_id_orders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_refund_id'], ['order_refunds.id'], name=op.f('fk_disputes_order_refund_id_order_refunds'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['after_sale_requests.id'], name=op.f('fk_disputes_request_id_after_sale_requests'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['resolved_by'], ['users.id'], name=op.f('fk_disputes_resolved_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_disputes_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes')),
    sa.UniqueConstraint('request_id', name=op.f('uq_disputes_request_id'))
    )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disputes_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_disputes_queue', ['status', 'priority', 'sla_due_at'], unique=False)

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_fresh', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kept_refund_fen', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.create_check_constraint(batch_op.f('ck_order_lines_kept_within_refunded'), 'kept_refund_fen >= 0 AND kept_refund_fen <= refunded_fen')


    # refund lines of quantity 0 (an amount for goods kept), refunds of 0 (units an earlier amount already paid for)
    with op.batch_alter_table('order_refund_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_order_refund_lines_positive'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_order_refund_lines_positive'), 'quantity >= 0 AND amount_fen >= 0 AND quantity + amount_fen > 0'
        )
    with op.batch_alter_table('order_refunds', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_order_refunds_amounts'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_order_refunds_amounts'),
            'amount_fen >= 0 AND delivery_fee_fen >= 0 AND delivery_fee_fen <= amount_fen',
        )


def downgrade():
    with op.batch_alter_table('order_refunds', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_order_refunds_amounts'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_order_refunds_amounts'),
            'amount_fen > 0 AND delivery_fee_fen >= 0 AND delivery_fee_fen <= amount_fen',
        )
    with op.batch_alter_table('order_refund_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_order_refund_lines_positive'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_order_refund_lines_positive'), 'quantity >= 1 AND amount_fen >= 0')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_order_lines_kept_within_refunded'), type_='check')
        batch_op.drop_column('kept_refund_fen')

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('is_fresh')

    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index('ix_disputes_queue')
        batch_op.drop_index(batch_op.f('ix_disputes_order_id'))

    op.drop_table('disputes')
    with op.batch_alter_table('after_sale_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_after_sale_items_order_line_id'))

    op.drop_table('after_sale_items')
    with op.batch_alter_table('after_sale_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_after_sale_events_request_id'))

    op.drop_table('after_sale_events')
    with op.batch_alter_table('after_sale_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_after_sale_requests_user_created')
        batch_op.drop_index('ix_after_sale_requests_status_due')
        batch_op.drop_index(batch_op.f('ix_after_sale_requests_order_id'))
        batch_op.drop_index('ix_after_sale_requests_leader_status')

    op.drop_table('after_sale_requests')
    with op.batch_alter_table('leader_deductions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leader_deductions_order_id'))
        batch_op.drop_index('ix_leader_deductions_leader_created')

    op.drop_table('leader_deductions')
