"""Message texts per template (Chinese: they go to phones and mailboxes in China)."""

from __future__ import annotations

from typing import Any

from groupbuy.notifications.enums import NotificationKind as K

TEMPLATES: dict[str, tuple[str, str]] = {
    "verification_code": (
        "【团购】验证码",
        "您的验证码是 {code}，{minutes} 分钟内有效，用于{purpose_text}。请勿告诉他人。",
    ),
}

PURPOSE_TEXT = {"register": "注册", "login": "登录", "reset_password": "重置密码", "unlock": "解锁账号"}

# In-app notices: (title, body) per kind, formatted with the notice's fields.
NOTICES: dict[str, tuple[str, str]] = {
    K.ORDER_PAID: ("支付成功", "订单 {order_no} 已支付 {amount}，成团后团长将为您备货，提货日 {pickup_date}。"),
    K.ORDER_CANCELLED: ("订单已取消", "订单 {order_no} 已取消。{refund_text}"),
    K.ORDER_CONFIRMED: ("团长已确认订单", "订单 {order_no} 已由团长确认，正在备货，提货日 {pickup_date}。"),
    K.ORDER_EXPIRED: ("订单已关闭", "订单 {order_no} 未在规定时间内支付，已自动取消。"),
    K.GROUP_SUCCEEDED: ("拼团成功", "订单 {order_no}：{summary}，提货日 {pickup_date}。"),
    K.GROUP_FAILED: ("拼团未成功", "订单 {order_no}：{summary}。{refund_text}"),
    K.GROUP_PARTLY_SUCCEEDED: ("部分拼团成功", "订单 {order_no}：{summary}，提货日 {pickup_date}。{refund_text}"),
    K.GOODS_ARRIVED: (
        "商品已到自提点",
        "订单 {order_no} 的商品已到达自提点，请于 {pickup_date} 凭提货码 {pickup_code} 提货。",
    ),
    K.GOODS_ARRIVED_FOR_DELIVERY: (
        "商品已到团长处",
        "订单 {order_no} 的商品已到达团长处，团长将尽快送货上门。",
    ),
    K.ORDER_SHORTAGE: ("商品缺货退款", "订单 {order_no}：{summary}，缺货部分共 {amount} 将原路退回。"),
    K.ORDER_OUT_FOR_DELIVERY: ("商品配送中", "订单 {order_no} 的商品正在送货上门的路上，请保持电话畅通。"),
    K.ORDER_DELIVERED: ("商品已送达", "订单 {order_no} 的商品已送达，请确认收货。"),
    K.PICKUP_REMINDER: (
        "商品待提货",
        "订单 {order_no} 的商品已在自提点等候多日，请尽快凭提货码 {pickup_code} 提货。",
    ),
    K.REFUND_DONE: ("退款成功", "订单 {order_no} 的退款 {amount} 已原路退回，请注意查收。"),
    K.LEADER_STOCK_LIST: ("备货清单", "已成团共 {units} 件，请及时备货：{summary}。"),
    K.LEADER_DISPATCH: ("发货通知", "提货日 {pickup_date} 的商品已发出，共 {orders} 单 {units} 件：{summary}。"),
    K.LEADER_GROUP_FAILED: ("未成团通知", "以下团未能成团，已为团员办理退款：{summary}。"),
    K.LEADER_AFTERSALE_REQUESTED: ("新的售后申请", "订单 {order_no} 有新的售后申请：{reason}。请尽快处理。"),
    K.NEW_MESSAGE: ("新消息", "{sender}：{preview}"),
    K.AFTERSALE_ANSWERED: ("售后申请有新进展", "订单 {order_no} 的售后申请：{answer}。"),
    K.DISPUTE_RESOLVED: ("售后纠纷已处理", "订单 {order_no} 的售后纠纷已由平台客服处理：{answer}。"),
}


def render(template: str, payload: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) for an outbound template; a notice's outbound copy carries its own title and body."""
    if template not in TEMPLATES:
        return str(payload["title"]), str(payload["body"])
    subject, body = TEMPLATES[template]
    values = dict(payload)
    if "purpose" in values:
        values["purpose_text"] = PURPOSE_TEXT.get(values["purpose"], values["purpose"])
    return subject, body.format(**values)


def render_notice(kind: str, fields: dict[str, Any]) -> tuple[str, str]:
    """(title, body) of an in-app notice."""
    title, body = NOTICES[kind]
    return title, body.format(**fields)


def yuan(fen: int) -> str:
    """Integer fen as a price text: 1990 → ¥19.90."""
    return f"¥{fen // 100}.{fen % 100:02d}"
