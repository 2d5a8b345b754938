"""plans, quotas and billing

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 12:02:12.229683
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ENUMS = (
    "tier",
    "feature_kind",
    "billing_period",
    "subscription_kind",
    "subscription_status",
    "payment_status",
)

# SPEC §13: what each tier may do. -1 is unlimited; flags are 1 (yes) or 0 (no).
FEATURES = [
    ("job_posts_per_month", "monthly", 1, -1),
    ("job_accepts_per_month", "monthly", 1, -1),
    ("messaging_limit", "monthly", 10, -1),
    ("pose_saves_per_month", "monthly", 10, -1),
    ("portfolio_images", "held", 5, -1),
    ("search_radius_km", "value", 25, 500),
    ("calendar_privacy", "flag", 0, 1),
    ("instagram_integration", "flag", 0, 1),
    ("advanced_search", "flag", 0, 1),
    ("priority_placement", "flag", 0, 1),
    ("priority_support", "flag", 0, 1),
    ("verified_badge", "flag", 0, 1),
    ("analytics_dashboard", "flag", 0, 1),
    ("fine_slot_granularity", "flag", 0, 1),
    ("ad_free", "flag", 0, 1),
]


def upgrade() -> None:
    op.create_table(
        "plan_features",
        sa.Column("tier", sa.Enum("free", "pro", name="tier"), nullable=False),
        sa.Column("feature", sa.String(length=50), nullable=False),
        sa.Column(
            "kind", sa.Enum("monthly", "held", "value", "flag", name="feature_kind"), nullable=False
        ),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tier", "feature", name=op.f("pk_plan_features")),
    )
    op.create_table(
        "plan_prices",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tier", sa.Enum("free", "pro", name="tier"), nullable=False),
        sa.Column("period", sa.Enum("monthly", "yearly", name="billing_period"), nullable=False),
        sa.Column("amount_paise", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="INR", nullable=False),
        sa.Column("provider_plan_id", sa.String(length=40), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount_paise > 0", name=op.f("ck_plan_prices_amount_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_prices")),
        sa.UniqueConstraint("provider_plan_id", name=op.f("uq_plan_prices_provider_plan_id")),
    )
    op.create_index(
        "uq_plan_prices_active",
        "plan_prices",
        ["tier", "period"],
        unique=True,
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "provider_events",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_events")),
        sa.UniqueConstraint(
            "provider", "external_id", name=op.f("uq_provider_events_provider_external_id")
        ),
    )
    op.create_index(
        "ix_provider_events_unprocessed",
        "provider_events",
        ["received_at"],
        unique=False,
        postgresql_where=sa.text("processed_at IS NULL"),
    )
    op.create_table(
        "receipt_counters",
        sa.Column("financial_year", sa.String(length=7), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("financial_year", name=op.f("pk_receipt_counters")),
    )
    op.create_table(
        "billing_profiles",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("legal_name", sa.String(length=100), nullable=True),
        sa.Column("gstin", sa.String(length=15), nullable=True),
        sa.Column("state", sa.String(length=60), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_billing_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_billing_profiles")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("recurring", "one_time", "admin_grant", name="subscription_kind"),
            nullable=False,
        ),
        sa.Column("period", sa.Enum("monthly", "yearly", name="billing_period"), nullable=True),
        sa.Column("price_id", sa.UUID(), nullable=True),
        sa.Column("amount_paise", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "active",
                "grace_period",
                "cancelled",
                "expired",
                name="subscription_status",
            ),
            nullable=False,
        ),
        sa.Column("provider_subscription_id", sa.String(length=40), nullable=True),
        sa.Column("provider_order_id", sa.String(length=40), nullable=True),
        sa.Column("provider_status", sa.String(length=20), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("current_period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("current_period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("grace_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "cancel_at_period_end", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "scheduled_period", sa.Enum("monthly", "yearly", name="billing_period"), nullable=True
        ),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("granted_by", sa.UUID(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["price_id"], ["plan_prices.id"], name=op.f("fk_subscriptions_price_id_plan_prices")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_subscriptions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("provider_order_id", name=op.f("uq_subscriptions_provider_order_id")),
        sa.UniqueConstraint(
            "provider_subscription_id", name=op.f("uq_subscriptions_provider_subscription_id")
        ),
    )
    op.create_index(
        "ix_subscriptions_period_end",
        "subscriptions",
        ["current_period_end"],
        unique=False,
        postgresql_where=sa.text("status IN ('active', 'grace_period')"),
    )
    op.create_index(
        "ix_subscriptions_user_status", "subscriptions", ["user_id", "status"], unique=False
    )
    op.create_index(
        "uq_subscriptions_one_pending",
        "subscriptions",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "uq_subscriptions_one_recurring",
        "subscriptions",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'recurring' AND status IN ('active', 'grace_period')"),
    )
    op.create_table(
        "usage_counters",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("feature", sa.String(length=50), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.CheckConstraint("used >= 0", name=op.f("ck_usage_counters_used_not_negative")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_usage_counters_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "feature", "period_start", name=op.f("pk_usage_counters")
        ),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("subscription_id", sa.UUID(), nullable=True),
        sa.Column("provider_payment_id", sa.String(length=40), nullable=False),
        sa.Column("provider_order_id", sa.String(length=40), nullable=True),
        sa.Column("provider_invoice_id", sa.String(length=40), nullable=True),
        sa.Column("amount_paise", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="INR", nullable=False),
        sa.Column("method", sa.String(length=30), nullable=True),
        sa.Column(
            "status",
            sa.Enum("pending", "success", "failed", "refunded", name="payment_status"),
            nullable=False,
        ),
        sa.Column("amount_refunded_paise", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("error_description", sa.String(length=300), nullable=True),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt_number", sa.String(length=40), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_payments_subscription_id_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_payments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("provider_payment_id", name=op.f("uq_payments_provider_payment_id")),
        sa.UniqueConstraint("receipt_number", name=op.f("uq_payments_receipt_number")),
    )
    op.create_index(
        "ix_payments_pending",
        "payments",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_payments_user_created", "payments", ["user_id", "created_at"], unique=False)
    features = sa.table(
        "plan_features",
        sa.column("tier"),
        sa.column("feature"),
        sa.column("kind"),
        sa.column("value"),
    )
    rows = []
    for feature, kind, free, pro in FEATURES:
        rows += [
            {"tier": "free", "feature": feature, "kind": kind, "value": free},
            {"tier": "pro", "feature": feature, "kind": kind, "value": pro},
        ]
    op.execute(features.insert().values(rows))
    prices = sa.table(
        "plan_prices", sa.column("tier"), sa.column("period"), sa.column("amount_paise")
    )
    # ₹299 a month, ₹2,999 a year, GST included.
    op.execute(
        prices.insert().values(
            [
                {"tier": "pro", "period": "monthly", "amount_paise": 29_900},
                {"tier": "pro", "period": "yearly", "amount_paise": 299_900},
            ]
        )
    )


def downgrade() -> None:
    op.drop_index("ix_payments_user_created", table_name="payments")
    op.drop_index(
        "ix_payments_pending", table_name="payments", postgresql_where=sa.text("status = 'pending'")
    )
    op.drop_table("payments")
    op.drop_table("usage_counters")
    op.drop_index(
        "uq_subscriptions_one_recurring",
        table_name="subscriptions",
        postgresql_where=sa.text("kind = 'recurring' AND status IN ('active', 'grace_period')"),
    )
    op.drop_index(
        "uq_subscriptions_one_pending",
        table_name="subscriptions",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index("ix_subscriptions_user_status", table_name="subscriptions")
    op.drop_index(
        "ix_subscriptions_period_end",
        table_name="subscriptions",
        postgresql_where=sa.text("status IN ('active', 'grace_period')"),
    )
    op.drop_table("subscriptions")
    op.drop_table("billing_profiles")
    op.drop_table("receipt_counters")
    op.drop_index(
        "ix_provider_events_unprocessed",
        table_name="provider_events",
        postgresql_where=sa.text("processed_at IS NULL"),
    )
    op.drop_table("provider_events")
    op.drop_index(
        "uq_plan_prices_active", table_name="plan_prices", postgresql_where=sa.text("active")
    )
    op.drop_table("plan_prices")
    op.drop_table("plan_features")
    for name in ENUMS:
        op.execute(f"DROP TYPE IF EXISTS {name}")
