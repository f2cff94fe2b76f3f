"""My in-app notifications: list, mark one read, mark all read."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import SIGNED_IN, current_user_id, require_roles
from groupbuy.common.input import Blueprint
from groupbuy.inbox.schemas import (
    NotificationPageSchema,
    NotificationQuerySchema,
    NotificationSchema,
    ReadAllSchema,
)
from groupbuy.notifications import service
from groupbuy.notifications.models import Notification
from groupbuy.notifications.service import NotificationPage

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="In-app notifications")


@blp.route("/me/notifications")
class MyNotifications(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.arguments(NotificationQuerySchema(), location="query")
    @blp.response(200, NotificationPageSchema)
    def get(self, query: dict[str, Any]) -> NotificationPage:
        """My notifications, newest first, with how many are unread."""
        return service.list_notifications(
            user_id=current_user_id(), unread=query.get("unread"), page=query["page"], page_size=query["page_size"]
        )


@blp.route("/me/notifications/<int:notification_id>/read")
class NotificationRead(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, NotificationSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, notification_id: int) -> Notification:
        """Mark one of my notifications read (again is harmless)."""
        return service.mark_notification_read(
            user_id=current_user_id(), notification_id=notification_id, now=clock.now()
        )


@blp.route("/me/notifications/read-all")
class NotificationsReadAll(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, ReadAllSchema)
    def post(self) -> dict[str, int]:
        """Mark all my notifications read."""
        return {"updated": service.mark_all_notifications_read(user_id=current_user_id(), now=clock.now())}
