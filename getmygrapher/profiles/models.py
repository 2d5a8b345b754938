"""A professional's profile, where they work, their gear, portfolio, verification and savers."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

from getmygrapher.core.db import Base, now_column, touched_column, uuid_pk
from getmygrapher.core.enums import db_enum
from getmygrapher.core.geo import Point


class ProfileVisibility(enum.StrEnum):
    PUBLIC = "public"
    PROFESSIONAL_NETWORK = "professional_network"
    PRIVATE = "private"


class OnboardingStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class VerificationStatus(enum.StrEnum):
    NOT_VERIFIED = "not_verified"
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Profile(Base):
    __tablename__ = "profiles"
    __table_args__ = (
        Index("ix_profiles_point", "point", postgresql_using="gist"),
        CheckConstraint(
            "rate_rupees IS NULL OR rate_rupees BETWEEN 500 AND 100000", name="rate_in_range"
        ),
        CheckConstraint("work_radius_km BETWEEN 1 AND 500", name="work_radius_in_range"),
        CheckConstraint(
            "lat IS NULL OR (lat BETWEEN 6.0 AND 37.6 AND lng BETWEEN 68.0 AND 97.5)",
            name="coordinates_in_india",
        ),
        CheckConstraint("saves_count >= 0", name="saves_not_negative"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # Who they are
    gender: Mapped[str | None] = mapped_column(String(20))
    alternate_phone: Mapped[str | None] = mapped_column(String(13))
    whatsapp_phone: Mapped[str | None] = mapped_column(String(13))
    about: Mapped[str | None] = mapped_column(Text)
    # What they do
    category: Mapped[str | None] = mapped_column(String(40))
    professional_type: Mapped[str | None] = mapped_column(String(60))
    specializations: Mapped[list[str]] = mapped_column(ARRAY(String(60)), server_default="{}")
    experience: Mapped[str | None] = mapped_column(String(20))
    instagram_handle: Mapped[str | None] = mapped_column(String(30))
    portfolio_links: Mapped[list[str]] = mapped_column(ARRAY(String(500)), server_default="{}")
    # What they charge (PRC-1)
    pricing_type: Mapped[str | None] = mapped_column(String(20))
    rate_rupees: Mapped[int | None] = mapped_column(Integer)
    rate_negotiable: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # Where they work (ONB-5); the exact point is never shown to anyone else
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    point: Mapped[Any] = deferred(
        mapped_column(Point(), Computed("point(lng, lat)", persisted=True), nullable=True)
    )
    city: Mapped[str | None] = mapped_column(String(50))
    state: Mapped[str | None] = mapped_column(String(60))
    pin_code: Mapped[str | None] = mapped_column(String(6))
    locality: Mapped[str | None] = mapped_column(String(100))
    work_radius_km: Mapped[int] = mapped_column(SmallInteger, server_default="25")
    # Who may see the profile and which sections (PRV-1)
    visibility: Mapped[ProfileVisibility] = mapped_column(
        db_enum(ProfileVisibility, "profile_visibility"),
        server_default=ProfileVisibility.PUBLIC.value,
    )
    show_equipment: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    show_pricing: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    show_availability: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    show_gender: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # Set by moderators, admins or the system only (PRV-3)
    verification_status: Mapped[VerificationStatus] = mapped_column(
        db_enum(VerificationStatus, "verification_status"),
        server_default=VerificationStatus.NOT_VERIFIED.value,
    )
    identity_verified: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    professional_verified: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    is_featured: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    is_top_rated: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # Computed by the server
    completion_score: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    completion_missing: Mapped[list[str]] = mapped_column(ARRAY(String(30)), server_default="{}")
    saves_count: Mapped[int] = mapped_column(Integer, server_default="0")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = touched_column()


class PreferredLocation(Base):
    __tablename__ = "preferred_locations"
    __table_args__ = (Index("ix_preferred_locations_point", "point", postgresql_using="gist"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    city: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(60))
    pin_code: Mapped[str | None] = mapped_column(String(6))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    point: Mapped[Any] = deferred(
        mapped_column(Point(), Computed("point(lng, lat)", persisted=True), nullable=True)
    )
    position: Mapped[int] = mapped_column(SmallInteger)


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
    guides_seen: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    completed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = touched_column()


class EquipmentItem(Base):
    __tablename__ = "equipment_items"
    __table_args__ = (UniqueConstraint("user_id", "category", "normalized_name"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    normalized_name: Mapped[str] = mapped_column(String(100))
    brand: Mapped[str | None] = mapped_column(String(50))
    condition: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(200))
    camera_role: Mapped[str | None] = mapped_column(String(20))
    lighting_indoor: Mapped[bool | None] = mapped_column(Boolean)
    lighting_outdoor: Mapped[bool | None] = mapped_column(Boolean)
    support_kind: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = touched_column()


class PortfolioItem(Base):
    __tablename__ = "portfolio_items"
    __table_args__ = (
        Index("ix_portfolio_items_user_order", "user_id", "is_featured", "position", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))
    category: Mapped[str | None] = mapped_column(String(60))
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(30)), server_default="{}")
    is_visible: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    is_featured: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    position: Mapped[int] = mapped_column(Integer)
    media_keys: Mapped[dict[str, str]] = mapped_column(JSONB)  # rendition name → storage key
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    exif: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    phash: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = touched_column()


class VerificationRequest(Base):
    __tablename__ = "verification_requests"
    __table_args__ = (
        Index(
            "uq_verification_requests_one_pending",
            "user_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_verification_requests_queue", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    document_type: Mapped[str] = mapped_column(String(20))
    document_key: Mapped[str | None] = mapped_column(String(200))  # private storage
    document_content_type: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[VerificationStatus] = mapped_column(
        db_enum(VerificationStatus, "verification_status")
    )
    reason: Mapped[str | None] = mapped_column(String(500))
    decided_by: Mapped[uuid.UUID | None]
    decided_at: Mapped[datetime | None]
    document_deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = now_column()


class SavedProfessional(Base):
    """SAV-1: private to the saver; the professional only ever sees a count."""

    __tablename__ = "saved_professionals"
    __table_args__ = (
        Index("ix_saved_professionals_saver_created", "saver_id", "created_at"),
        CheckConstraint("saver_id <> professional_id", name="not_self"),
    )

    saver_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    professional_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    note: Mapped[str | None] = mapped_column(String(500))
    collection: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = now_column()


class ProfileView(Base):
    """One row per viewer, profile and IST day; the viewer comes from the server, never the body."""

    __tablename__ = "profile_views"
    __table_args__ = (Index("ix_profile_views_profile_day", "profile_id", "viewed_on"),)

    profile_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    viewer_key: Mapped[str] = mapped_column(String(70), primary_key=True)
    viewed_on: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str | None] = mapped_column(String(20))
    device: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = now_column()
