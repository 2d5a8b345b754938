"""Response models of in-app notifications."""

from __future__ import annotations

import datetime as dt
import uuid

from getmygrapher.core.schemas import RequestModel, ResponseModel


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


class ChatSettings(ResponseModel):
    read_receipts: bool
    typing_indicators: bool
    presence_visible: bool


class ChatSettingsIn(RequestModel):
    read_receipts: bool | None = None
    typing_indicators: bool | None = None
    presence_visible: bool | None = None
