"""A professional's profile and their onboarding progress."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Boolean, ForeignKey, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from getmygrapher.core.db import Base, now_column, touched_column
from getmygrapher.core.enums import db_enum


class ProfileVisibility(enum.StrEnum):
    PUBLIC = "public"
    PROFESSIONAL_NETWORK = "professional_network"
    PRIVATE = "private"


class OnboardingStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class Profile(Base):
    __tablename__ = "profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    visibility: Mapped[ProfileVisibility] = mapped_column(
        db_enum(ProfileVisibility, "profile_visibility"),
        server_default=ProfileVisibility.PUBLIC.value,
    )
    show_equipment: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    show_pricing: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    show_availability: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    show_gender: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = touched_column()


class Onboarding(Base):
    __tablename__ = "onboarding"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[OnboardingStatus] = mapped_column(
        db_enum(OnboardingStatus, "onboarding_status"),
        server_default=OnboardingStatus.NOT_STARTED.value,
    )
    completed_steps: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    completed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = touched_column()
