"""Membership: the four tiers of seed 000 and their benefits (data), each shopper's standing, member prices on
deals and the price a line was bought at, fast refunds used per month; users.tier takes the new tier codes

Revision ID: e5a1b2c3d4f5
Revises: d1e2f3a4b5c6
Create Date: 2026-12-03 06:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e5a1b2c3d4f5'
down_revision = 'd1e2f3a4b5c6'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TIERS = ['seed', 'accelerate', 'enterprise', 'enterprise_pro']
OLD_TIERS = ['bronze', 'silver', 'gold', 'diamond']


def _tier(name):
    return sa.Enum(*TIERS, name=name, native_enum=False, create_constraint=True, length=32)


# The defaults documented in docs/product.md "Membership": yearly paid-minus-refunded spend (fen) and benefits.
SEED_ROWS = [
    # code, rank, zh, en, threshold, member price, coupons/month, new-leader coupon, fast refund limit, cap,
    # protection days, priority, dispute SLA (working hours, Mon-Fri in Asia/Shanghai)
    ('seed', 0, '种子会员', 'Seed', 0, False, 0, True, 0, 0, 0, False, 48),
    ('accelerate', 1, '成长会员', 'Accelerate', 100_000, True, 2, True, 10_000, 2, 0, False, 48),
    ('enterprise', 2, '企业会员', 'Enterprise', 500_000, True, 4, True, 30_000, 4, 60, False, 48),
    ('enterprise_pro', 3, '企业高级会员', 'Enterprise Pro', 2_000_000, True, 6, True, 100_000, 8, 60, True, 24),
]


def upgrade():
    tiers = op.create_table(
        'membership_tiers',
        sa.Column('code', _tier('membership_tier_code'), nullable=False),
        sa.Column('rank', sa.Integer(), nullable=False),
        sa.Column('name_zh', sa.String(length=20), nullable=False),
        sa.Column('name_en', sa.String(length=40), nullable=False),
        sa.Column('threshold_fen', sa.BigInteger(), nullable=False),
        sa.Column('member_price_enabled', sa.Boolean(), nullable=False),
        sa.Column('monthly_coupon_allowance', sa.Integer(), nullable=False),
        sa.Column('new_leader_coupon', sa.Boolean(), nullable=False),
        sa.Column('fast_refund_limit_fen', sa.BigInteger(), nullable=False),
        sa.Column('fast_refund_monthly_cap', sa.Integer(), nullable=False),
        sa.Column('order_protection_days', sa.Integer(), nullable=False),
        sa.Column('priority_service', sa.Boolean(), nullable=False),
        sa.Column('dispute_sla_hours', sa.Integer(), nullable=False),
        sa.CheckConstraint(
            'monthly_coupon_allowance >= 0 AND fast_refund_limit_fen >= 0 AND fast_refund_monthly_cap >= 0'
            ' AND order_protection_days >= 0 AND dispute_sla_hours >= 1',
            name=op.f('ck_membership_tiers_benefits_in_range'),
        ),
        sa.CheckConstraint('rank >= 0 AND threshold_fen >= 0', name=op.f('ck_membership_tiers_rank_threshold_nonnegative')),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_membership_tiers')),
        sa.UniqueConstraint('rank', name=op.f('uq_membership_tiers_rank')),
    )
    keys = [
        'code', 'rank', 'name_zh', 'name_en', 'threshold_fen', 'member_price_enabled', 'monthly_coupon_allowance',
        'new_leader_coupon', 'fast_refund_limit_fen', 'fast_refund_monthly_cap', 'order_protection_days',
        'priority_service', 'dispute_sla_hours',
    ]
    op.bulk_insert(tiers, [dict(zip(keys, row, strict=True)) for row in SEED_ROWS])

    op.create_table(
        'memberships',
        sa.Column('user_id', ID, nullable=False),
        sa.Column('earned_tier', _tier('membership_earned_tier'), nullable=False),
        sa.Column('spend_fen', sa.BigInteger(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_downgraded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('granted_tier', _tier('membership_granted_tier'), nullable=True),
        sa.Column('granted_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('grant_reason', sa.String(length=200), nullable=True),
        sa.Column('granted_by_id', ID, nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['granted_by_id'], ['users.id'], name=op.f('fk_memberships_granted_by_id_users'), ondelete='SET NULL'
        ),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_memberships')),
    )
    op.create_index('ix_memberships_computed_at', 'memberships', ['computed_at'], unique=False)

    op.create_table(
        'fast_refund_months',
        sa.Column('user_id', ID, nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('used', sa.Integer(), nullable=False),
        sa.CheckConstraint('used >= 0', name=op.f('ck_fast_refund_months_used_nonnegative')),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_fast_refund_months_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('user_id', 'month', name=op.f('pk_fast_refund_months')),
    )

    op.create_table(
        'deal_member_prices',
        sa.Column('deal_id', ID, nullable=False),
        sa.Column('tier', _tier('deal_member_price_tier'), nullable=False),
        sa.Column('price_fen', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('price_fen > 0', name=op.f('ck_deal_member_prices_price_positive')),
        sa.ForeignKeyConstraint(
            ['deal_id'], ['deals.id'], name=op.f('fk_deal_member_prices_deal_id_deals'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('deal_id', 'tier', name=op.f('pk_deal_member_prices')),
    )

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'price_kind',
                sa.Enum('group', 'member', name='order_line_price_kind', native_enum=False, create_constraint=True, length=32),
                nullable=False,
                server_default='group',
            )
        )
        batch_op.add_column(sa.Column('price_tier', _tier('order_line_price_tier'), nullable=True))

    # users.tier: the seed-000 codes replace bronze/silver/gold/diamond (in that order).
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_user_tier'), type_='check')
    for old, new in zip(OLD_TIERS, TIERS, strict=True):
        op.execute(sa.text("UPDATE users SET tier = :new WHERE tier = :old").bindparams(new=new, old=old))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_users_user_tier'), "tier IN (" + ", ".join(f"'{t}'" for t in TIERS) + ")"
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_user_tier'), type_='check')
    for old, new in zip(OLD_TIERS, TIERS, strict=True):
        op.execute(sa.text("UPDATE users SET tier = :old WHERE tier = :new").bindparams(new=new, old=old))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_users_user_tier'), "tier IN (" + ", ".join(f"'{t}'" for t in OLD_TIERS) + ")"
        )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_order_lines_order_line_price_tier'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_order_lines_order_line_price_kind'), type_='check')
        batch_op.drop_column('price_tier')
        batch_op.drop_column('price_kind')
    op.drop_table('deal_member_prices')
    op.drop_table('fast_refund_months')
    op.drop_index('ix_memberships_computed_at', table_name='memberships')
    op.drop_table('memberships')
    op.drop_table('membership_tiers')
