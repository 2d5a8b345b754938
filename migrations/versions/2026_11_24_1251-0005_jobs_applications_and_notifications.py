"""jobs, applications and notifications

Also creates the SQL functions discovery uses: an exact great-circle distance and the exact
bounding box of a spherical cap, both inlinable so the planner sees through them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 12:51:26.639958
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import getmygrapher.core.geo

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ENUMS = ("job_status", "moderation_status", "budget_type", "urgency", "application_status")

FUNCTIONS = """
-- array_to_string is only STABLE; a generated column needs an IMMUTABLE expression.
CREATE FUNCTION gmg_immutable_array_to_string(varchar[], text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN array_to_string($1, $2);

-- The same formula and radius as getmygrapher.core.places.haversine_km, so both agree.
-- Not STRICT: least() is not strict, and a STRICT function around it is never inlined,
-- which makes every call a function call (ten times slower).
CREATE FUNCTION gmg_haversine_km(lat1 float8, lng1 float8, lat2 float8, lng2 float8)
RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 2 * CAST(6371.0088 AS float8) * asin(sqrt(least(CAST(1 AS float8),
    power(sin((radians(lat2) - radians(lat1)) / 2), 2)
    + cos(radians(lat1)) * cos(radians(lat2)) * power(sin(radians(lng2 - lng1) / 2), 2))));

-- Every point within km of (lat, lng) lies in this box (x = lng, y = lat): the latitude
-- reach of the cap, and its widest longitude reach, asin(sin(d) / cos(lat)).
CREATE FUNCTION gmg_bbox(lat float8, lng float8, km float8) RETURNS box
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (
    SELECT box(point(lng - lng_span, lat - lat_span), point(lng + lng_span, lat + lat_span))
    FROM (SELECT degrees(angle) AS lat_span,
                 CASE WHEN angle >= pi() / 2 - abs(radians(lat)) THEN 180.0
                      ELSE degrees(asin(least(1.0, sin(angle) / cos(radians(lat))))) END
                 AS lng_span
          FROM (SELECT km / CAST(6371.0088 AS float8) AS angle) AS a) AS spans
);
"""


def upgrade() -> None:
    op.execute(FUNCTIONS)
    op.create_table(
        "jobs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "active", "closed", "expired", "completed", name="job_status"),
            nullable=False,
        ),
        sa.Column(
            "moderation_status",
            sa.Enum("pending", "approved", "rejected", "flagged", name="moderation_status"),
            server_default="approved",
            nullable=False,
        ),
        sa.Column("moderation_reason", sa.String(length=500), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column(
            "professional_types",
            sa.ARRAY(sa.String(length=60)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("positions", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("hired_count", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("job_date", sa.Date(), nullable=True),
        sa.Column(
            "time_slots",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("application_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applications_close_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=50), nullable=True),
        sa.Column("state", sa.String(length=60), nullable=True),
        sa.Column("pin_code", sa.String(length=6), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column(
            "point",
            getmygrapher.core.geo.Point(),
            sa.Computed("point(lng, lat)", persisted=True),
            nullable=True,
        ),
        sa.Column("venue_details", sa.String(length=500), nullable=True),
        sa.Column("access_instructions", sa.String(length=500), nullable=True),
        sa.Column("parking_notes", sa.String(length=200), nullable=True),
        sa.Column("budget_min", sa.Integer(), nullable=True),
        sa.Column("budget_max", sa.Integer(), nullable=True),
        sa.Column(
            "budget_type", sa.Enum("fixed", "hourly", "project", name="budget_type"), nullable=True
        ),
        sa.Column("negotiable", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "urgency",
            sa.Enum("Normal", "Urgent", "Emergency", name="urgency"),
            server_default="Normal",
            nullable=False,
        ),
        sa.Column(
            "urgency_rank",
            sa.SmallInteger(),
            sa.Computed(
                "CASE urgency WHEN 'Emergency' THEN 3 WHEN 'Urgent' THEN 2 ELSE 1 END",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('english', coalesce(title, '')), 'A') || setweight(to_tsvector('english', coalesce(category, '') || ' ' || gmg_immutable_array_to_string(professional_types, ' ')), 'B') || setweight(to_tsvector('english', coalesce(description, '') || ' ' || coalesce(city, '')), 'C')",
                persisted=True,
            ),
            nullable=True,
        ),
        sa.Column("views_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.String(length=30), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duplicated_from", sa.UUID(), nullable=True),
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
        sa.CheckConstraint(
            "budget_max IS NULL OR budget_max BETWEEN 500 AND 100000",
            name=op.f("ck_jobs_budget_max_in_range"),
        ),
        sa.CheckConstraint(
            "budget_min IS NULL OR budget_max IS NULL OR budget_min <= budget_max",
            name=op.f("ck_jobs_budget_ordered"),
        ),
        sa.CheckConstraint(
            "budget_min IS NULL OR budget_min BETWEEN 500 AND 100000",
            name=op.f("ck_jobs_budget_min_in_range"),
        ),
        sa.CheckConstraint(
            "hired_count >= 0 AND hired_count <= positions", name=op.f("ck_jobs_hires_fit")
        ),
        sa.CheckConstraint(
            "lat IS NULL OR (lat BETWEEN 6.0 AND 37.6 AND lng BETWEEN 68.0 AND 97.5)",
            name=op.f("ck_jobs_coordinates_in_india"),
        ),
        sa.CheckConstraint("positions BETWEEN 1 AND 20", name=op.f("ck_jobs_positions_in_range")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["users.id"], name=op.f("fk_jobs_client_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(
        "ix_jobs_client_status", "jobs", ["client_id", "status", "created_at"], unique=False
    )
    op.create_index(
        "ix_jobs_closing",
        "jobs",
        ["applications_close_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('active', 'closed')"),
    )
    op.create_index(
        "ix_jobs_ending",
        "jobs",
        ["ends_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('active', 'closed') AND hired_count > 0"),
    )
    op.create_index(
        "ix_jobs_listed_job_date",
        "jobs",
        ["job_date", "id"],
        unique=False,
        postgresql_where=sa.text(
            "status = 'active' AND moderation_status = 'approved' AND deleted_at IS NULL"
        ),
    )
    op.create_index(
        "ix_jobs_listed_point",
        "jobs",
        ["point"],
        unique=False,
        postgresql_using="gist",
        postgresql_where=sa.text(
            "status = 'active' AND moderation_status = 'approved' AND deleted_at IS NULL"
        ),
    )
    op.create_index(
        "ix_jobs_listed_published",
        "jobs",
        [sa.literal_column("published_at DESC"), sa.literal_column("id DESC")],
        unique=False,
        postgresql_where=sa.text(
            "status = 'active' AND moderation_status = 'approved' AND deleted_at IS NULL"
        ),
    )
    op.create_index(
        "ix_jobs_listed_search",
        "jobs",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
        postgresql_where=sa.text(
            "status = 'active' AND moderation_status = 'approved' AND deleted_at IS NULL"
        ),
    )
    op.create_index(
        "ix_jobs_listed_title_trgm",
        "jobs",
        ["title"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
        postgresql_where=sa.text(
            "status = 'active' AND moderation_status = 'approved' AND deleted_at IS NULL"
        ),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column("target_type", sa.String(length=30), nullable=True),
        sa.Column("target_id", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["user_id"],
        unique=False,
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_index(
        "ix_notifications_user_created", "notifications", ["user_id", "created_at"], unique=False
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column("applicant_id", sa.UUID(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "under_review",
                "shortlisted",
                "rejected",
                "hired",
                "withdrawn",
                name="application_status",
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("proposed_rate", sa.Integer(), nullable=True),
        sa.Column(
            "proposed_budget_type",
            postgresql.ENUM("fixed", "hourly", "project", name="budget_type", create_type=False),
            nullable=True,
        ),
        sa.Column("portfolio_item_ids", sa.ARRAY(sa.Uuid()), server_default="{}", nullable=False),
        sa.Column("rejection_reason", sa.String(length=300), nullable=True),
        sa.Column("system_reason", sa.String(length=20), nullable=True),
        sa.Column("owner_note", sa.String(length=500), nullable=True),
        sa.Column("job_snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "status_changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
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
        sa.CheckConstraint(
            "proposed_rate IS NULL OR proposed_rate BETWEEN 500 AND 100000",
            name=op.f("ck_applications_rate_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["users.id"],
            name=op.f("fk_applications_applicant_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_applications_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint(
            "job_id", "applicant_id", name=op.f("uq_applications_job_id_applicant_id")
        ),
    )
    op.create_index(
        "ix_applications_applicant", "applications", ["applicant_id", "created_at"], unique=False
    )
    op.create_index(
        "ix_applications_job_status",
        "applications",
        ["job_id", "status", "created_at"],
        unique=False,
    )
    op.create_table(
        "job_views",
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column("viewer_key", sa.String(length=70), nullable=False),
        sa.Column("viewed_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_views_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "viewer_key", "viewed_on", name=op.f("pk_job_views")),
    )
    op.create_table(
        "saved_jobs",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_saved_jobs_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_jobs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "job_id", name=op.f("pk_saved_jobs")),
    )
    op.create_index(
        "ix_saved_jobs_user_created", "saved_jobs", ["user_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_saved_jobs_user_created", table_name="saved_jobs")
    op.drop_table("saved_jobs")
    op.drop_table("job_views")
    op.drop_index("ix_applications_job_status", table_name="applications")
    op.drop_index("ix_applications_applicant", table_name="applications")
    op.drop_table("applications")
    op.drop_index("ix_notifications_user_created", table_name="notifications")
    op.drop_index(
        "ix_notifications_unread",
        table_name="notifications",
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.drop_table("notifications")
    op.drop_index(
        "ix_jobs_listed_title_trgm",
        table_name="jobs",
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
        postgresql_where=sa.text(
            "status = 'active' AND moderation_status = 'approved' AND deleted_at IS NULL"
        ),
    )
    op.drop_index(
        "ix_jobs_listed_search",
        table_name="jobs",
        postgresql_using="gin",
        postgresql_where=sa.text(
            "status = 'active' AND moderation_status = 'approved' AND deleted_at IS NULL"
        ),
    )
    op.drop_index(
        "ix_jobs_listed_published",
        table_name="jobs",
        postgresql_where=sa.text(
            "status = 'active' AND moderation_status = 'approved' AND deleted_at IS NULL"
        ),
    )
    op.drop_index(
        "ix_jobs_listed_point",
        table_name="jobs",
        postgresql_using="gist",
        postgresql_where=sa.text(
            "status = 'active' AND moderation_status = 'approved' AND deleted_at IS NULL"
        ),
    )
    op.drop_index(
        "ix_jobs_listed_job_date",
        table_name="jobs",
        postgresql_where=sa.text(
            "status = 'active' AND moderation_status = 'approved' AND deleted_at IS NULL"
        ),
    )
    op.drop_index(
        "ix_jobs_ending",
        table_name="jobs",
        postgresql_where=sa.text("status IN ('active', 'closed') AND hired_count > 0"),
    )
    op.drop_index(
        "ix_jobs_closing",
        table_name="jobs",
        postgresql_where=sa.text("status IN ('active', 'closed')"),
    )
    op.drop_index("ix_jobs_client_status", table_name="jobs")
    op.drop_table("jobs")
    for name in ENUMS:
        op.execute(f"DROP TYPE IF EXISTS {name}")
    op.execute("DROP FUNCTION gmg_bbox(float8, float8, float8)")
    op.execute("DROP FUNCTION gmg_haversine_km(float8, float8, float8, float8)")
    op.execute("DROP FUNCTION gmg_immutable_array_to_string(varchar[], text)")
