"""HTTP endpoints of jobs, discovery, saved jobs, applications and job moderation."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response, status
from pydantic_core import to_json

from getmygrapher.core.db import DbSession
from getmygrapher.core.http import if_match_version
from getmygrapher.core.idempotency import IdempotencyKey, RequiredIdempotencyKey
from getmygrapher.core.pagination import Cursor, Limit, Page
from getmygrapher.core.security import (
    CurrentUser,
    Moderator,
    OnboardedUser,
    OptionalUser,
    client_ip,
)
from getmygrapher.jobs import service as jobs_service
from getmygrapher.jobs.models import ApplicationStatus, JobStatus
from getmygrapher.jobs.schemas import (
    ApplicationRead,
    ApplicationUpdate,
    ApplyIn,
    DiscoveryPage,
    DiscoveryParams,
    Extend,
    JobCreate,
    JobRead,
    JobReportIn,
    JobUpdate,
    ModerationIn,
    MyJobs,
    ReportCreated,
    SavedState,
    StatusChange,
)

router = APIRouter(prefix="/v1", tags=["jobs"])
moderation_jobs_router = APIRouter(prefix="/v1/moderation/jobs", tags=["moderation"])


@router.post("/jobs", status_code=status.HTTP_201_CREATED, operation_id="create_job")
async def create_job(
    body: JobCreate, db: DbSession, user: OnboardedUser, idempotency: IdempotencyKey
) -> JobRead:
    """JOB-1, JOB-2: a draft (`publish: false`, only a title needed) or a published job, which
    uses one `job_posts_per_month` unit."""
    if (replay := await idempotency.replay(db, user.id)) is not None:
        return replay  # type: ignore[return-value]
    created = await jobs_service.create_job(db, client=user, data=body)
    await idempotency.remember(db, user.id, created, status_code=201)
    return created


@router.get("/jobs", operation_id="discover_jobs", response_model=DiscoveryPage)
async def discover_jobs(
    db: DbSession, user: OptionalUser, params: Annotated[DiscoveryParams, Query()]
) -> Response:
    """JOB-8 and JOB-9 in one: nearby (centre from coordinates, a PIN code, your base or
    Kochi), optional full-text `q` in web-search syntax, filters, sorts and cursor pages. The
    radius is capped by your plan; the answer says what was applied."""
    page = await jobs_service.discover(
        db,
        viewer=user,
        lat=params.lat,
        lng=params.lng,
        pin_code=params.pin_code,
        radius_km=params.radius_km,
        q=params.q,
        sort=params.sort,
        category=params.category,
        professional_types=params.professional_types or [],
        urgencies=[u.value for u in params.urgency or []],
        date_from=params.date_from,
        date_to=params.date_to,
        budget_min=params.budget_min,
        budget_max=params.budget_max,
        budget_type=params.budget_type.value if params.budget_type else None,
        limit=params.limit,
        cursor=params.cursor,
    )
    # Serialised once here, by pydantic's JSON encoder, rather than validated on the way out.
    return Response(to_json(page), media_type="application/json")


@router.get("/jobs/{job_id}", operation_id="get_job")
async def get_job(
    job_id: uuid.UUID, request: Request, db: DbSession, user: OptionalUser
) -> JobRead:
    """Counts one view per viewer and day, never the owner's (JOB-11)."""
    return await jobs_service.get_job(
        db,
        request.app.state.runtime,
        viewer=user,
        job_id=job_id,
        client_ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )


@router.patch("/jobs/{job_id}", operation_id="update_job")
async def update_job(
    job_id: uuid.UUID,
    body: JobUpdate,
    db: DbSession,
    user: CurrentUser,
    if_match: Annotated[str | None, Header()] = None,
) -> JobRead:
    """JOB-3: only the fields sent change; `null` clears an optional one."""
    return await jobs_service.update_job(
        db, owner=user, job_id=job_id, data=body, if_match=if_match_version(if_match)
    )


