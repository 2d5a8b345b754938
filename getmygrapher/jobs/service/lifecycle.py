"""What the clock does to jobs (JOB-2, JOB-5): expiry, closing at the deadline, completion,
and old drafts; plus what an account's deletion and export need from this area."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.time import utcnow
from getmygrapher.jobs.models import (
    Application,
    ApplicationStatus,
    Job,
    JobStatus,
    JobView,
    SavedJob,
)
from getmygrapher.jobs.repository import COMPLETION_DELAY, JobRepository
from getmygrapher.jobs.service.common import reject_open, set_status
from getmygrapher.notifications import service as notifications_service

DRAFT_LIFETIME = dt.timedelta(days=90)


async def finish_due(
    session: AsyncSession, *, now: dt.datetime | None = None, batch: int = 500
) -> int:
    """Move every job the clock has overtaken; readers never wait for this, because they
    compare the deadline with the clock themselves (JOB-6)."""
    now = now or utcnow()
    repo = JobRepository(session)
    moved = 0
    for job_id in await repo.due_to_finish(now, limit=batch):
        job = await repo.get(job_id, for_update=True)
        if job is None or job.status not in {JobStatus.ACTIVE, JobStatus.CLOSED}:
            continue
        moved += await _finish(session, job, now)
    return moved


async def _finish(session: AsyncSession, job: Job, now: dt.datetime) -> int:
    closed = job.applications_close_at is not None and job.applications_close_at <= now
    if job.hired_count > 0 and job.ends_at is not None and job.ends_at <= now - COMPLETION_DELAY:
        job.status, job.finished_at = JobStatus.COMPLETED, now
        reason = "job_closed"
    elif closed and job.hired_count == 0:
        job.status, job.finished_at = JobStatus.EXPIRED, now
        reason = "job_expired"
    elif closed and job.status is JobStatus.ACTIVE:
        job.status, job.closed_at, job.close_reason = JobStatus.CLOSED, now, "deadline"
        reason = "job_closed"
    else:
        return 0
    job.version += 1
    await reject_open(session, job, reason=reason)
    return 1


async def delete_stale_drafts(session: AsyncSession, *, now: dt.datetime | None = None) -> int:
    """JOB-2: drafts nobody touched for 90 days go; nobody else ever saw them."""
    cutoff = (now or utcnow()) - DRAFT_LIFETIME
    result = await session.execute(
        delete(Job).where(Job.status == JobStatus.DRAFT, Job.updated_at < cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def export_user(session: AsyncSession, *, user_id: uuid.UUID) -> dict[str, Any]:
    """DATA-1: the jobs this person posted, their applications and saved jobs."""
    jobs = (
        await session.scalars(
            select(Job)
            .where(Job.client_id == user_id, Job.deleted_at.is_(None))
            .order_by(Job.created_at)
        )
    ).all()
    applications = (
        await session.scalars(
            select(Application)
            .where(Application.applicant_id == user_id)
            .order_by(Application.created_at)
        )
    ).all()
    saved = (
        await session.scalars(select(SavedJob.job_id).where(SavedJob.user_id == user_id))
    ).all()
    return {
        "jobs": [
            {
                "id": str(job.id),
                "status": job.status.value,
                "title": job.title,
                "description": job.description,
                "category": job.category,
                "professional_types": list(job.professional_types),
                "job_date": job.job_date.isoformat() if job.job_date else None,
                "time_slots": list(job.time_slots),
                "address": job.address,
                "city": job.city,
                "state": job.state,
                "pin_code": job.pin_code,
                "budget_min": job.budget_min,
                "budget_max": job.budget_max,
                "created_at": job.created_at.isoformat(),
            }
            for job in jobs
        ],
        "applications": [
            {
                "id": str(a.id),
                "job_id": str(a.job_id),
                "status": a.status.value,
                "message": a.message,
                "proposed_rate": a.proposed_rate,
                "job": a.job_snapshot,
                "created_at": a.created_at.isoformat(),
            }
            for a in applications
        ],
        "saved_jobs": [str(job_id) for job_id in saved],
    }


async def on_deletion_requested(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """DATA-2, when deletion is asked for: open applications are withdrawn and active jobs
    close, telling the other side."""
    repo = JobRepository(session)
    for job in await repo.active_jobs_of(user_id):  # jobs before applications (STYLE §12)
        job.status, job.closed_at, job.close_reason = JobStatus.CLOSED, utcnow(), "owner"
        job.version += 1
    for application in await repo.open_applications_by(user_id):
        applied_to = await repo.get(application.job_id)
        await set_status(session, application, ApplicationStatus.WITHDRAWN)
        if applied_to is not None:
            await notifications_service.notify(
                session,
                user_id=applied_to.client_id,
                type_="application_status",
                title=f"An application for {applied_to.title} was withdrawn",
                body="",
                target_type="application",
                target_id=application.id,
            )
    await session.flush()


async def erase_user(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """DATA-2, when the cooling-off ends: saved jobs go; posted jobs leave every list and
    lose their address and venue notes; what others applied with stays theirs."""
    await session.execute(delete(SavedJob).where(SavedJob.user_id == user_id))
    await session.execute(delete(JobView).where(JobView.viewer_key == f"u:{user_id}"))
    await session.execute(
        update(Job)
        .where(Job.client_id == user_id)
        .values(
            deleted_at=func.coalesce(Job.deleted_at, func.now()),
            address=None,
            venue_details=None,
            access_instructions=None,
            parking_notes=None,
        )
    )
