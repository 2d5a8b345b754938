"""Applications: apply once, withdraw, the owner's review and hiring (JOB-13…JOB-15, JOB-18)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts import service as accounts_service
from getmygrapher.availability import service as availability_service
from getmygrapher.billing import service as billing_service
from getmygrapher.core import places
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.pagination import Page, clamp_limit, decode_cursor, encode_cursor
from getmygrapher.core.security import Principal
from getmygrapher.core.time import utcnow
from getmygrapher.jobs.errors import (
    AlreadyApplied,
    ApplicationNotFound,
    InvalidTransition,
    JobNotFound,
    JobNotOpen,
    NoPositionLeft,
)
from getmygrapher.jobs.models import (
    OPEN_APPLICATION,
    Application,
    ApplicationStatus,
    Job,
    JobStatus,
)
from getmygrapher.jobs.repository import JobRepository
from getmygrapher.jobs.schemas import (
    ApplicantSummary,
    ApplicationRead,
    ApplicationUpdate,
    ApplyIn,
    StatusChange,
)
from getmygrapher.jobs.service.common import (
    NOT_FOUND,
    budget,
    is_open,
    reject_open,
    set_status,
    tell_in_chat,
)
from getmygrapher.notifications import service as notifications_service
from getmygrapher.profiles import service as profiles_service

# JOB-14: who may move an application where. Final states have no way out.
OWNER_MOVES: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    ApplicationStatus.PENDING: frozenset(
        {
            ApplicationStatus.UNDER_REVIEW,
            ApplicationStatus.SHORTLISTED,
            ApplicationStatus.REJECTED,
            ApplicationStatus.HIRED,
        }
    ),
    ApplicationStatus.UNDER_REVIEW: frozenset(
        {ApplicationStatus.SHORTLISTED, ApplicationStatus.REJECTED, ApplicationStatus.HIRED}
    ),
    ApplicationStatus.SHORTLISTED: frozenset(
        {ApplicationStatus.UNDER_REVIEW, ApplicationStatus.REJECTED, ApplicationStatus.HIRED}
    ),
}
STATUS_WORDS = {
    "under_review": "is being reviewed",
    "shortlisted": "was shortlisted",
    "rejected": "was not selected",
    "hired": "was accepted (hired)",
    "withdrawn": "was withdrawn",
}


def _snapshot(job: Job) -> dict[str, Any]:
    return {
        "title": job.title,
        "category": job.category,
        "professional_types": list(job.professional_types),
        "job_date": job.job_date.isoformat() if job.job_date else None,
        "time_slots": list(job.time_slots),
        "city": job.city,
        "state": job.state,
        "budget": budget(job).model_dump(mode="json"),
        "urgency": job.urgency.value,
    }


def _read(
    application: Application,
    *,
    for_owner: bool,
    applicant: ApplicantSummary | None = None,
    job: Job | None = None,
) -> ApplicationRead:
    return ApplicationRead(
        id=application.id,
        job_id=application.job_id,
        status=application.status,
        message=application.message,
        proposed_rate=application.proposed_rate,
        proposed_budget_type=application.proposed_budget_type,
        portfolio_item_ids=list(application.portfolio_item_ids),
        rejection_reason=application.rejection_reason,
        system_reason=application.system_reason,
        created_at=application.created_at,
        status_changed_at=application.status_changed_at,
        applicant=applicant,
        owner_note=application.owner_note if for_owner else None,
        job=None if for_owner else application.job_snapshot,
        job_status=job.status if job is not None else None,
    )


async def apply_to_job(
    session: AsyncSession, *, applicant: Principal, job_id: uuid.UUID, data: ApplyIn
) -> ApplicationRead:
    """Once per job, ever (a database constraint), never to one's own or a closed job; uses
    one `job_accepts_per_month` unit in the same transaction."""
    repo = JobRepository(session)
    job = await repo.get(job_id)
    if job is None or job.client_id in await profiles_service.blocked_ids(session, applicant.id):
        raise JobNotFound(NOT_FOUND)
    if job.client_id == applicant.id:
        raise ValidationFailed.field("job_id", "not_allowed", "You cannot apply to your own job.")
    if not is_open(job):
        raise JobNotOpen("This job no longer takes applications.")
    if data.portfolio_item_ids and not await profiles_service.owns_portfolio_items(
        session, user_id=applicant.id, item_ids=data.portfolio_item_ids
    ):
        raise ValidationFailed.field(
            "portfolio_item_ids", "not_allowed", "Attach only your own portfolio items."
        )
    application = await repo.insert_application(
        job_id=job.id,
        applicant_id=applicant.id,
        message=data.message,
        proposed_rate=data.proposed_rate,
        proposed_budget_type=data.proposed_budget_type,
        portfolio_item_ids=list(dict.fromkeys(data.portfolio_item_ids)),
        job_snapshot=_snapshot(job),
    )
    if application is None:
        raise AlreadyApplied("You have already applied to this job.")
    # After the insert, so a duplicate never burns a unit; a refusal rolls the insert back.
    await billing_service.consume(session, user_id=applicant.id, feature="job_accepts_per_month")
    await notifications_service.notify(
        session,
        user_id=job.client_id,
        type_="application_received",
        title=f"New application for {job.title}",
        body=data.message[:200],
        target_type="application",
        target_id=application.id,
    )
    await tell_in_chat(
        session,
        job,
        applicant.id,
        f"Applied for “{job.title}”.",
        "application_sent",
        application.id,
    )
    return _read(application, for_owner=False, job=job)


async def _application_for(
    session: AsyncSession, viewer: Principal, application_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Application, Job, bool]:
    """The application with its job, for its applicant or the job's owner; 404 for others."""
    repo = JobRepository(session)
    application = await repo.application(application_id)
    job = await repo.get(application.job_id, for_update=for_update) if application else None
    if application is None or job is None:
        raise ApplicationNotFound("No application you can see has this id.")
    owner = job.client_id == viewer.id
    if not owner and application.applicant_id != viewer.id:
        raise ApplicationNotFound("No application you can see has this id.")
    if for_update:
        locked = await repo.application(application_id, for_update=True)
        assert locked is not None  # noqa: S101 - it was there a statement ago
        application = locked
    return application, job, owner


