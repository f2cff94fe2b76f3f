"""Import every domain's models so the metadata is complete (migrations, tests, CLI)."""

from groupbuy.accounts import models as accounts_models
from groupbuy.aftersales import models as aftersales_models
from groupbuy.audit import models as audit_models
from groupbuy.cart import models as cart_models
from groupbuy.catalog import models as catalog_models
from groupbuy.coupons import models as coupons_models
from groupbuy.groups import models as groups_models
from groupbuy.idempotency import models as idempotency_models
from groupbuy.jobs import models as jobs_models
from groupbuy.leaders import models as leaders_models
from groupbuy.membership import models as membership_models
from groupbuy.messaging import models as messaging_models
from groupbuy.notifications import models as notifications_models
from groupbuy.orders import models as orders_models
from groupbuy.payments import models as payments_models
from groupbuy.reviews import models as reviews_models
from groupbuy.uploads import models as uploads_models

__all__ = [
    "accounts_models",
    "aftersales_models",
    "audit_models",
    "cart_models",
    "catalog_models",
    "coupons_models",
    "groups_models",
    "idempotency_models",
    "jobs_models",
    "leaders_models",
    "membership_models",
    "messaging_models",
    "notifications_models",
    "orders_models",
    "payments_models",
    "reviews_models",
    "uploads_models",
]
