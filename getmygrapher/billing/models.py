"""Plans as data, subscriptions and payments mirrored from Razorpay, the webhook inbox, usage."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from getmygrapher.core.db import Base, now_column, touched_column, uuid_pk
from getmygrapher.core.enums import db_enum


class Tier(enum.StrEnum):
    FREE = "free"
    PRO = "pro"


class BillingPeriod(enum.StrEnum):
    MONTHLY = "monthly"
    YEARLY = "yearly"

    @property
    def months(self) -> int:
        return 1 if self is BillingPeriod.MONTHLY else 12


class FeatureKind(enum.StrEnum):
    MONTHLY = "monthly"  # counted per IST calendar month
    HELD = "held"  # a number of things held at once
    VALUE = "value"  # a number that is not consumed (a radius)
    FLAG = "flag"  # 1 = available, 0 = not


class SubscriptionKind(enum.StrEnum):
    RECURRING = "recurring"
    ONE_TIME = "one_time"
    ADMIN_GRANT = "admin_grant"


class SubscriptionStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    GRACE_PERIOD = "grace_period"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"
    REFUNDED = "refunded"

    @property
    def rank(self) -> int:
        """Payments only move forward: a captured payment never becomes failed."""
        return {"pending": 0, "failed": 1, "success": 2, "refunded": 3}[self.value]


class PlanFeature(Base):
    __tablename__ = "plan_features"

    tier: Mapped[Tier] = mapped_column(db_enum(Tier, "tier"), primary_key=True)
    feature: Mapped[str] = mapped_column(String(50), primary_key=True)
    kind: Mapped[FeatureKind] = mapped_column(db_enum(FeatureKind, "feature_kind"))
    value: Mapped[int] = mapped_column(Integer)  # -1 means unlimited
    updated_at: Mapped[dt.datetime] = touched_column()


class PlanPrice(Base):
    """A price; changing it adds a row, so periods already paid keep theirs (PAY-1)."""

    __tablename__ = "plan_prices"
    __table_args__ = (
        Index(
            "uq_plan_prices_active", "tier", "period", unique=True, postgresql_where=text("active")
        ),
        CheckConstraint("amount_paise > 0", name="amount_positive"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tier: Mapped[Tier] = mapped_column(db_enum(Tier, "tier"))
    period: Mapped[BillingPeriod] = mapped_column(db_enum(BillingPeriod, "billing_period"))
    amount_paise: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), server_default="INR")
    provider_plan_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[dt.datetime] = now_column()


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        # One checkout at a time per user (PAY-3).
        Index(
            "uq_subscriptions_one_pending",
            "user_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        # One running recurring subscription per user; a plan switch changes it in place.
        Index(
            "uq_subscriptions_one_recurring",
            "user_id",
            unique=True,
            postgresql_where=text("kind = 'recurring' AND status IN ('active', 'grace_period')"),
        ),
        Index("ix_subscriptions_user_status", "user_id", "status"),
        Index(
            "ix_subscriptions_period_end",
            "current_period_end",
            postgresql_where=text("status IN ('active', 'grace_period')"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[SubscriptionKind] = mapped_column(db_enum(SubscriptionKind, "subscription_kind"))
    period: Mapped[BillingPeriod | None] = mapped_column(db_enum(BillingPeriod, "billing_period"))
    price_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plan_prices.id"))
    amount_paise: Mapped[int] = mapped_column(BigInteger, server_default="0")
    status: Mapped[SubscriptionStatus] = mapped_column(
        db_enum(SubscriptionStatus, "subscription_status")
    )
    provider_subscription_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    provider_order_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    provider_status: Mapped[str | None] = mapped_column(String(20))
    starts_at: Mapped[dt.datetime | None]  # a recurring checkout bought while already Pro
    current_period_start: Mapped[dt.datetime | None]
    current_period_end: Mapped[dt.datetime | None]
    grace_until: Mapped[dt.datetime | None]
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    scheduled_period: Mapped[BillingPeriod | None] = mapped_column(
        db_enum(BillingPeriod, "billing_period")
    )
    last_event_at: Mapped[dt.datetime | None]
    last_synced_at: Mapped[dt.datetime | None]
    activated_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    granted_by: Mapped[uuid.UUID | None]
    reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[dt.datetime] = now_column()
    updated_at: Mapped[dt.datetime] = touched_column()


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_user_created", "user_id", "created_at"),
        Index("ix_payments_pending", "created_at", postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subscriptions.id"))
    provider_payment_id: Mapped[str] = mapped_column(String(40), unique=True)
    provider_order_id: Mapped[str | None] = mapped_column(String(40))
    provider_invoice_id: Mapped[str | None] = mapped_column(String(40))
    amount_paise: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), server_default="INR")
    method: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[PaymentStatus] = mapped_column(db_enum(PaymentStatus, "payment_status"))
    amount_refunded_paise: Mapped[int] = mapped_column(BigInteger, server_default="0")
    error_description: Mapped[str | None] = mapped_column(String(300))
    captured_at: Mapped[dt.datetime | None]
    failed_at: Mapped[dt.datetime | None]
    refunded_at: Mapped[dt.datetime | None]
    receipt_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[dt.datetime] = now_column()
    updated_at: Mapped[dt.datetime] = touched_column()


class ProviderEvent(Base):
    """The webhook inbox: stored once per provider event id before anything acts on it."""

    __tablename__ = "provider_events"
    __table_args__ = (
        UniqueConstraint("provider", "external_id"),
        Index(
            "ix_provider_events_unprocessed",
            "received_at",
            postgresql_where=text("processed_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    provider: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    occurred_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime] = now_column()
    processed_at: Mapped[dt.datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(200))


class UsageCounter(Base):
    """Units used per user, feature and IST calendar month (PAY-13); only the server writes."""

    __tablename__ = "usage_counters"
    __table_args__ = (CheckConstraint("used >= 0", name="used_not_negative"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    feature: Mapped[str] = mapped_column(String(50), primary_key=True)
    period_start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    used: Mapped[int] = mapped_column(Integer)


class ReceiptCounter(Base):
    """Receipt numbers run in one gap-free sequence per Indian financial year."""

    __tablename__ = "receipt_counters"

    financial_year: Mapped[str] = mapped_column(String(7), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class BillingProfile(Base):
    """What a buyer wants on their receipts: legal name, GSTIN, state (for the GST split)."""

    __tablename__ = "billing_profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    legal_name: Mapped[str | None] = mapped_column(String(100))
    gstin: Mapped[str | None] = mapped_column(String(15))
    state: Mapped[str | None] = mapped_column(String(60))
    updated_at: Mapped[dt.datetime] = touched_column()
