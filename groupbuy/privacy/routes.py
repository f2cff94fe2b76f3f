"""Doors for my own data: a copy of it, and closing my account."""

from __future__ import annotations

from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import SIGNED_IN, current_user_id, require_roles
from groupbuy.common.input import Blueprint
from groupbuy.privacy import service
from groupbuy.privacy.schemas import DataExportSchema
from groupbuy.privacy.service import DataExport

blp = Blueprint("privacy", __name__, url_prefix="/api/v1", description="My data: export and account closing")


@blp.route("/me/export")
class MyDataExport(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, DataExportSchema)
    def get(self) -> DataExport:
        """Everything we hold about me, as JSON: profile, addresses, orders, payments, notifications, leader data."""
        return service.export_user_data(user_id=current_user_id(), now=clock.now())


@blp.route("/me")
class CloseMyAccount(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(204)
    @blp.alt_response(409, response="CONFLICT", description="account_has_open_orders, leader_must_hand_over")
    def delete(self) -> None:
        """Close my account (注销): personal data is erased, orders are kept anonymised, every session ends."""
        service.close_account(user_id=current_user_id(), now=clock.now())
