"""Privacy use cases: data export and account closing (PIPL: copy and deletion; mini-program review: 注销账号)."""

from groupbuy.privacy.service.closing import close_account
from groupbuy.privacy.service.export import DataExport, export_user_data

__all__ = ["DataExport", "close_account", "export_user_data"]
