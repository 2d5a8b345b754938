"""A client's side of a job: post, edit, and every move of the state machine (JOB-1…JOB-7)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.billing import service as billing_service
from getmygrapher.core import content, places
from getmygrapher.core.errors import PreconditionFailed, ValidationFailed
from getmygrapher.core.security import Principal
from getmygrapher.core.taxonomy import CATEGORIES
from getmygrapher.core.time import IST, today_ist, utcnow
from getmygrapher.jobs.errors import (
    HasApplications,
    InvalidTransition,
    JobLocked,
    TooManyDrafts,
)
from getmygrapher.jobs.models import Job, JobStatus, ModerationStatus, Urgency
from getmygrapher.jobs.repository import JobRepository
from getmygrapher.jobs.schemas import JobCreate, JobFields, JobRead, JobUpdate
from getmygrapher.jobs.service.common import job_reads, own_job, reject_open
from getmygrapher.notifications import service as notifications_service

MAX_DRAFTS = 20
HORIZON_DAYS = 365
# JOB-3: once someone has applied, these describe what they applied for and stay fixed.
LOCKED_AFTER_APPLICATION = frozenset(
    {
        "job_date",
        "time_slots",
        "address",
        "city",
        "state",
        "pin_code",
        "lat",
        "lng",
        "budget_min",
        "budget_max",
        "budget_type",
        "professional_types",
        "positions",
        "category",
    }
)
NEVER_EMPTY = frozenset({"positions", "negotiable", "urgency"})
REQUIRED_TO_PUBLISH = (
    "description",
    "category",
    "professional_types",
    "job_date",
    "time_slots",
    "address",
    "city",
    "state",
    "pin_code",
    "lat",
    "budget_min",
    "budget_max",
    "budget_type",
)


def _apply_fields(job: Job, data: JobFields, sent: set[str]) -> None:
    for name in sorted(sent):
        if name in {"publish", "time_slots"}:
            continue
        value = getattr(data, name)
        if value is None and name in NEVER_EMPTY:
            raise ValidationFailed.field(name, "required_field", "This field cannot be empty.")
        setattr(job, name, [] if value is None and name == "professional_types" else value)
    if "time_slots" in sent:
        slots = data.time_slots
        job.time_slots = (
            [{"start": s.start.strftime("%H:%M"), "end": s.end.strftime("%H:%M")} for s in slots]
            if slots
            else []
        )
    if (
        job.budget_min is not None
        and job.budget_max is not None
        and job.budget_min > job.budget_max
    ):
        raise ValidationFailed.field(
            "budget_min", "out_of_range", "The minimum budget exceeds the maximum."
        )
    if "pin_code" in sent and data.pin_code and "lat" not in sent:
        place = places.resolve_pin(data.pin_code)
        if place is None:
            raise ValidationFailed.field("pin_code", "invalid_format", "This PIN code is unknown.")
        job.lat, job.lng = place.lat, place.lng
        if "city" not in sent or not job.city:
            job.city = place.name
        if "state" not in sent or not job.state:
            job.state = place.state
    _derive_times(job)


def _derive_times(job: Job) -> None:
    """Slots are wall-clock times on the job's Indian date; deadlines are instants."""
    if job.job_date is None or not job.time_slots:
        job.starts_at = job.ends_at = None
    else:
        first = dt.time.fromisoformat(job.time_slots[0]["start"])
        last = dt.time.fromisoformat(job.time_slots[-1]["end"])
        job.starts_at = dt.datetime.combine(job.job_date, first, tzinfo=IST).astimezone(dt.UTC)
        job.ends_at = dt.datetime.combine(job.job_date, last, tzinfo=IST).astimezone(dt.UTC)
    job.applications_close_at = job.application_deadline or job.starts_at


def _check_publishable(job: Job) -> None:
    """JOB-1, run when a job goes live: every field present and consistent."""
    errors = [
        {"field": name, "code": "required_field", "message": "Required to publish."}
        for name in REQUIRED_TO_PUBLISH
        if getattr(job, name) in (None, [], "")
    ]
    if errors:
        raise ValidationFailed("Complete the job before publishing it.", errors=errors)
    assert job.category is not None  # noqa: S101 - checked just above
    allowed = CATEGORIES[job.category]["types"]
    for index, name in enumerate(job.professional_types):
        if name not in allowed:
            raise ValidationFailed.field(
                f"professional_types.{index}",
                "not_allowed",
                f"{name!r} is not a type of {job.category}.",
            )
    today = today_ist()
    assert job.job_date is not None  # noqa: S101
    if not today <= job.job_date <= today + dt.timedelta(days=HORIZON_DAYS):
        raise ValidationFailed.field(
            "job_date", "out_of_range", "The job date is from today up to a year ahead."
        )
    if job.starts_at is None or job.starts_at <= utcnow():
        raise ValidationFailed.field(
            "time_slots", "out_of_range", "The first slot must still be ahead."
        )
    if job.application_deadline is not None and (
        job.application_deadline >= job.starts_at or job.application_deadline <= utcnow()
    ):
        raise ValidationFailed.field(
            "application_deadline",
            "out_of_range",
            "The deadline falls between now and the first slot.",
        )
    if job.lat is None or not places.in_india(job.lat, job.lng or 0):
        raise ValidationFailed.field("lat", "out_of_range", "The place must be in India.")


