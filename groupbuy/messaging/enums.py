"""Who a conversation is with, and which side of it wrote a message."""

from enum import StrEnum


class ConversationKind(StrEnum):
    LEADER = "leader"  # a shopper and a leader they ordered from or chose
    CS = "cs"  # a shopper and customer service (any cs user answers; the shopper sees "客服")


class Side(StrEnum):
    SHOPPER = "shopper"
    STAFF = "staff"  # the leader of a leader conversation, or a cs user of a cs conversation