async def _summaries(
    session: AsyncSession, applications: list[Application], job: Job
) -> dict[uuid.UUID, ApplicantSummary]:
    ids = [a.applicant_id for a in applications]
    accounts = await accounts_service.account_summaries(session, user_ids=ids)
    profiles = await profiles_service.profiles_of(session, user_ids=ids)
    summaries = {}
    for user_id in ids:
        profile, account = profiles.get(user_id), accounts.get(user_id)
        distance = None
        if profile and profile.lat is not None and job.lat is not None:
            distance = round(
                places.haversine_km(job.lat, job.lng or 0, profile.lat, profile.lng or 0), 1
            )
        summaries[user_id] = ApplicantSummary(
            id=user_id,
            full_name=account.full_name if account else None,
            professional_type=profile.professional_type if profile else None,
            city=profile.city if profile else None,
            experience=profile.experience if profile else None,
            rating=None,  # reviews arrive with their own area
            distance_km=distance,
        )
    return summaries


async def get_application(
    session: AsyncSession, *, viewer: Principal, application_id: uuid.UUID
) -> ApplicationRead:
    application, job, owner = await _application_for(session, viewer, application_id)
    summaries = await _summaries(session, [application], job) if owner else {}
    return _read(
        application, for_owner=owner, applicant=summaries.get(application.applicant_id), job=job
    )


async def list_job_applications(
    session: AsyncSession,
    *,
    owner: Principal,
    job_id: uuid.UUID,
    status: ApplicationStatus | None,
    sort: str,
    limit: int | None,
    cursor: str | None,
) -> Page[ApplicationRead]:
    """JOB-15: the owner only; each with the applicant's public summary, never contact data."""
    repo = JobRepository(session)
    job = await repo.get(job_id)
    if job is None or job.client_id != owner.id:
        raise JobNotFound(NOT_FOUND)
    size = clamp_limit(limit)
    after = decode_cursor(
        cursor, arity=2, types=(int, uuid.UUID) if sort == "rate" else (dt.datetime, uuid.UUID)
    )
    rows = list(
        await repo.job_applications(job.id, status=status, sort=sort, after=after, limit=size)
    )
    items = rows[:size]
    next_cursor = None
    if len(rows) > size and items:
        last = items[-1]
        next_cursor = encode_cursor(
            (last.proposed_rate or 0, last.id) if sort == "rate" else (last.created_at, last.id)
        )
    summaries = await _summaries(session, items, job)
    return Page(
        items=[
            _read(a, for_owner=True, applicant=summaries.get(a.applicant_id), job=job)
            for a in items
        ],
        next_cursor=next_cursor,
    )


async def change_status(
    session: AsyncSession, *, owner: Principal, application_id: uuid.UUID, data: StatusChange
) -> ApplicationRead:
    """The owner's moves (JOB-14); each tells the applicant. Locks the job, then the
    application (STYLE §12), so two hires cannot fill one position twice."""
    application, job, is_owner = await _application_for(
        session, owner, application_id, for_update=True
    )
    if not is_owner:
        raise ApplicationNotFound("No application you can see has this id.")
    target = ApplicationStatus(data.status)
    if target not in OWNER_MOVES.get(application.status, frozenset()):
        raise InvalidTransition(
            f"An application that is {application.status.value} cannot become {target.value}."
        )
    if target is ApplicationStatus.HIRED:
        await _hire(session, job, application)
    else:
        await set_status(
            session,
            application,
            target,
            reason=data.reason if target is ApplicationStatus.REJECTED else None,
        )
    await notifications_service.notify(
        session,
        user_id=application.applicant_id,
        type_="application_status",
        title=f"Your application for {job.title} {STATUS_WORDS[target.value]}",
        body=data.reason or "",
        target_type="application",
        target_id=application.id,
    )
    await tell_in_chat(
        session,
        job,
        application.applicant_id,
        f"The application for “{job.title}” {STATUS_WORDS[target.value]}.",
        "hired" if target is ApplicationStatus.HIRED else "status_changed",
        application.id,
    )
    summaries = await _summaries(session, [application], job)
    return _read(
        application, for_owner=True, applicant=summaries[application.applicant_id], job=job
    )


