"""unionpay: the unionpay_qr / unionpay_h5 channels and the unionpay provider in the enum CHECKs

Revision ID: bfb1a2c8b958
Revises: c3d4e5f6a7b8
Create Date: 2026-12-02 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'bfb1a2c8b958'
down_revision = 'c3d4e5f6a7b8'
branch_labels = None
depends_on = None

CHANNELS_BEFORE = "channel IN ('wechat_native', 'wechat_jsapi', 'alipay_qr', 'sandbox')"
CHANNELS_AFTER = "channel IN ('wechat_native', 'wechat_jsapi', 'alipay_qr', 'unionpay_qr', 'unionpay_h5', 'sandbox')"
PROVIDERS_BEFORE = "provider IN ('wechatpay', 'alipay', 'sandbox')"
PROVIDERS_AFTER = "provider IN ('wechatpay', 'alipay', 'unionpay', 'sandbox')"


def _rebuild(channels, providers):
    # The enums are stored as strings with named CHECKs (enum_column, native_enum=False): rebuild the CHECKs.
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payments_payment_channel'), type_='check')
        batch_op.drop_constraint(op.f('ck_payments_payment_provider'), type_='check')
        batch_op.create_check_constraint(op.f('ck_payments_payment_channel'), channels)
        batch_op.create_check_constraint(op.f('ck_payments_payment_provider'), providers)
    with op.batch_alter_table('payment_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_events_payment_event_provider'), type_='check')
        batch_op.create_check_constraint(op.f('ck_payment_events_payment_event_provider'), providers)


def upgrade():
    _rebuild(CHANNELS_AFTER, PROVIDERS_AFTER)


def downgrade():
    # Refuses (the CHECK fails) while UnionPay rows exist: their money history is not ours to delete.
    _rebuild(CHANNELS_BEFORE, PROVIDERS_BEFORE)
