"""Reports from users about profiles and other content (ADM-3); the queue comes with moderation."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from getmygrapher.core.db import Base, now_column, uuid_pk
from getmygrapher.core.enums import db_enum


class ReportStatus(enum.StrEnum):
    PENDING = "pending"
    REVIEWED = "reviewed"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        # One open report per reporter and target (PV-2, CPL-10).
        Index(
            "uq_reports_open",
            "reporter_id",
            "target_type",
            "target_id",
            unique=True,
            postgresql_where=text("status IN ('pending', 'reviewed')"),
        ),
        Index("ix_reports_queue", "status", "created_at"),
        Index("ix_reports_target", "target_type", "target_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    reporter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[uuid.UUID]
    reason: Mapped[str] = mapped_column(String(40))
    details: Mapped[str | None] = mapped_column(String(1000))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    status: Mapped[ReportStatus] = mapped_column(
        db_enum(ReportStatus, "report_status"), server_default=ReportStatus.PENDING.value
    )
    created_at: Mapped[datetime] = now_column()


class Block(Base):
    """GEN-15: a block works both ways; who blocked whom is kept for unblocking and lists."""

    __tablename__ = "blocks"
    __table_args__ = (
        Index("ix_blocks_blocked_id", "blocked_id"),
        CheckConstraint("blocker_id <> blocked_id", name="not_self"),
    )

    blocker_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = now_column()
