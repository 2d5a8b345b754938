"""What can go wrong with notifications; each has a stable code."""

from __future__ import annotations

from getmygrapher.core.errors import NotFound


class NotificationNotFound(NotFound):
    code = "notification_not_found"
