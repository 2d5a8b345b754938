"""Contact details shared only by mutual, per-field, revocable consent (MSG-10, CRQ-1, BEY-1).

Every step is recorded in a timeline both people can read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts import service as accounts_service
from getmygrapher.contacts.errors import (
    ContactRequestClosed,
    ContactRequestExpired,
    ContactRequestNotFound,
    ContactRequestPending,
)
from getmygrapher.contacts.models import ConsentStatus, ContactEvent, ContactGrant, ContactRequest
from getmygrapher.contacts.schemas import (
    ContactEventRead,
    ContactRequestRead,
    ConversationOpened,
    SharedContact,
)
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.pagination import Page, clamp_limit, decode_cursor, to_page
from getmygrapher.core.ratelimit import Limit
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Principal
from getmygrapher.core.time import utcnow
from getmygrapher.profiles import service as profiles_service

PENDING_FOR = dt.timedelta(days=7)
FIELDS = ("phone", "email", "whatsapp")


def _pair(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return (a, b) if a < b else (b, a)


async def _event(
    session: AsyncSession,
    request: ContactRequest | None,
    *,
    a: uuid.UUID,
    b: uuid.UUID,
    actor_id: uuid.UUID | None,
    action: str,
    fields: Sequence[str],
) -> None:
    low, high = _pair(a, b)
    event = ContactEvent(
        request_id=request.id if request else None,
        user_low=low,
        user_high=high,
        actor_id=actor_id,
        action=action,
        fields=list(fields),
    )
    session.add(event)
    await session.flush()
    for listener in LISTENERS:
        await listener(session, event)


def _read(request: ContactRequest, shared: SharedContact | None = None) -> ContactRequestRead:
    # Reads compare the deadline with the clock; the sweep records the expiry later (GEN-12).
    status = request.status
    if status is ConsentStatus.PENDING and request.expires_at <= utcnow():
        status = ConsentStatus.EXPIRED
    return ContactRequestRead(
        id=request.id,
        requester_id=request.requester_id,
        recipient_id=request.recipient_id,
        method=request.method,
        fields=list(request.fields),
        accepted_fields=list(request.accepted_fields),
        note=request.note,
        status=status,
        expires_at=request.expires_at,
        responded_at=request.responded_at,
        created_at=request.created_at,
        shared=shared,
    )


async def request_contact(
    session: AsyncSession,
    runtime: Runtime,
    *,
    requester: Principal,
    recipient_id: uuid.UUID,
    fields: Sequence[str],
    note: str | None,
    method: str,
    conversation_id: uuid.UUID | None = None,
) -> ContactRequestRead:
    """Ask for some of the other person's details, offering one's own in return.

    The requester is verified (the route's audience) and may see the other profile; one
    request may be pending per pair, for seven days; 20 requests a day per user (GEN-7).
    """
    if requester.id == recipient_id:
        raise ValidationFailed.field("recipient_id", "not_allowed", "Not with yourself.")
    await profiles_service.access_profile(session, viewer=requester, profile_id=recipient_id)
    await runtime.rate_limiter.enforce(
        Limit("contact-requests", 20, dt.timedelta(days=1)),
        str(requester.id),
        detail="At most 20 contact requests a day.",
    )
    request = ContactRequest(
        requester_id=requester.id,
        recipient_id=recipient_id,
        method=method,
        fields=list(fields),
        note=note,
        conversation_id=conversation_id,
        status=ConsentStatus.PENDING,
        expires_at=utcnow() + PENDING_FOR,
    )
    try:
        async with session.begin_nested():
            session.add(request)
            await session.flush()
    except IntegrityError:
        raise ContactRequestPending(
            "A contact request between you two is already waiting for an answer."
        ) from None
    await _event(
        session,
        request,
        a=requester.id,
        b=recipient_id,
        actor_id=requester.id,
        action="requested",
        fields=fields,
    )
    return _read(request)


async def _own_request(
    session: AsyncSession, request_id: uuid.UUID, user_id: uuid.UUID
) -> ContactRequest:
    request = await session.scalar(
        select(ContactRequest).where(ContactRequest.id == request_id).with_for_update()
    )
    if request is None or user_id not in {request.requester_id, request.recipient_id}:
        raise ContactRequestNotFound("No contact request of yours has this id.")
    return request


async def _still_pending(session: AsyncSession, request: ContactRequest) -> None:
    """Reads compare the deadline with the clock; the sweep only tidies up (GEN-12)."""
    if request.status is ConsentStatus.PENDING and request.expires_at <= utcnow():
        await _expire(session, request)
        raise ContactRequestExpired("This request expired after seven days.")
    if request.status is not ConsentStatus.PENDING:
        raise ContactRequestClosed(f"This request is already {request.status.value}.")


async def respond(
    session: AsyncSession,
    *,
    recipient: Principal,
    request_id: uuid.UUID,
    accept: Sequence[str] | None,
    decline: bool,
) -> ContactRequestRead:
    """The recipient accepts some of the fields asked for, or declines. On acceptance each
    side may see the other's accepted fields; the answer carries the requester's details."""
    request = await _own_request(session, request_id, recipient.id)
    if request.recipient_id != recipient.id:
        raise ContactRequestNotFound("No contact request to you has this id.")
    await _still_pending(session, request)
    request.responded_at = utcnow()
    if decline or not accept:
        request.status = ConsentStatus.DECLINED
        await _event(
            session,
            request,
            a=request.requester_id,
            b=recipient.id,
            actor_id=recipient.id,
            action="declined",
            fields=[],
        )
        return _read(request)
    unknown = [field for field in accept if field not in request.fields]
    if unknown:
        raise ValidationFailed.field(
            "accept", "not_allowed", f"These were not asked for: {', '.join(unknown)}."
        )
    request.status, request.accepted_fields = ConsentStatus.ACCEPTED, list(dict.fromkeys(accept))
    for owner, grantee in (
        (recipient.id, request.requester_id),
        (request.requester_id, recipient.id),
    ):
        for field in request.accepted_fields:
            await _grant(session, request, owner, grantee, field)
    await _event(
        session,
        request,
        a=request.requester_id,
        b=recipient.id,
        actor_id=recipient.id,
        action="accepted",
        fields=request.accepted_fields,
    )
    shared = await shared_contact(session, viewer_id=recipient.id, other_id=request.requester_id)
    return _read(request, shared)


async def _grant(
    session: AsyncSession, request: ContactRequest, owner: uuid.UUID, grantee: uuid.UUID, field: str
) -> None:
    active = await session.scalar(
        select(ContactGrant.id).where(
            ContactGrant.owner_id == owner,
            ContactGrant.grantee_id == grantee,
            ContactGrant.field == field,
            ContactGrant.revoked_at.is_(None),
        )
    )
    if active is None:
        session.add(
            ContactGrant(request_id=request.id, owner_id=owner, grantee_id=grantee, field=field)
        )
        await session.flush()


async def cancel(
    session: AsyncSession, *, requester: Principal, request_id: uuid.UUID
) -> ContactRequestRead:
    request = await _own_request(session, request_id, requester.id)
    if request.requester_id != requester.id:
        raise ContactRequestNotFound("No contact request of yours has this id.")
    await _still_pending(session, request)
    request.status, request.responded_at = ConsentStatus.CANCELLED, utcnow()
    await _event(
        session,
        request,
        a=requester.id,
        b=request.recipient_id,
        actor_id=requester.id,
        action="cancelled",
        fields=[],
    )
    return _read(request)


async def revoke(
    session: AsyncSession, *, owner: Principal, grantee_id: uuid.UUID, fields: Sequence[str] | None
) -> list[str]:
    """Take back one's own grants, at once: the next read no longer shows the data."""
    stmt = (
        update(ContactGrant)
        .where(
            ContactGrant.owner_id == owner.id,
            ContactGrant.grantee_id == grantee_id,
            ContactGrant.revoked_at.is_(None),
        )
        .values(revoked_at=func.now())
        .returning(ContactGrant.field)
    )
    if fields:
        stmt = stmt.where(ContactGrant.field.in_(list(fields)))
    revoked = list((await session.scalars(stmt)).all())
    if revoked:
        await _event(
            session,
            None,
            a=owner.id,
            b=grantee_id,
            actor_id=owner.id,
            action="revoked",
            fields=revoked,
        )
    return revoked


async def revoke_between(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> None:
    """GEN-15: a block revokes every grant between the two, both ways (recorded only when
    there was something to revoke)."""
    result = await session.execute(
        update(ContactGrant)
        .where(
            or_(
                (ContactGrant.owner_id == a) & (ContactGrant.grantee_id == b),
                (ContactGrant.owner_id == b) & (ContactGrant.grantee_id == a),
            ),
            ContactGrant.revoked_at.is_(None),
        )
        .values(revoked_at=func.now())
    )
    if getattr(result, "rowcount", 0):
        await _event(session, None, a=a, b=b, actor_id=None, action="revoked", fields=list(FIELDS))


async def granted_fields(
    session: AsyncSession, *, owner_id: uuid.UUID, grantee_id: uuid.UUID
) -> set[str]:
    rows = await session.scalars(
        select(ContactGrant.field).where(
            ContactGrant.owner_id == owner_id,
            ContactGrant.grantee_id == grantee_id,
            ContactGrant.revoked_at.is_(None),
        )
    )
    return set(rows.all())


async def mutual(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> bool:
    """Both hold a grant from the other: until then contact details in text are masked."""
    return bool(await granted_fields(session, owner_id=a, grantee_id=b)) and bool(
        await granted_fields(session, owner_id=b, grantee_id=a)
    )


async def shared_contact(
    session: AsyncSession, *, viewer_id: uuid.UUID, other_id: uuid.UUID
) -> SharedContact:
    """Only what `other` currently lets `viewer` see, and only verified details."""
    fields = await granted_fields(session, owner_id=other_id, grantee_id=viewer_id)
    shared = SharedContact(user_id=other_id)
    if not fields:
        return shared
    account = await accounts_service.account_summary(session, user_id=other_id)
    if account is None or not account.usable:
        return shared
    profile = await profiles_service.own_profile(session, other_id)
    phone = account.phone if account.phone_verified else None
    return SharedContact(
        user_id=other_id,
        phone=phone if "phone" in fields else None,
        email=account.email if "email" in fields and account.email_verified else None,
        whatsapp=(profile.whatsapp_phone or phone) if "whatsapp" in fields else None,
    )


async def list_requests(
    session: AsyncSession,
    *,
    user: Principal,
    box: str,
    status: ConsentStatus | None,
    limit: int | None,
    cursor: str | None,
) -> Page[ContactRequestRead]:
    size = clamp_limit(limit)
    after = decode_cursor(cursor, arity=2)
    column = ContactRequest.requester_id if box == "sent" else ContactRequest.recipient_id
    stmt = select(ContactRequest).where(column == user.id)
    if status is not None:
        stmt = stmt.where(ContactRequest.status == status)
    if after is not None:
        stmt = stmt.where(
            func.row(ContactRequest.created_at, ContactRequest.id) < func.row(after[0], after[1])
        )
    stmt = stmt.order_by(ContactRequest.created_at.desc(), ContactRequest.id.desc())
    rows = (await session.scalars(stmt.limit(size + 1))).all()
    page = to_page(rows, limit=size, key=lambda row: (row.created_at, row.id))
    return Page(items=[_read(row) for row in page.items], next_cursor=page.next_cursor)


async def timeline(
    session: AsyncSession,
    *,
    user: Principal,
    other_id: uuid.UUID,
    limit: int | None,
    cursor: str | None,
) -> Page[ContactEventRead]:
    """The consent history between the caller and one other person, newest first."""
    size = clamp_limit(limit)
    after = decode_cursor(cursor, arity=2)
    low, high = _pair(user.id, other_id)
    stmt = select(ContactEvent).where(ContactEvent.user_low == low, ContactEvent.user_high == high)
    if after is not None:
        stmt = stmt.where(func.row(ContactEvent.at, ContactEvent.id) < func.row(after[0], after[1]))
    rows = (
        await session.scalars(
            stmt.order_by(ContactEvent.at.desc(), ContactEvent.id.desc()).limit(size + 1)
        )
    ).all()
    page = to_page(rows, limit=size, key=lambda row: (row.at, row.id))
    return Page(
        items=[
            ContactEventRead(
                id=e.id,
                request_id=e.request_id,
                actor_id=e.actor_id,
                action=e.action,
                fields=list(e.fields),
                at=e.at,
            )
            for e in page.items
        ],
        next_cursor=page.next_cursor,
    )


async def _expire(session: AsyncSession, request: ContactRequest) -> None:
    request.status = ConsentStatus.EXPIRED
    await _event(
        session,
        request,
        a=request.requester_id,
        b=request.recipient_id,
        actor_id=None,
        action="expired",
        fields=[],
    )


async def expire_due(session: AsyncSession, *, limit: int = 500) -> int:
    """The sweep: pending requests older than seven days become expired, with an event."""
    rows = (
        await session.scalars(
            select(ContactRequest)
            .where(
                ContactRequest.status == ConsentStatus.PENDING,
                ContactRequest.expires_at <= utcnow(),
            )
            .order_by(ContactRequest.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for request in rows:
        await _expire(session, request)
    return len(rows)


async def daily_requests_received(
    session: AsyncSession, *, user_id: uuid.UUID, since: dt.datetime
) -> dict[dt.date, int]:
    day = func.date(func.timezone("Asia/Kolkata", ContactRequest.created_at))
    rows = await session.execute(
        select(day, func.count())
        .where(ContactRequest.recipient_id == user_id, ContactRequest.created_at >= since)
        .group_by(day)
    )
    return {row[0]: int(row[1]) for row in rows}


async def export_user(session: AsyncSession, *, user_id: uuid.UUID) -> dict[str, object]:
    requests = (
        await session.scalars(
            select(ContactRequest)
            .where(
                or_(ContactRequest.requester_id == user_id, ContactRequest.recipient_id == user_id)
            )
            .order_by(ContactRequest.created_at)
        )
    ).all()
    grants = (
        await session.scalars(
            select(ContactGrant).where(
                or_(ContactGrant.owner_id == user_id, ContactGrant.grantee_id == user_id)
            )
        )
    ).all()
    return {
        "contact_requests": [_read(r).model_dump(mode="json") for r in requests],
        "contact_grants": [
            {
                "owner_id": str(g.owner_id),
                "grantee_id": str(g.grantee_id),
                "field": g.field,
                "granted_at": g.granted_at.isoformat(),
                "revoked_at": g.revoked_at.isoformat() if g.revoked_at else None,
            }
            for g in grants
        ],
    }


@dataclass(frozen=True)
class Consent:
    """Where sharing stands between a viewer and someone else (MSG-19)."""

    pending: ContactRequest | None
    fields_i_see: frozenset[str]


async def consent_with(
    session: AsyncSession, *, viewer_id: uuid.UUID, others: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Consent]:
    """For many people at once, in two queries: the pending request between the viewer and
    each, and what each currently lets the viewer see."""
    if not others:
        return {}
    pending = await session.scalars(
        select(ContactRequest).where(
            ContactRequest.status == ConsentStatus.PENDING,
            ContactRequest.expires_at > func.now(),
            or_(
                (ContactRequest.requester_id == viewer_id)
                & ContactRequest.recipient_id.in_(others),
                (ContactRequest.recipient_id == viewer_id)
                & ContactRequest.requester_id.in_(others),
            ),
        )
    )
    by_other = {
        (r.recipient_id if r.requester_id == viewer_id else r.requester_id): r for r in pending
    }
    grants = await session.execute(
        select(ContactGrant.owner_id, ContactGrant.field).where(
            ContactGrant.grantee_id == viewer_id,
            ContactGrant.owner_id.in_(others),
            ContactGrant.revoked_at.is_(None),
        )
    )
    fields: dict[uuid.UUID, set[str]] = {}
    for owner_id, field in grants:
        fields.setdefault(owner_id, set()).add(field)
    return {
        other: Consent(by_other.get(other), frozenset(fields.get(other, set()))) for other in others
    }


# Other areas hear of every step of a request (MSG-10: each appears in the conversation).
ConsentListener = Callable[[AsyncSession, ContactEvent], Awaitable[None]]
LISTENERS: list[ConsentListener] = []


def on_consent_event(listener: ConsentListener) -> None:
    LISTENERS.append(listener)


# CRQ-1 `message`: messaging opens the conversation; it registers how at start-up.
ConversationOpener = Callable[
    [AsyncSession, Runtime, Principal, uuid.UUID, str | None], Awaitable[tuple[uuid.UUID, bool]]
]
OPENERS: list[ConversationOpener] = []


def register_conversation_opener(opener: ConversationOpener) -> None:
    OPENERS[:] = [opener]


async def message_from_profile(
    session: AsyncSession,
    runtime: Runtime,
    *,
    requester: Principal,
    recipient_id: uuid.UUID,
    note: str | None,
) -> ConversationOpened:
    """The pair's conversation, opened or reused; the note, if any, is its next message."""
    if requester.id == recipient_id:
        raise ValidationFailed.field("profile_id", "not_allowed", "Not with yourself.")
    await profiles_service.access_profile(session, viewer=requester, profile_id=recipient_id)
    conversation_id, created = await OPENERS[0](session, runtime, requester, recipient_id, note)
    return ConversationOpened(conversation_id=conversation_id, created=created)


async def erase_user(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """DATA-2: nothing of the person is shared any more, either way, and their requests (and
    the messages in them) go; the consent log keeps its pseudonymous entries (DATA-3)."""
    await session.execute(
        delete(ContactGrant).where(
            or_(ContactGrant.owner_id == user_id, ContactGrant.grantee_id == user_id)
        )
    )
    await session.execute(
        delete(ContactRequest).where(
            or_(ContactRequest.requester_id == user_id, ContactRequest.recipient_id == user_id)
        )
    )
