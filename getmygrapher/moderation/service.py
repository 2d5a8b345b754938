"""Reports (PV-2, ADM-3): filed here; the moderators' queue and actions join later."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.moderation.errors import ReportAlreadyOpen
from getmygrapher.moderation.models import Report, ReportStatus


async def file_report(
    session: AsyncSession,
    *,
    reporter_id: uuid.UUID,
    target_type: str,
    target_id: uuid.UUID,
    reason: str,
    details: str | None,
    snapshot: dict[str, Any],
) -> Report:
    """One open report per reporter and target; the snapshot keeps what was reported."""
    stmt = (
        pg_insert(Report)
        .values(
            reporter_id=reporter_id,
            target_type=target_type,
            target_id=target_id,
            reason=reason,
            details=details,
            snapshot=snapshot,
        )
        .on_conflict_do_nothing()
        .returning(Report)
    )
    report = await session.scalar(stmt)
    if report is None:
        raise ReportAlreadyOpen("You already reported this; it is being reviewed.")
    return report


async def open_reporters(session: AsyncSession, *, target_type: str, target_id: uuid.UUID) -> int:
    """How many different people have an open report on this target (JOB-7, CPL-10)."""
    count = await session.scalar(
        select(func.count(func.distinct(Report.reporter_id))).where(
            Report.target_type == target_type,
            Report.target_id == target_id,
            Report.status.in_((ReportStatus.PENDING, ReportStatus.REVIEWED)),
        )
    )
    return int(count or 0)
