"""Calendar settings (AV-8); slots and bookings join them in the availability area."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from getmygrapher.core.db import Base, now_column, touched_column
from getmygrapher.core.enums import db_enum


class CalendarVisibility(enum.StrEnum):
    PUBLIC = "public"
    PROFESSIONAL_NETWORK = "professional_network"
    CONTACTS_ONLY = "contacts_only"
    PRIVATE = "private"


class SlotGrid(enum.StrEnum):
    MIN_30 = "30min"
    HOUR_1 = "1hour"
    HOURS_2 = "2hours"
    HOURS_4 = "4hours"
    FULL_DAY = "full_day"


class ConflictPolicy(enum.StrEnum):
    AUTO_DECLINE = "auto_decline"
    MANUAL_REVIEW = "manual_review"
    FLEXIBLE_BOOKING = "flexible_booking"


class CalendarSettings(Base):
    __tablename__ = "calendar_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    visibility: Mapped[CalendarVisibility] = mapped_column(
        db_enum(CalendarVisibility, "calendar_visibility"),
        server_default=CalendarVisibility.PUBLIC.value,
    )
    lead_time_hours: Mapped[int] = mapped_column(Integer, server_default="24")
    advance_booking_days: Mapped[int] = mapped_column(Integer, server_default="90")
    grid: Mapped[SlotGrid] = mapped_column(
        db_enum(SlotGrid, "slot_grid"), server_default=SlotGrid.HOUR_1.value
    )
    allow_booking_requests: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    conflict_policy: Mapped[ConflictPolicy] = mapped_column(
        db_enum(ConflictPolicy, "conflict_policy"),
        server_default=ConflictPolicy.MANUAL_REVIEW.value,
    )
    show_partial_availability: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    notify_requests: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    notify_reminders: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    notify_conflicts: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    timezone: Mapped[str] = mapped_column(String(64), server_default="Asia/Kolkata")
    # The first weekly pattern chosen at onboarding (ONB-8); patterns proper come with AV-4.
    weekly_hours: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = touched_column()
