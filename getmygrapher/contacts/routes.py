"""HTTP endpoints of contact requests, answers, revocation and the shared timeline."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status

from getmygrapher.contacts import service as contacts_service
from getmygrapher.contacts.models import ConsentStatus
from getmygrapher.contacts.schemas import (
    ContactAnswer,
    ContactEventRead,
    ContactRequestIn,
    ContactRequestRead,
    ConversationOpened,
    ProfileContactRequest,
    RevokeIn,
    SharedContact,
)
from getmygrapher.core.db import DbSession
from getmygrapher.core.idempotency import RequiredIdempotencyKey
from getmygrapher.core.pagination import Cursor, Limit, Page
from getmygrapher.core.schemas import ResponseModel
from getmygrapher.core.security import CurrentUser, VerifiedUser

router = APIRouter(prefix="/v1", tags=["contacts"])


@router.post(
    "/profiles/{profile_id}/contact-requests",
    status_code=status.HTTP_201_CREATED,
    operation_id="request_contact_from_profile",
)
async def request_contact_from_profile(
    profile_id: uuid.UUID,
    body: ProfileContactRequest,
    request: Request,
    db: DbSession,
    user: VerifiedUser,
    idempotency: RequiredIdempotencyKey,
    response: Response,
) -> ContactRequestRead | ConversationOpened:
    """CRQ-1: one method. `message` opens (201) or reuses (200) the pair's conversation, a
    new one counted against the monthly conversation quota; the others ask for consent."""
    if (replay := await idempotency.replay(db, user.id)) is not None:
        return replay  # type: ignore[return-value]
    if body.method == "message":
        opened = await contacts_service.message_from_profile(
            db, request.app.state.runtime, requester=user, recipient_id=profile_id, note=body.note
        )
        response.status_code = status.HTTP_201_CREATED if opened.created else status.HTTP_200_OK
        await idempotency.remember(db, user.id, opened, status_code=response.status_code)
        return opened
    created = await contacts_service.request_contact(
        db,
        request.app.state.runtime,
        requester=user,
        recipient_id=profile_id,
        fields=[body.method],
        note=body.note,
        method=body.method,
    )
    await idempotency.remember(db, user.id, created, status_code=201)
    return created


@router.post(
    "/contact-requests", status_code=status.HTTP_201_CREATED, operation_id="request_contact_share"
)
async def request_contact_share(
    body: ContactRequestIn,
    request: Request,
    db: DbSession,
    user: VerifiedUser,
    idempotency: RequiredIdempotencyKey,
) -> ContactRequestRead:
    if (replay := await idempotency.replay(db, user.id)) is not None:
        return replay  # type: ignore[return-value]
    created = await contacts_service.request_contact(
        db,
        request.app.state.runtime,
        requester=user,
        recipient_id=body.recipient_id,
        fields=body.fields,
        note=body.note,
        method="share",
    )
    await idempotency.remember(db, user.id, created, status_code=201)
    return created


@router.get("/me/contact-requests", operation_id="list_contact_requests")
async def list_contact_requests(
    db: DbSession,
    user: CurrentUser,
    box: Annotated[Literal["sent", "received"], Query()],
    status_filter: Annotated[ConsentStatus | None, Query(alias="status")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Page[ContactRequestRead]:
    return await contacts_service.list_requests(
        db, user=user, box=box, status=status_filter, limit=limit, cursor=cursor
    )


@router.post("/contact-requests/{request_id}/respond", operation_id="respond_to_contact_share")
async def respond_to_contact_share(
    request_id: uuid.UUID, body: ContactAnswer, db: DbSession, user: CurrentUser
) -> ContactRequestRead:
    return await contacts_service.respond(
        db, recipient=user, request_id=request_id, accept=body.accept, decline=body.decline
    )


@router.post("/contact-requests/{request_id}/cancel", operation_id="cancel_contact_request")
async def cancel_contact_request(
    request_id: uuid.UUID, db: DbSession, user: CurrentUser
) -> ContactRequestRead:
    return await contacts_service.cancel(db, requester=user, request_id=request_id)


@router.get("/contacts/{user_id}", operation_id="get_shared_contact")
async def get_shared_contact(user_id: uuid.UUID, db: DbSession, user: CurrentUser) -> SharedContact:
    """What this person shares with the caller now; empty fields once revoked."""
    return await contacts_service.shared_contact(db, viewer_id=user.id, other_id=user_id)


class Revoked(ResponseModel):
    revoked: list[str]


@router.post("/contacts/{user_id}/revoke", operation_id="revoke_contact_share")
async def revoke_contact_share(
    user_id: uuid.UUID, body: RevokeIn, db: DbSession, user: CurrentUser
) -> Revoked:
    revoked = await contacts_service.revoke(db, owner=user, grantee_id=user_id, fields=body.fields)
    return Revoked(revoked=revoked)


@router.get("/contacts/{user_id}/timeline", operation_id="get_contact_timeline")
async def get_contact_timeline(
    user_id: uuid.UUID, db: DbSession, user: CurrentUser, limit: Limit = None, cursor: Cursor = None
) -> Page[ContactEventRead]:
    return await contacts_service.timeline(
        db, user=user, other_id=user_id, limit=limit, cursor=cursor
    )
