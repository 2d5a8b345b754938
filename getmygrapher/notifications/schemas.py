"""Response models of in-app notifications."""

from __future__ import annotations

import datetime as dt
import uuid

from getmygrapher.core.schemas import ResponseModel


class NotificationRead(ResponseModel):
    id: uuid.UUID
    type: str
    title: str
    body: str
    target_type: str | None
    target_id: uuid.UUID | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationsPage(ResponseModel):
    items: list[NotificationRead]
    next_cursor: str | None
    unread_count: int


class Marked(ResponseModel):
    marked: int
