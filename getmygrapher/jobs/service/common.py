"""Shared pieces of the job use-cases: loading with visibility, projections, system moves."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts import service as accounts_service
from getmygrapher.core.security import Principal
from getmygrapher.core.time import utcnow
from getmygrapher.jobs.errors import JobNotFound
from getmygrapher.jobs.models import (
    Application,
    ApplicationStatus,
    Job,
    JobStatus,
    ModerationStatus,
)
from getmygrapher.jobs.repository import JobRepository
from getmygrapher.jobs.schemas import ApplicationCounts, Budget, ClientSummary, JobRead
from getmygrapher.messaging import service as messaging_service
from getmygrapher.notifications import service as notifications_service

NOT_FOUND = "This job does not exist or is not visible to you."


def is_open(job: Job) -> bool:
    """JOB-6: open for applications, by the clock, whatever the background jobs have done."""
    return (
        job.status is JobStatus.ACTIVE
        and job.moderation_status is ModerationStatus.APPROVED
        and job.deleted_at is None
        and job.applications_close_at is not None
        and job.applications_close_at > utcnow()
    )


async def own_job(
    session: AsyncSession, owner: Principal, job_id: uuid.UUID, *, for_update: bool = True
) -> Job:
    job = await JobRepository(session).get(job_id, for_update=for_update)
    if job is None or job.client_id != owner.id:
        raise JobNotFound(NOT_FOUND)
    return job


def budget(job: Job) -> Budget:
    return Budget(
        min_rupees=job.budget_min,
        max_rupees=job.budget_max,
        type=job.budget_type,
        negotiable=job.negotiable,
    )


def _privileged(viewer: Principal | None, job: Job) -> bool:
    """The owner, and moderators reviewing it (JOB-7), see everything about a job."""
    return viewer is not None and (viewer.id == job.client_id or viewer.acts_as_staff)


async def job_reads(
    session: AsyncSession, jobs: Sequence[Job], *, viewer: Principal | None
) -> list[JobRead]:
    """Everyone sees the listing; only the owner sees the address, exact coordinates,
    venue notes, moderation and counters (GEN-11, JOB-11)."""
    repo = JobRepository(session)
    ids = [job.id for job in jobs]
    accounts = await accounts_service.account_summaries(
        session, user_ids=list({job.client_id for job in jobs})
    )
    privileged = [j.id for j in jobs if _privileged(viewer, j)]
    views = await repo.view_counts(privileged)
    counts = await repo.counts(privileged)
    saved = await repo.saved_ids(viewer.id, ids) if viewer else set()
    applied = await repo.applied_to(viewer.id, ids) if viewer else set()
    reads = []
    for job in jobs:
        own = _privileged(viewer, job)
        account = accounts.get(job.client_id)
        read = JobRead(
            id=job.id,
            client=ClientSummary(
                id=job.client_id, full_name=account.full_name if account else None
            ),
            status=job.status,
            title=job.title,
            description=job.description,
            category=job.category,
            professional_types=list(job.professional_types),
            positions=job.positions,
            job_date=job.job_date,
            time_slots=list(job.time_slots),
            starts_at=job.starts_at,
            application_deadline=job.application_deadline,
            applications_close_at=job.applications_close_at,
            open_for_applications=is_open(job),
            city=job.city,
            state=job.state,
            pin_code=job.pin_code,
            budget=budget(job),
            urgency=job.urgency,
            published_at=job.published_at,
            created_at=job.created_at,
            saved=job.id in saved,
            applied=job.id in applied,
        )
        if own:
            by_status = counts.get(job.id, {})
            read = read.model_copy(
                update={
                    "address": job.address,
                    "lat": job.lat,
                    "lng": job.lng,
                    "venue_details": job.venue_details,
                    "access_instructions": job.access_instructions,
                    "parking_notes": job.parking_notes,
                    "moderation_status": job.moderation_status.value,
                    "moderation_reason": job.moderation_reason,
                    "views_count": views.get(job.id, 0),
                    "hired_count": job.hired_count,
                    "version": job.version,
                    "applications": ApplicationCounts(
                        total=sum(by_status.values()),
                        new=by_status.get("pending", 0),
                        by_status=by_status,
                    ),
                }
            )
        reads.append(read)
    return reads


def card(r: Mapping[str, Any]) -> dict[str, Any]:
    """One discovery row (a SQL row, not an ORM object) as a JobCard's fields, in its order,
    ready for JSON: the database has typed every value already."""
    relevance = r.get("relevance")
    distance = r["distance"]
    description = r["description"]
    return {
        "id": r["id"],
        "title": r["title"],
        "description": description[:200] if description else None,
        "category": r["category"],
        "professional_types": list(r["professional_types"]),
        "job_date": r["job_date"],
        "starts_at": r["starts_at"],
        "applications_close_at": r["applications_close_at"],
        "city": r["city"],
        "state": r["state"],
        "budget": {
            "min_rupees": r["budget_min"],
            "max_rupees": r["budget_max"],
            "type": r["budget_type"],
            "negotiable": r["negotiable"],
        },
        "urgency": r["urgency"],
        "positions": r["positions"],
        "published_at": r["published_at"],
        "distance_km": round(float(distance), 1) if distance is not None else None,
        "relevance": float(relevance) if relevance is not None else None,
    }


async def reject_open(
    session: AsyncSession, job: Job, *, reason: str, exclude: uuid.UUID | None = None
) -> int:
    """When the system closes, expires or completes a job, open applications are rejected
    with a reason the applicant sees, and each applicant is told (JOB-5)."""
    rows = await JobRepository(session).open_applications(job.id, exclude=exclude)
    sentence = {
        "position_filled": "All positions were filled.",
        "job_expired": "Applications closed without a hire.",
        "job_closed": "The job was closed.",
    }.get(reason, "The job changed.")
    for application in rows:
        await set_status(session, application, ApplicationStatus.REJECTED, system_reason=reason)
        await notifications_service.notify(
            session,
            user_id=application.applicant_id,
            type_="application_status",
            title=f"Update on {job.title}",
            body=sentence,
            target_type="application",
            target_id=application.id,
        )
        await tell_in_chat(
            session,
            job,
            application.applicant_id,
            f"{job.title}: {sentence}",
            reason,
            application.id,
        )
    return len(rows)


async def set_status(
    session: AsyncSession,
    application: Application,
    status: ApplicationStatus,
    *,
    reason: str | None = None,
    system_reason: str | None = None,
) -> None:
    application.status = status
    application.status_changed_at = utcnow()
    if reason is not None:
        application.rejection_reason = reason
    if system_reason is not None:
        application.system_reason = system_reason
    application.version += 1
    await session.flush()


async def job_facts(session: AsyncSession, job_id: uuid.UUID) -> messaging_service.JobFacts | None:
    """For messaging (job inquiries, teams), which does not read jobs itself."""
    repo = JobRepository(session)
    job = await repo.get(job_id)
    if job is None:
        return None
    return messaging_service.JobFacts(
        id=job.id,
        client_id=job.client_id,
        title=job.title,
        active=is_open(job),
        hired_ids=frozenset(await repo.hired_ids(job.id)),
    )


async def tell_in_chat(
    session: AsyncSession,
    job: Job,
    applicant_id: uuid.UUID,
    text: str,
    event: str,
    application_id: uuid.UUID,
) -> None:
    """MSG-18: what happens to an application appears in the two people's conversation,
    opened if needed without using either side's quota (JOB-13)."""
    await messaging_service.post_between(
        session,
        applicant_id,
        job.client_id,
        text=text,
        job_id=job.id,
        data={"event": event, "application_id": str(application_id), "job_id": str(job.id)},
    )
