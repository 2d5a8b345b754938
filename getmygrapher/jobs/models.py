"""Jobs posted by clients and the applications professionals send to them."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
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
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, deferred, mapped_column

from getmygrapher.core.db import Base, now_column, touched_column, uuid_pk
from getmygrapher.core.enums import db_enum
from getmygrapher.core.geo import Point


class JobStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"
    EXPIRED = "expired"
    COMPLETED = "completed"


class ModerationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    FLAGGED = "flagged"


class BudgetType(enum.StrEnum):
    FIXED = "fixed"
    HOURLY = "hourly"
    PROJECT = "project"


class Urgency(enum.StrEnum):
    NORMAL = "Normal"
    URGENT = "Urgent"
    EMERGENCY = "Emergency"


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"
    UNDER_REVIEW = "under_review"
    SHORTLISTED = "shortlisted"
    REJECTED = "rejected"
    HIRED = "hired"
    WITHDRAWN = "withdrawn"


OPEN_APPLICATION = (
    ApplicationStatus.PENDING,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.SHORTLISTED,
)

# Discovery only ever looks at these rows; the partial indexes below cover exactly them.
LISTED = "status = 'active' AND moderation_status = 'approved' AND deleted_at IS NULL"

SEARCH_VECTOR = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(category, '') || ' ' || "
    "gmg_immutable_array_to_string(professional_types, ' ')), 'B') || "
    "setweight(to_tsvector('english', coalesce(description, '') || ' ' || coalesce(city, '')), "
    "'C')"
)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        # Discovery walks this nearest-first without reading the table: it carries every
        # column a filter, a sort, a distance or a word test needs (jobs/discovery.py).
        Index(
            "ix_jobs_listed_cover",
            "point",
            postgresql_using="gist",
            postgresql_include=[
                "id",
                "lat",
                "lng",
                "client_id",
                "applications_close_at",
                "category",
                "professional_types",
                "urgency_rank",
                "job_date",
                "budget_min",
                "budget_max",
                "budget_type",
                "published_at",
                "starts_at",
                "search_vector",
            ],
            postgresql_where=text(LISTED),
        ),
        # For words too rare to meet on a short walk; the types narrow it inside the index.
        Index(
            "ix_jobs_listed_words",
            "search_vector",
            "professional_types",
            postgresql_using="gin",
            postgresql_where=text(LISTED),
        ),
        Index(
            "ix_jobs_listed_published",
            text("published_at DESC"),
            text("id DESC"),
            postgresql_where=text(LISTED),
        ),
        Index("ix_jobs_listed_job_date", "job_date", "id", postgresql_where=text(LISTED)),
        Index("ix_jobs_client_status", "client_id", "status", "created_at"),
        Index(
            "ix_jobs_closing",
            "applications_close_at",
            postgresql_where=text("status IN ('active', 'closed')"),
        ),
        Index(
            "ix_jobs_ending",
            "ends_at",
            postgresql_where=text("status IN ('active', 'closed') AND hired_count > 0"),
        ),
        CheckConstraint(
            "budget_min IS NULL OR budget_min BETWEEN 500 AND 100000", name="budget_min_in_range"
        ),
        CheckConstraint(
            "budget_max IS NULL OR budget_max BETWEEN 500 AND 100000", name="budget_max_in_range"
        ),
        CheckConstraint(
            "budget_min IS NULL OR budget_max IS NULL OR budget_min <= budget_max",
            name="budget_ordered",
        ),
        CheckConstraint("positions BETWEEN 1 AND 20", name="positions_in_range"),
        CheckConstraint("hired_count >= 0 AND hired_count <= positions", name="hires_fit"),
        CheckConstraint(
            "lat IS NULL OR (lat BETWEEN 6.0 AND 37.6 AND lng BETWEEN 68.0 AND 97.5)",
            name="coordinates_in_india",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[JobStatus] = mapped_column(db_enum(JobStatus, "job_status"))
    moderation_status: Mapped[ModerationStatus] = mapped_column(
        db_enum(ModerationStatus, "moderation_status"),
        server_default=ModerationStatus.APPROVED.value,
    )
    moderation_reason: Mapped[str | None] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(40))
    professional_types: Mapped[list[str]] = mapped_column(ARRAY(String(60)), server_default="{}")
    positions: Mapped[int] = mapped_column(SmallInteger, server_default="1")
    hired_count: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    job_date: Mapped[date | None] = mapped_column(Date)
    time_slots: Mapped[list[dict[str, str]]] = mapped_column(JSONB, server_default="[]")
    starts_at: Mapped[datetime | None]  # the first slot's start, as an instant
    ends_at: Mapped[datetime | None]  # the last slot's end
    application_deadline: Mapped[datetime | None]
    # JOB-6: the deadline, or the first slot's start; every read compares it with the clock.
    applications_close_at: Mapped[datetime | None]
    address: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(50))
    state: Mapped[str | None] = mapped_column(String(60))
    pin_code: Mapped[str | None] = mapped_column(String(6))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    point: Mapped[Any] = deferred(
        mapped_column(Point(), Computed("point(lng, lat)", persisted=True), nullable=True)
    )
    venue_details: Mapped[str | None] = mapped_column(String(500))
    access_instructions: Mapped[str | None] = mapped_column(String(500))
    parking_notes: Mapped[str | None] = mapped_column(String(200))
    budget_min: Mapped[int | None] = mapped_column(Integer)
    budget_max: Mapped[int | None] = mapped_column(Integer)
    budget_type: Mapped[BudgetType | None] = mapped_column(db_enum(BudgetType, "budget_type"))
    negotiable: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    urgency: Mapped[Urgency] = mapped_column(
        db_enum(Urgency, "urgency"), server_default=Urgency.NORMAL.value
    )
    urgency_rank: Mapped[int] = mapped_column(
        SmallInteger,
        Computed(
            "CASE urgency WHEN 'Emergency' THEN 3 WHEN 'Urgent' THEN 2 ELSE 1 END", persisted=True
        ),
    )
    search_vector: Mapped[Any] = deferred(
        mapped_column(TSVECTOR, Computed(SEARCH_VECTOR, persisted=True), nullable=True)
    )
    published_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(30))
    finished_at: Mapped[datetime | None]  # expired or completed
    deleted_at: Mapped[datetime | None]
    duplicated_from: Mapped[uuid.UUID | None]
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = touched_column()


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (
        # JOB-13: once per job and applicant, ever (withdrawn ones included).
        UniqueConstraint("job_id", "applicant_id"),
        Index("ix_applications_job_status", "job_id", "status", "created_at"),
        Index("ix_applications_applicant", "applicant_id", "created_at"),
        CheckConstraint(
            "proposed_rate IS NULL OR proposed_rate BETWEEN 500 AND 100000", name="rate_in_range"
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    applicant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[ApplicationStatus] = mapped_column(
        db_enum(ApplicationStatus, "application_status"),
        server_default=ApplicationStatus.PENDING.value,
    )
    message: Mapped[str] = mapped_column(Text)
    proposed_rate: Mapped[int | None] = mapped_column(Integer)
    proposed_budget_type: Mapped[BudgetType | None] = mapped_column(
        db_enum(BudgetType, "budget_type")
    )
    portfolio_item_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()), server_default="{}")
    rejection_reason: Mapped[str | None] = mapped_column(String(300))
    system_reason: Mapped[str | None] = mapped_column(String(20))
    owner_note: Mapped[str | None] = mapped_column(String(500))
    job_snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status_changed_at: Mapped[datetime] = now_column()
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = touched_column()


class SavedJob(Base):
    __tablename__ = "saved_jobs"
    __table_args__ = (Index("ix_saved_jobs_user_created", "user_id", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    )
    # The wall clock, so saves made in one transaction keep their order.
    created_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())


class JobView(Base):
    """JOB-11: one counted view per viewer, job and IST day; never the owner's. The rows are
    the count, so a view never rewrites the job (whose index discovery reads without it)."""

    __tablename__ = "job_views"

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    )
    viewer_key: Mapped[str] = mapped_column(String(70), primary_key=True)
    viewed_on: Mapped[date] = mapped_column(Date, primary_key=True)


class SearchTerm(Base):
    """Every word of published jobs, so a misspelt search word can be replaced by the nearest
    known one (JOB-9); a trigger of migration 0006 fills it."""

    __tablename__ = "search_terms"
    __table_args__ = (
        Index(
            "ix_search_terms_trgm",
            "term",
            postgresql_using="gist",
            postgresql_ops={"term": "gist_trgm_ops"},
        ),
    )

    term: Mapped[str] = mapped_column(String(40), primary_key=True)
