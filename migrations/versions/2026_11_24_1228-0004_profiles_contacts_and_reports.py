"""profiles, contacts and reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 12:28:45.487880
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import getmygrapher.core.geo

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ENUMS = ("consent_status", "report_status", "verification_status")
PROFILE_CHECKS = {
    "rate_in_range": "rate_rupees IS NULL OR rate_rupees BETWEEN 500 AND 100000",
    "work_radius_in_range": "work_radius_km BETWEEN 1 AND 500",
    "coordinates_in_india": "lat IS NULL OR (lat BETWEEN 6.0 AND 37.6 AND lng BETWEEN 68.0 AND 97.5)",
    "saves_not_negative": "saves_count >= 0",
}


def upgrade() -> None:
    op.create_table(
        "contact_requests",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("requester_id", sa.UUID(), nullable=False),
        sa.Column("recipient_id", sa.UUID(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("fields", sa.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column(
            "accepted_fields", sa.ARRAY(sa.String(length=20)), server_default="{}", nullable=False
        ),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("conversation_id", sa.UUID(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "accepted",
                "declined",
                "cancelled",
                "expired",
                "revoked",
                name="consent_status",
            ),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "requester_id <> recipient_id", name=op.f("ck_contact_requests_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["users.id"],
            name=op.f("fk_contact_requests_recipient_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["users.id"],
            name=op.f("fk_contact_requests_requester_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_requests")),
    )
    op.create_index(
        "ix_contact_requests_expiry",
        "contact_requests",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_contact_requests_recipient",
        "contact_requests",
        ["recipient_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_contact_requests_requester",
        "contact_requests",
        ["requester_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "uq_contact_requests_pending_pair",
        "contact_requests",
        [
            sa.literal_column("least(requester_id, recipient_id)"),
            sa.literal_column("greatest(requester_id, recipient_id)"),
        ],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "equipment_items",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("normalized_name", sa.String(length=100), nullable=False),
        sa.Column("brand", sa.String(length=50), nullable=True),
        sa.Column("condition", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("camera_role", sa.String(length=20), nullable=True),
        sa.Column("lighting_indoor", sa.Boolean(), nullable=True),
        sa.Column("lighting_outdoor", sa.Boolean(), nullable=True),
        sa.Column("support_kind", sa.String(length=30), nullable=True),
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
            ["user_id"],
            ["users.id"],
            name=op.f("fk_equipment_items_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_items")),
        sa.UniqueConstraint(
            "user_id",
            "category",
            "normalized_name",
            name=op.f("uq_equipment_items_user_id_category_normalized_name"),
        ),
    )
    op.create_index(
        op.f("ix_equipment_items_user_id"), "equipment_items", ["user_id"], unique=False
    )
    op.create_table(
        "portfolio_items",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("category", sa.String(length=60), nullable=True),
        sa.Column("tags", sa.ARRAY(sa.String(length=30)), server_default="{}", nullable=False),
        sa.Column("is_visible", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("is_featured", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("media_keys", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column(
            "exif", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("phash", sa.String(length=16), nullable=False),
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
            ["user_id"],
            ["users.id"],
            name=op.f("fk_portfolio_items_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_items")),
    )
    op.create_index(
        "ix_portfolio_items_user_order",
        "portfolio_items",
        ["user_id", "is_featured", "position", "created_at"],
        unique=False,
    )
    op.create_table(
        "preferred_locations",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("city", sa.String(length=50), nullable=False),
        sa.Column("state", sa.String(length=60), nullable=False),
        sa.Column("pin_code", sa.String(length=6), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column(
            "point",
            getmygrapher.core.geo.Point(),
            sa.Computed("point(lng, lat)", persisted=True),
            nullable=True,
        ),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_preferred_locations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preferred_locations")),
    )
    op.create_index(
        "ix_preferred_locations_point",
        "preferred_locations",
        ["point"],
        unique=False,
        postgresql_using="gist",
    )
    op.create_index(
        op.f("ix_preferred_locations_user_id"), "preferred_locations", ["user_id"], unique=False
    )
    op.create_table(
        "profile_views",
        sa.Column("profile_id", sa.UUID(), nullable=False),
        sa.Column("viewer_key", sa.String(length=70), nullable=False),
        sa.Column("viewed_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=True),
        sa.Column("device", sa.String(length=10), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["users.id"],
            name=op.f("fk_profile_views_profile_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "profile_id", "viewer_key", "viewed_on", name=op.f("pk_profile_views")
        ),
    )
    op.create_index(
        "ix_profile_views_profile_day", "profile_views", ["profile_id", "viewed_on"], unique=False
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("reporter_id", sa.UUID(), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.UUID(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("details", sa.String(length=1000), nullable=True),
        sa.Column(
            "snapshot", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "status",
            sa.Enum("pending", "reviewed", "resolved", "dismissed", name="report_status"),
            server_default="pending",
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name=op.f("fk_reports_reporter_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    op.create_index("ix_reports_queue", "reports", ["status", "created_at"], unique=False)
    op.create_index("ix_reports_target", "reports", ["target_type", "target_id"], unique=False)
    op.create_index(
        "uq_reports_open",
        "reports",
        ["reporter_id", "target_type", "target_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'reviewed')"),
    )
    op.create_table(
        "saved_professionals",
        sa.Column("saver_id", sa.UUID(), nullable=False),
        sa.Column("professional_id", sa.UUID(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("collection", sa.String(length=50), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "saver_id <> professional_id", name=op.f("ck_saved_professionals_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["users.id"],
            name=op.f("fk_saved_professionals_professional_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["saver_id"],
            ["users.id"],
            name=op.f("fk_saved_professionals_saver_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("saver_id", "professional_id", name=op.f("pk_saved_professionals")),
    )
    op.create_index(
        op.f("ix_saved_professionals_professional_id"),
        "saved_professionals",
        ["professional_id"],
        unique=False,
    )
    op.create_index(
        "ix_saved_professionals_saver_created",
        "saved_professionals",
        ["saver_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "verification_requests",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("document_type", sa.String(length=20), nullable=False),
        sa.Column("document_key", sa.String(length=200), nullable=True),
        sa.Column("document_content_type", sa.String(length=40), nullable=True),
        sa.Column(
            "status",
            sa.Enum("not_verified", "pending", "verified", "rejected", name="verification_status"),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("decided_by", sa.UUID(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document_deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_verification_requests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_requests")),
    )
    op.create_index(
        "ix_verification_requests_queue",
        "verification_requests",
        ["status", "created_at"],
        unique=False,
    )
    op.create_index(
        "uq_verification_requests_one_pending",
        "verification_requests",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "contact_events",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=True),
        sa.Column("user_low", sa.UUID(), nullable=False),
        sa.Column("user_high", sa.UUID(), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("fields", sa.ARRAY(sa.String(length=20)), server_default="{}", nullable=False),
        sa.Column(
            "at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["contact_requests.id"],
            name=op.f("fk_contact_events_request_id_contact_requests"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_events")),
    )
    op.create_index(
        "ix_contact_events_pair", "contact_events", ["user_low", "user_high", "at"], unique=False
    )
    op.create_table(
        "contact_grants",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("grantee_id", sa.UUID(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column(
            "granted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["grantee_id"],
            ["users.id"],
            name=op.f("fk_contact_grants_grantee_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_contact_grants_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["contact_requests.id"],
            name=op.f("fk_contact_grants_request_id_contact_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_grants")),
    )
    op.create_index(
        "ix_contact_grants_grantee",
        "contact_grants",
        ["grantee_id", "owner_id"],
        unique=False,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.create_index(
        "uq_contact_grants_active",
        "contact_grants",
        ["owner_id", "grantee_id", "field"],
        unique=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.add_column(
        "calendar_settings",
        sa.Column("weekly_hours", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column(
        "onboarding",
        sa.Column(
            "guides_seen", sa.ARRAY(sa.String(length=40)), server_default="{}", nullable=False
        ),
    )
    op.add_column("profiles", sa.Column("gender", sa.String(length=20), nullable=True))
    op.add_column("profiles", sa.Column("alternate_phone", sa.String(length=13), nullable=True))
    op.add_column("profiles", sa.Column("whatsapp_phone", sa.String(length=13), nullable=True))
    op.add_column("profiles", sa.Column("about", sa.Text(), nullable=True))
    op.add_column("profiles", sa.Column("category", sa.String(length=40), nullable=True))
    op.add_column("profiles", sa.Column("professional_type", sa.String(length=60), nullable=True))
    op.add_column(
        "profiles",
        sa.Column(
            "specializations", sa.ARRAY(sa.String(length=60)), server_default="{}", nullable=False
        ),
    )
    op.add_column("profiles", sa.Column("experience", sa.String(length=20), nullable=True))
    op.add_column("profiles", sa.Column("instagram_handle", sa.String(length=30), nullable=True))
    op.add_column(
        "profiles",
        sa.Column(
            "portfolio_links", sa.ARRAY(sa.String(length=500)), server_default="{}", nullable=False
        ),
    )
    op.add_column("profiles", sa.Column("pricing_type", sa.String(length=20), nullable=True))
    op.add_column("profiles", sa.Column("rate_rupees", sa.Integer(), nullable=True))
    op.add_column(
        "profiles",
        sa.Column("rate_negotiable", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("profiles", sa.Column("lat", sa.Float(), nullable=True))
    op.add_column("profiles", sa.Column("lng", sa.Float(), nullable=True))
    op.add_column(
        "profiles",
        sa.Column(
            "point",
            getmygrapher.core.geo.Point(),
            sa.Computed("point(lng, lat)", persisted=True),
            nullable=True,
        ),
    )
    op.add_column("profiles", sa.Column("city", sa.String(length=50), nullable=True))
    op.add_column("profiles", sa.Column("state", sa.String(length=60), nullable=True))
    op.add_column("profiles", sa.Column("pin_code", sa.String(length=6), nullable=True))
    op.add_column("profiles", sa.Column("locality", sa.String(length=100), nullable=True))
    op.add_column(
        "profiles",
        sa.Column("work_radius_km", sa.SmallInteger(), server_default="25", nullable=False),
    )
    op.add_column(
        "profiles",
        sa.Column(
            "verification_status",
            sa.Enum("not_verified", "pending", "verified", "rejected", name="verification_status"),
            server_default="not_verified",
            nullable=False,
        ),
    )
    op.add_column(
        "profiles",
        sa.Column(
            "identity_verified", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.add_column(
        "profiles",
        sa.Column(
            "professional_verified", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.add_column(
        "profiles",
        sa.Column("is_featured", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "profiles",
        sa.Column("is_top_rated", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "profiles",
        sa.Column("completion_score", sa.SmallInteger(), server_default="0", nullable=False),
    )
    op.add_column(
        "profiles",
        sa.Column(
            "completion_missing",
            sa.ARRAY(sa.String(length=30)),
            server_default="{}",
            nullable=False,
        ),
    )
    op.add_column(
        "profiles", sa.Column("saves_count", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_index(
        "ix_profiles_point", "profiles", ["point"], unique=False, postgresql_using="gist"
    )
    for name, condition in PROFILE_CHECKS.items():
        op.create_check_constraint(name, "profiles", condition)


def downgrade() -> None:
    for name in PROFILE_CHECKS:
        op.drop_constraint(op.f(f"ck_profiles_{name}"), "profiles", type_="check")
    op.drop_index("ix_profiles_point", table_name="profiles", postgresql_using="gist")
    op.drop_column("profiles", "saves_count")
    op.drop_column("profiles", "completion_missing")
    op.drop_column("profiles", "completion_score")
    op.drop_column("profiles", "is_top_rated")
    op.drop_column("profiles", "is_featured")
    op.drop_column("profiles", "professional_verified")
    op.drop_column("profiles", "identity_verified")
    op.drop_column("profiles", "verification_status")
    op.drop_column("profiles", "work_radius_km")
    op.drop_column("profiles", "locality")
    op.drop_column("profiles", "pin_code")
    op.drop_column("profiles", "state")
    op.drop_column("profiles", "city")
    op.drop_column("profiles", "point")
    op.drop_column("profiles", "lng")
    op.drop_column("profiles", "lat")
    op.drop_column("profiles", "rate_negotiable")
    op.drop_column("profiles", "rate_rupees")
    op.drop_column("profiles", "pricing_type")
    op.drop_column("profiles", "portfolio_links")
    op.drop_column("profiles", "instagram_handle")
    op.drop_column("profiles", "experience")
    op.drop_column("profiles", "specializations")
    op.drop_column("profiles", "professional_type")
    op.drop_column("profiles", "category")
    op.drop_column("profiles", "about")
    op.drop_column("profiles", "whatsapp_phone")
    op.drop_column("profiles", "alternate_phone")
    op.drop_column("profiles", "gender")
    op.drop_column("onboarding", "guides_seen")
    op.drop_column("calendar_settings", "weekly_hours")
    op.drop_index(
        "uq_contact_grants_active",
        table_name="contact_grants",
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.drop_index(
        "ix_contact_grants_grantee",
        table_name="contact_grants",
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.drop_table("contact_grants")
    op.drop_index("ix_contact_events_pair", table_name="contact_events")
    op.drop_table("contact_events")
    op.drop_index(
        "uq_verification_requests_one_pending",
        table_name="verification_requests",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index("ix_verification_requests_queue", table_name="verification_requests")
    op.drop_table("verification_requests")
    op.drop_index("ix_saved_professionals_saver_created", table_name="saved_professionals")
    op.drop_index(op.f("ix_saved_professionals_professional_id"), table_name="saved_professionals")
    op.drop_table("saved_professionals")
    op.drop_index(
        "uq_reports_open",
        table_name="reports",
        postgresql_where=sa.text("status IN ('pending', 'reviewed')"),
    )
    op.drop_index("ix_reports_target", table_name="reports")
    op.drop_index("ix_reports_queue", table_name="reports")
    op.drop_table("reports")
    op.drop_index("ix_profile_views_profile_day", table_name="profile_views")
    op.drop_table("profile_views")
    op.drop_index(op.f("ix_preferred_locations_user_id"), table_name="preferred_locations")
    op.drop_index(
        "ix_preferred_locations_point", table_name="preferred_locations", postgresql_using="gist"
    )
    op.drop_table("preferred_locations")
    op.drop_index("ix_portfolio_items_user_order", table_name="portfolio_items")
    op.drop_table("portfolio_items")
    op.drop_index(op.f("ix_equipment_items_user_id"), table_name="equipment_items")
    op.drop_table("equipment_items")
    op.drop_index(
        "uq_contact_requests_pending_pair",
        table_name="contact_requests",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index("ix_contact_requests_requester", table_name="contact_requests")
    op.drop_index("ix_contact_requests_recipient", table_name="contact_requests")
    op.drop_index(
        "ix_contact_requests_expiry",
        table_name="contact_requests",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("contact_requests")
    for name in ENUMS:
        op.execute(f"DROP TYPE IF EXISTS {name}")