async def _publish(session: AsyncSession, job: Job) -> None:
    """draft → active; uses one `job_posts_per_month` unit in this transaction."""
    _check_publishable(job)
    await billing_service.consume(session, user_id=job.client_id, feature="job_posts_per_month")
    job.status, job.published_at = JobStatus.ACTIVE, utcnow()
    await _screen(session, job)


async def _screen(session: AsyncSession, job: Job) -> None:
    """JOB-7: text that tries to get round the filters waits for a moderator; the owner is
    told why. Clean text never lifts a hold a moderator or the reports put on."""
    reason = content.held_reason(
        job.title,
        job.description,
        job.venue_details,
        job.access_instructions,
        job.parking_notes,
        job.address,
    )
    if reason is None or job.moderation_status is not ModerationStatus.APPROVED:
        return
    job.moderation_status, job.moderation_reason = ModerationStatus.PENDING, reason
    await notifications_service.notify(
        session,
        user_id=job.client_id,
        type_="moderation_outcome",
        title=f"{job.title} is waiting for review",
        body="Something in the text needs a moderator's look before others can see the job.",
        target_type="job",
        target_id=job.id,
    )


async def create_job(session: AsyncSession, *, client: Principal, data: JobCreate) -> JobRead:
    """A draft (only a title needed, at most 20) or a published job; the owner, status,
    counters and moderation come from the server."""
    repo = JobRepository(session)
    await repo.lock_client(client.id)
    if not data.publish and await repo.count_drafts(client.id) >= MAX_DRAFTS:
        raise TooManyDrafts("At most 20 drafts: publish or delete one first.", limit=MAX_DRAFTS)
    job = Job(
        client_id=client.id,
        status=JobStatus.DRAFT,
        title=data.title,
        urgency=data.urgency or Urgency.NORMAL,
        positions=data.positions or 1,
        negotiable=bool(data.negotiable),
        professional_types=[],
        time_slots=[],
    )
    sent = data.model_fields_set - {"publish", "title"}
    _apply_fields(job, data, sent)
    job.urgency, job.positions = data.urgency or Urgency.NORMAL, data.positions or 1
    job.negotiable = bool(data.negotiable)
    await repo.add(job)
    if data.publish:
        await _publish(session, job)
        await session.flush()
    [read] = await job_reads(session, [job], viewer=client)
    return read


async def update_job(
    session: AsyncSession,
    *,
    owner: Principal,
    job_id: uuid.UUID,
    data: JobUpdate,
    if_match: int | None,
) -> JobRead:
    """JOB-3: a partial update changes only what is sent. Once someone has applied, what they
    applied for is locked and the deadline only moves later; applicants hear of each edit."""
    job = await own_job(session, owner, job_id)
    if if_match is not None and if_match != job.version:
        raise PreconditionFailed("The job changed since you read it.", current_version=job.version)
    if job.status in {JobStatus.EXPIRED, JobStatus.COMPLETED}:
        raise InvalidTransition("An expired or completed job can no longer change.")
    sent = set(data.model_fields_set)
    if "title" in sent and data.title is None:
        raise ValidationFailed.field("title", "required_field", "A job needs a title.")
    repo = JobRepository(session)
    locked = await repo.has_live_applications(job.id)
    if locked:
        blocked = sorted(sent & LOCKED_AFTER_APPLICATION)
        if blocked:
            raise JobLocked(
                "Someone has applied: these fields can no longer change.", fields=blocked
            )
        if "application_deadline" in sent and (
            data.application_deadline is None
            or job.application_deadline is None
            or data.application_deadline < job.application_deadline
        ):
            raise JobLocked("Someone has applied: the deadline can only move later.")
    _apply_fields(job, data, sent)
    if job.status is JobStatus.ACTIVE:
        _check_publishable(job)
        await _screen(session, job)
    job.version += 1
    await session.flush()
    if locked:
        for applicant_id in await repo.applicant_ids(job.id):
            await notifications_service.notify(
                session,
                user_id=applicant_id,
                type_="application_status",
                title=f"{job.title} was updated",
                body="The client edited the job details.",
                target_type="job",
                target_id=job.id,
            )
    [read] = await job_reads(session, [job], viewer=owner)
    return read


async def publish_job(session: AsyncSession, *, owner: Principal, job_id: uuid.UUID) -> JobRead:
    job = await own_job(session, owner, job_id)
    if job.status is not JobStatus.DRAFT:
        raise InvalidTransition("Only a draft can be published.")
    await _publish(session, job)
    job.version += 1
    await session.flush()
    [read] = await job_reads(session, [job], viewer=owner)
    return read


