"""Notification and chat preferences (NOT-3)."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from getmygrapher.core.db import Base, now_column, touched_column, uuid_pk

# In-app and e-mail for every group; marketing stays off until the user opts in.
DEFAULT_CHANNELS: dict[str, list[str]] = {
    "job_alerts": ["in_app", "email"],
    "messages": ["in_app", "email"],
    "bookings": ["in_app", "email"],
    "rating_reminders": ["in_app", "email"],
    "profile_views": ["in_app", "email"],
    "marketing": [],
}


class NotificationPreferences(Base):
    __tablename__ = "notification_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    channels: Mapped[dict[str, Any]] = mapped_column(JSONB)
    marketing_opt_in_at: Mapped[datetime | None]
    quiet_hours_start: Mapped[time | None]
    quiet_hours_end: Mapped[time | None]
    read_receipts: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    typing_indicators: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    presence_visible: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    sound: Mapped[str] = mapped_column(String(20), server_default="default")
    vibration: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = touched_column()


class Notification(Base):
    """NOT-2: an in-app notification; realtime delivery and grouping join with messaging."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_unread", "user_id", postgresql_where=text("read_at IS NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(1000))
    target_type: Mapped[str | None] = mapped_column(String(30))
    target_id: Mapped[uuid.UUID | None]
    # The wall clock: several notifications from one transaction keep their order.
    created_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
    read_at: Mapped[datetime | None]
