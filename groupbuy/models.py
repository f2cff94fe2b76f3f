"""Import every domain's models so the metadata is complete (migrations, tests, CLI)."""

from groupbuy.accounts import models as accounts_models
from groupbuy.audit import models as audit_models
from groupbuy.notifications import models as notifications_models

__all__ = ["accounts_models", "audit_models", "notifications_models"]
