"""Customer service: find and open any order, goodwill refunds, suspensions, the audit trail of any object."""

from groupbuy.cs.service.accounts import find_accounts, reinstate_account, suspend_account
from groupbuy.cs.service.audit import audit_trail
from groupbuy.cs.service.orders import OrderDossier, OrderHit, open_order, search_orders
from groupbuy.cs.service.refunds import GoodwillLine, goodwill_refund

__all__ = [
    "GoodwillLine",
    "OrderDossier",
    "OrderHit",
    "audit_trail",
    "find_accounts",
    "goodwill_refund",
    "open_order",
    "reinstate_account",
    "search_orders",
    "suspend_account",
]
