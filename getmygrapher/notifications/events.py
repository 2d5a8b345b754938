"""What notifications send over the realtime channel (MSG-8)."""

from __future__ import annotations

from typing import Any, Literal

from getmygrapher.core.realtime import RealtimeEvent


class NotificationCreated(RealtimeEvent):
    type: Literal["notification.created"] = "notification.created"
    notification: dict[str, Any]
