"""Identity verification: users submit a document, moderators decide (PRV-3, ADM-6)."""

from __future__ import annotations

import datetime as dt
import uuid

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core import audit, outbox
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.images import process_image, sniff_type
from getmygrapher.core.pagination import Page, clamp_limit, decode_cursor, to_page
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Principal
from getmygrapher.core.time import utcnow
from getmygrapher.profiles.errors import AlreadyDecided, VerificationNotFound, VerificationPending
from getmygrapher.profiles.models import VerificationRequest, VerificationStatus
from getmygrapher.profiles.repository import ProfileRepository
from getmygrapher.profiles.schemas import VerificationRead
from getmygrapher.profiles.service.common import own_profile

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DOCUMENT_RETENTION = dt.timedelta(days=30)


def _read(request: VerificationRequest, runtime: Runtime | None = None) -> VerificationRead:
    url = None
    if runtime is not None and request.document_key:
        url = runtime.storage.url(request.document_key, public=False)
    return VerificationRead(
        id=request.id,
        user_id=request.user_id,
        document_type=request.document_type,
        status=request.status,
        reason=request.reason,
        created_at=request.created_at,
        decided_at=request.decided_at,
        document_url=url,
    )


async def submit(
    session: AsyncSession, runtime: Runtime, *, user_id: uuid.UUID, document_type: str, data: bytes
) -> VerificationRead:
    """JPEG, PNG or PDF up to 10 MB, by content; images are re-encoded without metadata; the
    file goes to private storage. One pending request at a time."""
    repo = ProfileRepository(session)
    if await repo.pending_verification(user_id) is not None:
        raise VerificationPending("A verification request is already waiting for review.")
    kind = sniff_type(data)
    if kind == "application/pdf":
        if len(data) > MAX_DOCUMENT_BYTES:
            raise ValidationFailed.field("file", "file_too_large", "At most 10 MB.")
        stored, content_type, extension = data, "application/pdf", "pdf"
    elif kind in {"image/jpeg", "image/png"}:
        processed = await anyio.to_thread.run_sync(
            lambda: process_image(data, field="file", variants=False)
        )
        original = processed.renditions["original"]
        stored, content_type = original.data, original.content_type
        extension = "png" if content_type == "image/png" else "jpg"
    else:
        raise ValidationFailed.field("file", "invalid_file_type", "Send a JPEG, PNG or PDF.")
    request_id = uuid.uuid4()
    key = f"verification/{user_id}/{request_id}.{extension}"
    await runtime.storage.put(key, stored, content_type=content_type, public=False)
    request = VerificationRequest(
        id=request_id,
        user_id=user_id,
        document_type=document_type,
        document_key=key,
        document_content_type=content_type,
        status=VerificationStatus.PENDING,
    )
    await repo.add(request)
    profile = await own_profile(session, user_id, for_update=True)
    profile.verification_status = VerificationStatus.PENDING
    return _read(request)


async def my_verification(session: AsyncSession, *, user_id: uuid.UUID) -> VerificationRead:
    request = await ProfileRepository(session).latest_verification(user_id)
    if request is None:
        raise VerificationNotFound("You have not asked for verification.")
    return _read(request)


async def queue(
    session: AsyncSession,
    runtime: Runtime,
    *,
    status: VerificationStatus,
    limit: int | None,
    cursor: str | None,
) -> Page[VerificationRead]:
    size = clamp_limit(limit)
    after = decode_cursor(cursor, arity=2)
    rows = await ProfileRepository(session).verification_queue(
        status, after=(after[0], after[1]) if after else None, limit=size
    )
    page = to_page(rows, limit=size, key=lambda row: (row.created_at, row.id))
    return Page(items=[_read(row, runtime) for row in page.items], next_cursor=page.next_cursor)


async def decide(
    session: AsyncSession,
    *,
    moderator: Principal,
    request_id: uuid.UUID,
    approve: bool,
    reason: str,
) -> VerificationRead:
    """Moderators only, audited; the decision stays, the document goes after 30 days."""
    repo = ProfileRepository(session)
    request = await repo.verification(request_id, for_update=True)
    if request is None:
        raise VerificationNotFound("No verification request has this id.")
    if request.status is not VerificationStatus.PENDING:
        raise AlreadyDecided("This request was already decided.")
    request.status = VerificationStatus.VERIFIED if approve else VerificationStatus.REJECTED
    request.reason, request.decided_by, request.decided_at = reason, moderator.id, utcnow()
    profile = await own_profile(session, request.user_id, for_update=True)
    profile.verification_status = request.status
    profile.identity_verified = approve
    await audit.record(
        session,
        actor_id=moderator.id,
        action="verification.approved" if approve else "verification.rejected",
        target_type="user",
        target_id=request.user_id,
        reason=reason,
        request_id=str(request.id),
    )
    await session.flush()
    return _read(request)


async def purge_documents(session: AsyncSession) -> int:
    """DATA-4: documents are deleted 30 days after the decision."""
    rows = await ProfileRepository(session).documents_to_delete(utcnow() - DOCUMENT_RETENTION)
    keys = [row.document_key for row in rows if row.document_key]
    for row in rows:
        row.document_key, row.document_deleted_at = None, utcnow()
    if keys:
        await outbox.add(session, "profiles.delete_files", keys=keys)
    return len(rows)


async def set_badges(
    session: AsyncSession, *, admin: Principal, user_id: uuid.UUID, is_featured: bool
) -> None:
    profile = await own_profile(session, user_id, for_update=True)
    if profile.is_featured != is_featured:
        profile.is_featured = is_featured
        await audit.record(
            session,
            actor_id=admin.id,
            action="profile.featured_changed",
            target_type="user",
            target_id=user_id,
            featured=is_featured,
        )
