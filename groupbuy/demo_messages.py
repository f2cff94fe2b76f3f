"""Demo conversations for `make run`: the demo leader's shoppers ask questions (some answered quickly, one late, one
not yet), and a demo shopper talks to customer service, so the workbench's response figures and the conversation
lists are not empty.

Everything goes through the messaging services with times in the past few days. Nothing is added when the demo
leader already has conversations (a later load), so running demo-data twice adds nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select

from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import User
from groupbuy.db import db
from groupbuy.leaders.models import Leader
from groupbuy.messaging.enums import ConversationKind
from groupbuy.messaging.models import Conversation
from groupbuy.messaging.service import Viewer, post_message, response_figures, start_conversation, viewer_for
from groupbuy.orders.models import Order

# Per shopper: (who, hours before now, text); "s" the shopper, "l" the leader. The first one links an order.
LEADER_SCRIPTS = [
    [
        ("s", 74.0, "团长好，明天的草莓大概几点到？"),
        ("l", 73.8, "上午十点左右到，到了群里通知～"),
        ("s", 73.7, "好的谢谢！"),
    ],
    [("s", 28.0, "这单能换成周六提货吗？"), ("l", 26.0, "可以的，周六来拿就行")],
    [("s", 30.0, "请问鸡蛋是散养的吗？")],
    [("s", 0.3, "我到自提点了，店门关着")],
]
CS_SCRIPT = [("s", 5.0, "退款什么时候到账？"), ("l", 4.5, "您好，退款已原路退回，一般 1-3 个工作日到账。")]


def _user(phone: str) -> User | None:
    return db.session.scalar(select(User).where(User.phone == phone))


def _play(
    shopper: Viewer,
    staff: Viewer,
    conversation_id: int,
    script: list[tuple[str, float, str]],
    now: datetime,
    order_id: int | None = None,
) -> None:
    for n, (who, hours, text) in enumerate(script):
        post_message(
            viewer=shopper if who == "s" else staff,
            conversation_id=conversation_id,
            text=text,
            order_id=order_id if n == 0 else None,
            now=now - timedelta(hours=hours),
        )


def load_demo_messages(*, leader_phone: str, cs_phone: str, shopper_phone: str, now: datetime) -> str | None:
    """The demo leader's conversations and a demo shopper's one with customer service; a line saying what was done."""
    leader_user, cs_user = _user(leader_phone), _user(cs_phone)
    leader = db.session.scalar(select(Leader).where(Leader.user_id == leader_user.id)) if leader_user else None
    if leader is None or leader_user is None or cs_user is None:
        return None
    if db.session.scalar(select(exists().where(Conversation.leader_id == leader.id))):
        return None  # loaded before
    buyers = list(
        db.session.execute(
            select(Order.user_id, Order.id).where(Order.leader_id == leader.id).order_by(Order.id.desc())
        ).all()
    )
    first_order: dict[int, int] = {}
    for user_id, order_id in buyers:
        first_order.setdefault(user_id, order_id)
    staff = viewer_for(user_id=leader_user.id, roles=[Role.LEADER])
    played = 0
    for script, (user_id, order_id) in zip(LEADER_SCRIPTS, list(first_order.items()), strict=False):
        shopper = viewer_for(user_id=user_id, roles=[Role.SHOPPER])
        start = now - timedelta(hours=script[0][1])
        view, _ = start_conversation(
            viewer=shopper, kind=ConversationKind.LEADER, leader_id=leader.id, order_id=None, text=None, now=start
        )
        _play(shopper, staff, view.id, script, now, order_id=order_id if played == 0 else None)
        played += 1
    line = f"Demo messages: {played} conversations with {leader.display_name}"
    figures = response_figures(leader_id=leader.id, days=30, now=now)
    if figures.response_rate_bp is not None:
        line += f" (response rate {figures.response_rate_bp / 100:.1f}%)"
    shopper_user = _user(shopper_phone)
    if shopper_user is not None:
        shopper = viewer_for(user_id=shopper_user.id, roles=[Role.SHOPPER])
        start = now - timedelta(hours=CS_SCRIPT[0][1])
        view, created = start_conversation(
            viewer=shopper, kind=ConversationKind.CS, leader_id=None, order_id=None, text=None, now=start
        )
        if created:
            _play(shopper, viewer_for(user_id=cs_user.id, roles=[Role.CS]), view.id, CS_SCRIPT, now)
            line += f"; {shopper_user.nickname} ↔ 客服"
    return line + "."
