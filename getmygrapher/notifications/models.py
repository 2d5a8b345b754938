"""Notification and chat preferences (NOT-3)."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from getmygrapher.core.db import Base, now_column, touched_column

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