@router.delete("/jobs/{job_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="delete_job")
async def delete_job(job_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    await jobs_service.delete_job(db, owner=user, job_id=job_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/jobs/{job_id}/publish", operation_id="publish_job")
async def publish_job(job_id: uuid.UUID, db: DbSession, user: OnboardedUser) -> JobRead:
    return await jobs_service.publish_job(db, owner=user, job_id=job_id)


@router.post("/jobs/{job_id}/close", operation_id="close_job")
async def close_job(job_id: uuid.UUID, db: DbSession, user: CurrentUser) -> JobRead:
    return await jobs_service.close_job(db, owner=user, job_id=job_id)


@router.post("/jobs/{job_id}/reopen", operation_id="reopen_job")
async def reopen_job(job_id: uuid.UUID, db: DbSession, user: CurrentUser) -> JobRead:
    return await jobs_service.reopen_job(db, owner=user, job_id=job_id)


@router.post("/jobs/{job_id}/extend", operation_id="extend_job")
async def extend_job(job_id: uuid.UUID, body: Extend, db: DbSession, user: CurrentUser) -> JobRead:
    return await jobs_service.extend_job(
        db, owner=user, job_id=job_id, deadline=body.application_deadline
    )


@router.post(
    "/jobs/{job_id}/duplicate", status_code=status.HTTP_201_CREATED, operation_id="duplicate_job"
)
async def duplicate_job(job_id: uuid.UUID, db: DbSession, user: CurrentUser) -> JobRead:
    return await jobs_service.duplicate_job(db, owner=user, job_id=job_id)


@router.post("/jobs/{job_id}/complete", operation_id="complete_job")
async def complete_job(job_id: uuid.UUID, db: DbSession, user: CurrentUser) -> JobRead:
    return await jobs_service.complete_job(db, owner=user, job_id=job_id)


@router.put("/jobs/{job_id}/save", operation_id="save_job")
async def save_job(job_id: uuid.UUID, db: DbSession, user: CurrentUser) -> SavedState:
    return SavedState(saved=await jobs_service.save_job(db, user=user, job_id=job_id))


@router.delete("/jobs/{job_id}/save", operation_id="unsave_job")
async def unsave_job(job_id: uuid.UUID, db: DbSession, user: CurrentUser) -> SavedState:
    return SavedState(saved=await jobs_service.unsave_job(db, user=user, job_id=job_id))


@router.get("/me/saved-jobs", operation_id="list_saved_jobs")
async def list_saved_jobs(
    db: DbSession, user: CurrentUser, limit: Limit = None, cursor: Cursor = None
) -> Page[JobRead]:
    return await jobs_service.saved_jobs(db, user=user, limit=limit, cursor=cursor)


@router.post(
    "/jobs/{job_id}/reports", status_code=status.HTTP_201_CREATED, operation_id="report_job"
)
async def report_job(
    job_id: uuid.UUID, body: JobReportIn, db: DbSession, user: CurrentUser
) -> ReportCreated:
    return ReportCreated(
        id=await jobs_service.report_job(
            db, reporter=user, job_id=job_id, reason=body.reason, details=body.details
        )
    )


@router.post(
    "/jobs/{job_id}/applications", status_code=status.HTTP_201_CREATED, operation_id="apply_to_job"
)
async def apply_to_job(
    job_id: uuid.UUID,
    body: ApplyIn,
    db: DbSession,
    user: OnboardedUser,
    idempotency: RequiredIdempotencyKey,
) -> ApplicationRead:
    """JOB-13: once per job, ever; uses one `job_accepts_per_month` unit."""
    if (replay := await idempotency.replay(db, user.id)) is not None:
        return replay  # type: ignore[return-value]
    created = await jobs_service.apply_to_job(db, applicant=user, job_id=job_id, data=body)
    await idempotency.remember(db, user.id, created, status_code=201)
    return created


@router.get("/jobs/{job_id}/applications", operation_id="list_job_applications")
async def list_job_applications(
    job_id: uuid.UUID,
    db: DbSession,
    user: CurrentUser,
    status_filter: Annotated[ApplicationStatus | None, Query(alias="status")] = None,
    sort: Annotated[Literal["newest", "rate"], Query()] = "newest",
    limit: Limit = None,
    cursor: Cursor = None,
) -> Page[ApplicationRead]:
    """JOB-15: the job's owner only."""
    return await jobs_service.list_job_applications(
        db, owner=user, job_id=job_id, status=status_filter, sort=sort, limit=limit, cursor=cursor
    )


@router.get("/applications/{application_id}", operation_id="get_application")
async def get_application(
    application_id: uuid.UUID, db: DbSession, user: CurrentUser
) -> ApplicationRead:
    return await jobs_service.get_application(db, viewer=user, application_id=application_id)


@router.patch("/applications/{application_id}", operation_id="update_application")
async def update_application(
    application_id: uuid.UUID, body: ApplicationUpdate, db: DbSession, user: CurrentUser
) -> ApplicationRead:
    """The owner's private note, or the applicant's proposed rate."""
    return await jobs_service.update_application(
        db, viewer=user, application_id=application_id, data=body
    )


@router.post("/applications/{application_id}/status", operation_id="update_application_status")
async def update_application_status(
    application_id: uuid.UUID, body: StatusChange, db: DbSession, user: CurrentUser
) -> ApplicationRead:
    """JOB-14, the job owner's moves; `hired` fills a position."""
    return await jobs_service.change_status(
        db, owner=user, application_id=application_id, data=body
    )


@router.post("/applications/{application_id}/withdraw", operation_id="withdraw_application")
async def withdraw_application(
    application_id: uuid.UUID, db: DbSession, user: CurrentUser
) -> ApplicationRead:
    return await jobs_service.withdraw(db, applicant=user, application_id=application_id)


@router.get("/me/jobs", operation_id="get_my_jobs")
async def get_my_jobs(
    db: DbSession,
    user: CurrentUser,
    tab: Annotated[JobStatus, Query()] = JobStatus.ACTIVE,
    limit: Limit = None,
    cursor: Cursor = None,
) -> MyJobs:
    """JOB-12: one tab of your posted jobs, with every tab's total."""
    return await jobs_service.my_jobs(db, owner=user, tab=tab, limit=limit, cursor=cursor)


@router.get("/me/applications", operation_id="get_my_applications")
async def get_my_applications(
    db: DbSession,
    user: CurrentUser,
    status_filter: Annotated[ApplicationStatus | None, Query(alias="status")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Page[ApplicationRead]:
    """JOB-18: each with the job as it was when you applied and its status now."""
    return await jobs_service.my_applications(
        db, applicant=user, status=status_filter, limit=limit, cursor=cursor
    )


@moderation_jobs_router.post("/{job_id}/hide", operation_id="hide_job")
async def hide_job(
    job_id: uuid.UUID, body: ModerationIn, db: DbSession, user: Moderator
) -> JobRead:
    return await jobs_service.moderate_job(
        db, moderator=user, job_id=job_id, hide=True, reason=body.reason
    )


@moderation_jobs_router.post("/{job_id}/restore", operation_id="restore_job")
async def restore_job(
    job_id: uuid.UUID, body: ModerationIn, db: DbSession, user: Moderator
) -> JobRead:
    return await jobs_service.moderate_job(
        db, moderator=user, job_id=job_id, hide=False, reason=body.reason
    )