async def _hire(session: AsyncSession, job: Job, application: Application) -> None:
    """A position must be open on an active job; filling the last one closes the job."""
    if job.status is not JobStatus.ACTIVE:
        raise JobNotOpen("Hiring needs an active job.")
    if job.hired_count >= job.positions:
        raise NoPositionLeft("Every position is already filled.")
    await set_status(session, application, ApplicationStatus.HIRED)
    await availability_service.book_from_hire(
        session,
        professional_id=application.applicant_id,
        client_id=job.client_id,
        job_id=job.id,
        application_id=application.id,
        slots=_hire_slots(job),
        amount=application.proposed_rate,
        place=(job.lat, job.lng),
        location=job.city,
    )
    job.hired_count += 1
    job.version += 1
    if job.hired_count >= job.positions:
        job.status, job.closed_at, job.close_reason = JobStatus.CLOSED, utcnow(), "filled"
        await reject_open(session, job, reason="position_filled", exclude=application.id)
    await session.flush()


def _hire_slots(job: Job) -> list[availability_service.HireSlot]:
    """JOB-14: one booking per slot of the job's date."""
    if job.job_date is None:
        return []
    return [
        availability_service.HireSlot(
            day=job.job_date,
            starts=dt.time.fromisoformat(slot["start"]),
            ends=dt.time.fromisoformat(slot["end"]),
        )
        for slot in job.time_slots
    ]


async def withdraw(
    session: AsyncSession, *, applicant: Principal, application_id: uuid.UUID
) -> ApplicationRead:
    """The applicant only, from pending, under review or shortlisted; the unit stays used."""
    application, job, owner = await _application_for(
        session, applicant, application_id, for_update=True
    )
    if application.applicant_id != applicant.id:
        raise ApplicationNotFound("No application you can see has this id.")
    if application.status not in OPEN_APPLICATION:
        raise InvalidTransition(f"A {application.status.value} application cannot be withdrawn.")
    await set_status(session, application, ApplicationStatus.WITHDRAWN)
    await notifications_service.notify(
        session,
        user_id=job.client_id,
        type_="application_status",
        title=f"An application for {job.title} was withdrawn",
        body="",
        target_type="application",
        target_id=application.id,
    )
    await tell_in_chat(
        session,
        job,
        application.applicant_id,
        f"The application for “{job.title}” was withdrawn.",
        "withdrawn",
        application.id,
    )
    return _read(application, for_owner=owner, job=job)


async def update_application(
    session: AsyncSession, *, viewer: Principal, application_id: uuid.UUID, data: ApplicationUpdate
) -> ApplicationRead:
    """The owner keeps a private note; the applicant may change the proposed rate while the
    application is open. The message itself never changes."""
    application, job, owner = await _application_for(
        session, viewer, application_id, for_update=True
    )
    sent = data.model_fields_set
    if owner and sent - {"owner_note"}:
        raise ValidationFailed.field("proposed_rate", "not_allowed", "Only the applicant sets it.")
    if not owner and sent - {"proposed_rate"}:
        raise ValidationFailed.field("owner_note", "not_allowed", "Only the job's owner sets it.")
    if owner:
        application.owner_note = data.owner_note
    else:
        if application.status not in OPEN_APPLICATION:
            raise InvalidTransition("The application is final.")
        application.proposed_rate = data.proposed_rate
    application.version += 1
    await session.flush()
    summaries = await _summaries(session, [application], job) if owner else {}
    return _read(
        application, for_owner=owner, applicant=summaries.get(application.applicant_id), job=job
    )


async def my_applications(
    session: AsyncSession,
    *,
    applicant: Principal,
    status: ApplicationStatus | None,
    limit: int | None,
    cursor: str | None,
) -> Page[ApplicationRead]:
    """JOB-18: each with the job as it stood when applied, and its current status."""
    repo = JobRepository(session)
    size = clamp_limit(limit)
    after = decode_cursor(cursor, arity=2)
    rows = list(
        await repo.my_applications(
            applicant.id, status=status, after=(after[0], after[1]) if after else None, limit=size
        )
    )
    items = rows[:size]
    jobs = await repo.many([a.job_id for a in items])
    next_cursor = (
        encode_cursor((items[-1].created_at, items[-1].id)) if len(rows) > size and items else None
    )
    return Page(
        items=[_read(a, for_owner=False, job=jobs.get(a.job_id)) for a in items],
        next_cursor=next_cursor,
    )
