"""Reports on jobs and the moderators' hide and restore (JOB-7)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core import audit
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.security import Principal
from getmygrapher.jobs.errors import JobNotFound
from getmygrapher.jobs.models import Job, ModerationStatus
from getmygrapher.jobs.repository import JobRepository
from getmygrapher.jobs.schemas import JobRead
from getmygrapher.jobs.service.common import NOT_FOUND, is_open, job_reads
from getmygrapher.moderation import service as moderation_service
from getmygrapher.notifications import service as notifications_service
from getmygrapher.profiles import service as profiles_service

# Three different people with open reports take a job down until a moderator looks.
FLAG_AT_REPORTERS = 3


async def report_job(
    session: AsyncSession,
    *,
    reporter: Principal,
    job_id: uuid.UUID,
    reason: str,
    details: str | None,
) -> uuid.UUID:
    """One open report per reporter and job, keeping a snapshot of what was shown."""
    repo = JobRepository(session)
    job = await repo.get(job_id, for_update=True)
    if (
        job is None
        or not is_open(job)
        or job.client_id in await profiles_service.blocked_ids(session, reporter.id)
    ):
        raise JobNotFound(NOT_FOUND)
    if job.client_id == reporter.id:
        raise ValidationFailed.field("job_id", "not_allowed", "You cannot report your own job.")
    report = await moderation_service.file_report(
        session,
        reporter_id=reporter.id,
        target_type="job",
        target_id=job.id,
        reason=reason,
        details=details,
        snapshot={
            "title": job.title,
            "description": job.description,
            "city": job.city,
            "client_id": str(job.client_id),
        },
    )
    reporters = await moderation_service.open_reporters(
        session, target_type="job", target_id=job.id
    )
    if reporters >= FLAG_AT_REPORTERS and job.moderation_status is ModerationStatus.APPROVED:
        job.moderation_status, job.moderation_reason = ModerationStatus.FLAGGED, "reported"
        job.version += 1
        await _tell_owner(
            session,
            job,
            "is hidden while a moderator reviews reports about it",
            "Several people reported this job.",
        )
    return report.id


async def moderate_job(
    session: AsyncSession, *, moderator: Principal, job_id: uuid.UUID, hide: bool, reason: str
) -> JobRead:
    """Hide a job from everyone but its owner, or restore it; audited, and the owner is
    told why (the appeal goes through ADM-5)."""
    job = await JobRepository(session).get(job_id, for_update=True)
    if job is None:
        raise JobNotFound(NOT_FOUND)
    job.moderation_status = ModerationStatus.REJECTED if hide else ModerationStatus.APPROVED
    job.moderation_reason = reason
    job.version += 1
    await audit.record(
        session,
        actor_id=moderator.id,
        action="job.hidden" if hide else "job.restored",
        target_type="job",
        target_id=job.id,
        reason=reason,
    )
    await _tell_owner(
        session, job, "was hidden by a moderator" if hide else "is visible again", reason
    )
    [read] = await job_reads(session, [job], viewer=moderator)
    return read


async def _tell_owner(session: AsyncSession, job: Job, what: str, why: str) -> None:
    await notifications_service.notify(
        session,
        user_id=job.client_id,
        type_="moderation_outcome",
        title=f"{job.title} {what}",
        body=why,
        target_type="job",
        target_id=job.id,
    )
