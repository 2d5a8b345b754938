"""The client's dashboard of posted jobs, by tab (JOB-12)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.pagination import clamp_limit, decode_cursor, encode_cursor
from getmygrapher.core.security import Principal
from getmygrapher.jobs.models import JobStatus
from getmygrapher.jobs.repository import JobRepository
from getmygrapher.jobs.schemas import MyJobs
from getmygrapher.jobs.service.common import job_reads


async def my_jobs(
    session: AsyncSession,
    *,
    owner: Principal,
    tab: JobStatus,
    limit: int | None,
    cursor: str | None,
) -> MyJobs:
    """One tab, newest first, with every tab's total; each job carries its application
    counts by status and how many are new."""
    repo = JobRepository(session)
    size = clamp_limit(limit)
    after = decode_cursor(cursor, arity=2)
    rows = list(
        await repo.my_jobs(owner.id, tab, after=(after[0], after[1]) if after else None, limit=size)
    )
    items = rows[:size]
    next_cursor = (
        encode_cursor((items[-1].created_at, items[-1].id)) if len(rows) > size and items else None
    )
    found = await repo.tab_totals(owner.id)
    totals = {status.value: found.get(status.value, 0) for status in JobStatus}
    return MyJobs(
        tab=tab.value,
        totals=totals,
        items=await job_reads(session, items, viewer=owner),
        next_cursor=next_cursor,
    )
