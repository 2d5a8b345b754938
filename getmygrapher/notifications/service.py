"""Notifications: preferences every account starts with (AUTH-11, NOT-3) and in-app
notifications (NOT-2) that other areas raise."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core import realtime
from getmygrapher.core.pagination import Page, clamp_limit, decode_cursor, to_page
from getmygrapher.notifications.errors import NotificationNotFound
from getmygrapher.notifications.events import NotificationCreated
from getmygrapher.notifications.models import (
    DEFAULT_CHANNELS,
    Notification,
    NotificationPreferences,
)
from getmygrapher.notifications.schemas import NotificationRead, NotificationsPage

TYPES = frozenset(
    {
        "new_job",
        "new_message",
        "job_inquiry",
        "application_received",
        "application_status",
        "booking_request",
        "booking_confirmation",
        "booking_update",
        "booking_reminder",
        "contact_share_request",
        "contact_shared",
        "rating_reminder",
        "review_received",
        "profile_view",
        "pose_moderated",
        "subscription_update",
        "payment_receipt",
        "moderation_outcome",
    }
)


async def create_defaults(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    await session.execute(
        pg_insert(NotificationPreferences)
        .values(user_id=user_id, channels=DEFAULT_CHANNELS)
        .on_conflict_do_nothing()
    )


async def notify(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    type_: str,
    title: str,
    body: str,
    target_type: str | None = None,
    target_id: uuid.UUID | None = None,
) -> None:
    """Record an in-app notification in the caller's transaction: it exists only if the change
    that caused it commits."""
    if type_ not in TYPES:
        raise ValueError(f"unknown notification type {type_!r}")
    row = Notification(
        user_id=user_id,
        type=type_,
        title=title[:200],
        body=body[:1000],
        target_type=target_type,
        target_id=target_id,
    )
    session.add(row)
    await session.flush()
    # The user's open sockets hear of it once the change commits (MSG-8).
    await realtime.emit(
        session,
        [user_id],
        NotificationCreated(notification=_read(row).model_dump(mode="json")),
    )


def _read(row: Notification) -> NotificationRead:
    return NotificationRead(
        id=row.id,
        type=row.type,
        title=row.title,
        body=row.body,
        target_type=row.target_type,
        target_id=row.target_id,
        created_at=row.created_at,
        read_at=row.read_at,
    )


async def list_notifications(
    session: AsyncSession, *, user_id: uuid.UUID, limit: int | None, cursor: str | None
) -> NotificationsPage:
    """Newest first, with the unread count; kept for 90 days."""
    size = clamp_limit(limit)
    after = decode_cursor(cursor, arity=2)
    stmt = select(Notification).where(Notification.user_id == user_id)
    if after is not None:
        stmt = stmt.where(
            func.row(Notification.created_at, Notification.id) < func.row(after[0], after[1])
        )
    rows = (
        await session.scalars(
            stmt.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(size + 1)
        )
    ).all()
    page: Page[Notification] = to_page(rows, limit=size, key=lambda r: (r.created_at, r.id))
    unread = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return NotificationsPage(
        items=[_read(r) for r in page.items],
        next_cursor=page.next_cursor,
        unread_count=int(unread or 0),
    )


async def mark_read(
    session: AsyncSession, *, user_id: uuid.UUID, notification_id: uuid.UUID | None
) -> int:
    """One notification, or all of them when no id is given."""
    stmt = (
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=func.now())
    )
    if notification_id is not None:
        owned = await session.scalar(
            select(Notification.id).where(
                Notification.id == notification_id, Notification.user_id == user_id
            )
        )
        if owned is None:
            raise NotificationNotFound("No notification of yours has this id.")
        stmt = stmt.where(Notification.id == notification_id)
    result = await session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


async def delete_notification(
    session: AsyncSession, *, user_id: uuid.UUID, notification_id: uuid.UUID
) -> None:
    result = await session.execute(
        delete(Notification).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    )
    if not getattr(result, "rowcount", 0):
        raise NotificationNotFound("No notification of yours has this id.")


async def purge_old(session: AsyncSession, *, keep_days: int = 90) -> None:
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=keep_days)
    await session.execute(delete(Notification).where(Notification.created_at < cutoff))


async def erase_user(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    await session.execute(delete(Notification).where(Notification.user_id == user_id))
    await session.execute(
        delete(NotificationPreferences).where(NotificationPreferences.user_id == user_id)
    )


@dataclass(frozen=True)
class ChatPreferences:
    """MSG-5, MSG-7, MSG-9: what a person shares about their reading, typing and presence."""

    read_receipts: bool = True
    typing_indicators: bool = True
    presence_visible: bool = True


async def chat_preferences(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ChatPreferences]:
    found = {user_id: ChatPreferences() for user_id in user_ids}
    if not user_ids:
        return found
    rows = await session.scalars(
        select(NotificationPreferences).where(NotificationPreferences.user_id.in_(user_ids))
    )
    for row in rows:
        found[row.user_id] = ChatPreferences(
            read_receipts=row.read_receipts,
            typing_indicators=row.typing_indicators,
            presence_visible=row.presence_visible,
        )
    return found


async def update_chat_preferences(
    session: AsyncSession, *, user_id: uuid.UUID, changes: dict[str, bool]
) -> ChatPreferences:
    await create_defaults(session, user_id=user_id)
    if changes:
        await session.execute(
            update(NotificationPreferences)
            .where(NotificationPreferences.user_id == user_id)
            .values(**changes)
        )
    return (await chat_preferences(session, [user_id]))[user_id]


async def export_user(session: AsyncSession, *, user_id: uuid.UUID) -> dict[str, object]:
    """DATA-1: the notifications still kept (90 days) and the preferences."""
    kept = await session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at)
    )
    preferences = await session.scalar(
        select(NotificationPreferences).where(NotificationPreferences.user_id == user_id)
    )
    return {
        "notifications": [
            {
                "type": n.type,
                "title": n.title,
                "body": n.body,
                "created_at": n.created_at.isoformat(),
                "read_at": n.read_at.isoformat() if n.read_at else None,
            }
            for n in kept
        ],
        "notification_preferences": {
            "channels": preferences.channels,
            "quiet_hours_start": preferences.quiet_hours_start.isoformat()
            if preferences.quiet_hours_start
            else None,
            "quiet_hours_end": preferences.quiet_hours_end.isoformat()
            if preferences.quiet_hours_end
            else None,
            "marketing_opt_in": preferences.marketing_opt_in_at is not None,
        }
        if preferences
        else None,
    }