async def close_job(session: AsyncSession, *, owner: Principal, job_id: uuid.UUID) -> JobRead:
    """active → closed by the owner; open applications wait for a reopening or the expiry."""
    job = await own_job(session, owner, job_id)
    if job.status is not JobStatus.ACTIVE:
        raise InvalidTransition("Only an active job can be closed.")
    job.status, job.closed_at, job.close_reason = JobStatus.CLOSED, utcnow(), "owner"
    job.version += 1
    await session.flush()
    [read] = await job_reads(session, [job], viewer=owner)
    return read


async def reopen_job(session: AsyncSession, *, owner: Principal, job_id: uuid.UUID) -> JobRead:
    """closed → active while applications are still open and a position is free (no quota)."""
    job = await own_job(session, owner, job_id)
    if job.status is not JobStatus.CLOSED:
        raise InvalidTransition("Only a closed job can be reopened.")
    if (
        job.applications_close_at is None
        or job.applications_close_at <= utcnow()
        or job.hired_count >= job.positions
    ):
        raise InvalidTransition("Applications have closed or every position is filled.")
    job.status, job.closed_at, job.close_reason = JobStatus.ACTIVE, None, None
    job.version += 1
    await session.flush()
    [read] = await job_reads(session, [job], viewer=owner)
    return read


async def extend_job(
    session: AsyncSession, *, owner: Principal, job_id: uuid.UUID, deadline: dt.datetime
) -> JobRead:
    """Move the deadline later, never past the first slot (JOB-12)."""
    job = await own_job(session, owner, job_id)
    if job.status not in {JobStatus.ACTIVE, JobStatus.CLOSED}:
        raise InvalidTransition("Only an active or closed job can be extended.")
    current = job.applications_close_at
    if (
        deadline.tzinfo is None
        or (current is not None and deadline <= current)
        or job.starts_at is None
        or deadline >= job.starts_at
        or deadline <= utcnow()
    ):
        raise ValidationFailed.field(
            "application_deadline",
            "out_of_range",
            "Later than now and the current deadline, before the first slot.",
        )
    job.application_deadline = deadline
    _derive_times(job)
    job.version += 1
    await session.flush()
    [read] = await job_reads(session, [job], viewer=owner)
    return read


async def duplicate_job(session: AsyncSession, *, owner: Principal, job_id: uuid.UUID) -> JobRead:
    """A new draft with everything but the date, the slots and the deadline."""
    source = await own_job(session, owner, job_id, for_update=False)
    repo = JobRepository(session)
    await repo.lock_client(owner.id)
    if await repo.count_drafts(owner.id) >= MAX_DRAFTS:
        raise TooManyDrafts("At most 20 drafts: publish or delete one first.", limit=MAX_DRAFTS)
    copied: dict[str, Any] = {
        name: getattr(source, name)
        for name in (
            "title",
            "description",
            "category",
            "professional_types",
            "positions",
            "address",
            "city",
            "state",
            "pin_code",
            "lat",
            "lng",
            "venue_details",
            "access_instructions",
            "parking_notes",
            "budget_min",
            "budget_max",
            "budget_type",
            "negotiable",
            "urgency",
        )
    }
    job = Job(
        client_id=owner.id,
        status=JobStatus.DRAFT,
        time_slots=[],
        duplicated_from=source.id,
        **copied,
    )
    await repo.add(job)
    [read] = await job_reads(session, [job], viewer=owner)
    return read


async def complete_job(session: AsyncSession, *, owner: Principal, job_id: uuid.UUID) -> JobRead:
    """active or closed → completed, after the last slot and with at least one hire."""
    job = await own_job(session, owner, job_id)
    if job.status not in {JobStatus.ACTIVE, JobStatus.CLOSED}:
        raise InvalidTransition("Only an active or closed job can be completed.")
    if job.hired_count < 1 or job.ends_at is None or job.ends_at > utcnow():
        raise InvalidTransition("A job completes after its last slot, with someone hired.")
    job.status, job.finished_at = JobStatus.COMPLETED, utcnow()
    job.version += 1
    await reject_open(session, job, reason="job_closed")
    [read] = await job_reads(session, [job], viewer=owner)
    return read


async def delete_job(session: AsyncSession, *, owner: Principal, job_id: uuid.UUID) -> None:
    """Drafts, and active jobs nobody applied to (JOB-4); the quota unit is not refunded."""
    job = await own_job(session, owner, job_id)
    if job.status not in {JobStatus.DRAFT, JobStatus.ACTIVE}:
        raise InvalidTransition("Only drafts and active jobs can be deleted.")
    if await JobRepository(session).has_any_application(job.id):
        raise HasApplications("Someone applied: close the job instead.")
    job.deleted_at = utcnow()
    job.version += 1
    await session.flush()
