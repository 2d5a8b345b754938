"""Calendar settings (AV-8), slots, date overrides and patterns (AV-1…AV-14), and bookings
(BKG-1…BKG-9) with their conflicts and reschedules."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Time,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY
from sqlalchemy.dialects.postgresql import JSONB, TSTZRANGE, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from getmygrapher.core.db import Base, now_column, touched_column, uuid_pk
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
    # The first weekly pattern chosen at onboarding (ONB-8).
    weekly_hours: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    buffer_before_minutes: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    buffer_after_minutes: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    # At most this many active bookings on one day; null means no cap.
    daily_booking_cap: Mapped[int | None] = mapped_column(SmallInteger)
    # Between two on-location bookings the gap must cover the drive at this speed.
    travel_speed_kmh: Mapped[int] = mapped_column(SmallInteger, server_default="30")
    allowed_user_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), server_default="{}")
    hidden_dates: Mapped[list[date]] = mapped_column(ARRAY(Date), server_default="{}")
    # sha256 of the private iCal feed token; null when no feed is issued.
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = touched_column()


class SlotStatus(enum.StrEnum):
    AVAILABLE = "available"
    BOOKED = "booked"
    BLOCKED = "blocked"
    BREAK = "break"


class BookingStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    DECLINED = "declined"
    EXPIRED = "expired"


FINAL_BOOKING = frozenset(
    {
        BookingStatus.COMPLETED,
        BookingStatus.CANCELLED,
        BookingStatus.DECLINED,
        BookingStatus.EXPIRED,
    }
)


class BookingSource(enum.StrEnum):
    JOB_HIRE = "job_hire"
    DIRECT_REQUEST = "direct_request"


class ConflictType(enum.StrEnum):
    DOUBLE_BOOKING = "double_booking"
    OVERLAP = "overlap"
    PATTERN_CONFLICT = "pattern_conflict"
    AVAILABILITY_CONFLICT = "availability_conflict"


class ConflictStatus(enum.StrEnum):
    PENDING = "pending"
    RESOLVED = "resolved"
    IGNORED = "ignored"


class PatternType(enum.StrEnum):
    WEEKLY = "weekly"
    BI_WEEKLY = "bi_weekly"
    MONTHLY = "monthly"
    CUSTOM = "custom"


# Slot and booking times are a local date, wall-clock times and a zone (GEN-2); `period` is the
# same interval as instants, written by the service, so that overlaps are a database question.
class CalendarSlot(Base):
    __tablename__ = "calendar_slots"
    __table_args__ = (
        ExcludeConstraint(
            (Column("user_id"), "="), (Column("period"), "&&"), name="ex_calendar_slots_overlap"
        ),
        Index("ix_calendar_slots_user_day", "user_id", "day", "starts_at"),
        # A pattern's edits and deletion find its slots (and the foreign key nulls them) by this.
        Index(
            "ix_calendar_slots_pattern",
            "pattern_id",
            "day",
            postgresql_where=text("pattern_id IS NOT NULL"),
        ),
        CheckConstraint("starts_at < ends_at", name="starts_before_end"),
        CheckConstraint("starts_at >= '06:00' AND ends_at <= '23:00'", name="operating_hours"),
        CheckConstraint(
            "hourly_rate IS NULL OR hourly_rate BETWEEN 500 AND 100000", name="rate_in_range"
        ),
        CheckConstraint(
            "(status = 'booked') = (booking_id IS NOT NULL)", name="booked_has_booking"
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(String(64), server_default="Asia/Kolkata")
    period: Mapped[Any] = mapped_column(TSTZRANGE)
    status: Mapped[SlotStatus] = mapped_column(db_enum(SlotStatus, "slot_status"))
    # What a booked slot was before the booking took it, so a cancellation can give it back.
    previous_status: Mapped[SlotStatus | None] = mapped_column(db_enum(SlotStatus, "slot_status"))
    booking_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE")
    )
    pattern_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("availability_patterns.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(20), server_default="manual")
    note: Mapped[str | None] = mapped_column(String(200))
    hourly_rate: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = touched_column()


class CalendarDay(Base):
    """A date override (AV-14): the whole day blocked, or the patterns replaced by its slots."""

    __tablename__ = "calendar_days"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    blocked: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = now_column()


class AvailabilityPattern(Base):
    __tablename__ = "availability_patterns"
    __table_args__ = (
        Index("ix_availability_patterns_user", "user_id", "active"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    type: Mapped[PatternType] = mapped_column(db_enum(PatternType, "pattern_type"))
    # RFC 5545: the rule (without DTSTART, which is `starts_on`) and the exception dates.
    rrule: Mapped[str] = mapped_column(String(500))
    exdates: Mapped[list[date]] = mapped_column(ARRAY(Date), server_default="{}")
    # The schedule as entered: {"intervals": {...}} by weekday or month day, on the grid.
    schedule: Mapped[dict[str, Any]] = mapped_column(JSONB)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # Slots exist up to this date; the daily task extends them to the booking horizon.
    filled_until: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = touched_column()


ACTIVE_BOOKING = "status IN ('confirmed', 'in_progress')"


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        # BKG-4: two active bookings of one professional never overlap, whatever races.
        ExcludeConstraint(
            (Column("professional_id"), "="),
            (Column("period"), "&&"),
            name="ex_bookings_active_overlap",
            where=text(ACTIVE_BOOKING),
        ),
        # BKG-2: one pending request per requester, professional and date.
        Index(
            "uq_bookings_one_pending_request",
            "client_id",
            "professional_id",
            "day",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_bookings_professional_period", "professional_id", "starts_at_utc"),
        Index("ix_bookings_client_period", "client_id", "starts_at_utc"),
        Index("ix_bookings_due", "status", "starts_at_utc"),
        CheckConstraint("starts_at < ends_at", name="starts_before_end"),
        CheckConstraint("professional_id <> client_id", name="not_self"),
        CheckConstraint("amount IS NULL OR amount BETWEEN 500 AND 100000", name="amount_in_range"),
        CheckConstraint("reschedule_count BETWEEN 0 AND 3", name="reschedules_capped"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    reference: Mapped[str] = mapped_column(String(10), unique=True)
    professional_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source: Mapped[BookingSource] = mapped_column(db_enum(BookingSource, "booking_source"))
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    application_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL")
    )
    status: Mapped[BookingStatus] = mapped_column(db_enum(BookingStatus, "booking_status"))
    day: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(String(64), server_default="Asia/Kolkata")
    period: Mapped[Any] = mapped_column(TSTZRANGE)
    starts_at_utc: Mapped[datetime]
    ends_at_utc: Mapped[datetime]
    amount: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(String(500))
    # Where the work happens, for the travel buffer between on-location bookings.
    location: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    # A pending request holds its time from other requests until then.
    hold_until: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(String(300))
    cancelled_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    cancelled_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    reschedule_count: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    # Dialect ARRAY: reminders ask `@>` of it.
    reminded: Mapped[list[str]] = mapped_column(PG_ARRAY(String(8)), server_default="{}")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = touched_column()


class BookingConflict(Base):
    __tablename__ = "booking_conflicts"
    __table_args__ = (Index("ix_booking_conflicts_booking", "booking_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    type: Mapped[ConflictType] = mapped_column(db_enum(ConflictType, "conflict_type"))
    status: Mapped[ConflictStatus] = mapped_column(
        db_enum(ConflictStatus, "conflict_status"), server_default=ConflictStatus.PENDING.value
    )
    detail: Mapped[str] = mapped_column(String(300))
    # Nearest free times of the same length, offered under `flexible_booking`.
    alternatives: Mapped[list[dict[str, str]]] = mapped_column(JSONB, server_default="[]")
    created_at: Mapped[datetime] = now_column()
    resolved_at: Mapped[datetime | None]


class BookingReschedule(Base):
    __tablename__ = "booking_reschedules"
    __table_args__ = (
        Index(
            "uq_booking_reschedules_one_open",
            "booking_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    proposed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    status: Mapped[str] = mapped_column(String(10), server_default="pending")
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = now_column()
    decided_at: Mapped[datetime | None]


class CalendarOperation(Base):
    """Every export and import (AV-11), with its format and outcome."""

    __tablename__ = "calendar_operations"
    __table_args__ = (Index("ix_calendar_operations_user", "user_id", "created_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # export, import, feed
    format: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_at: Mapped[datetime] = now_column()
