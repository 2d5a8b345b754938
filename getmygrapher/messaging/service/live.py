"""What happens on the sockets: typing (MSG-7), delivery acknowledgements (MSG-5) and
presence (MSG-9). Nothing here holds a database session while a socket is idle."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core import realtime
from getmygrapher.core.db import transaction
from getmygrapher.core.realtime import Connection, Hub
from getmygrapher.core.security import Principal
from getmygrapher.core.time import utcnow
from getmygrapher.messaging import events
from getmygrapher.messaging.errors import ConversationNotFound
from getmygrapher.messaging.repository import MessagingRepository
from getmygrapher.messaging.schemas import PresenceRead
from getmygrapher.messaging.service.common import members
from getmygrapher.messaging.service.conversations import mark_delivered
from getmygrapher.notifications import service as notifications_service

TYPING_EVERY = 3.0  # seconds between two "start" signals of one person in one chat
MEMBERSHIP_FOR = 3.0  # seconds a socket trusts a membership check (one typing burst)
AWAY_AFTER = dt.timedelta(minutes=5)
ONLINE_WITHIN = dt.timedelta(minutes=3)  # a node refreshes its users every heartbeat
ACTIVITY_EVERY = 60.0
SEEN_BATCH = 1000


async def _members_if_member(
    hub: Hub, connection: Connection, conversation_id: uuid.UUID
) -> list[uuid.UUID] | None:
    """The conversation's members when this socket's user is one (re-checked every 3 s, so
    a removal or a changed setting takes effect at once without a query per keystroke)."""
    cache: dict[uuid.UUID, tuple[float, list[uuid.UUID]]] = connection.state.setdefault(
        "members", {}
    )
    cached = cache.get(conversation_id)
    if cached is not None and time.monotonic() - cached[0] < MEMBERSHIP_FOR:
        return cached[1]
    async with hub.sessionmaker() as session:
        found = await members(session, conversation_id)
        if connection.user_id not in found:
            return None
        preferences = await notifications_service.chat_preferences(session, found)
    allowed = [u for u in found if preferences[u].typing_indicators]
    cache[conversation_id] = (time.monotonic(), allowed)
    return allowed


def _conversation_id(frame: dict[str, Any]) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(frame.get("conversation_id")))
    except ValueError:
        return None


async def on_typing(hub: Hub, connection: Connection, frame: dict[str, Any]) -> None:
    """To the other members only, at most one start every 3 s, never stored, and neither
    sent nor shown for people who turned typing indicators off."""
    conversation_id = _conversation_id(frame)
    state = frame.get("state")
    if conversation_id is None or state not in {"start", "stop"}:
        connection.push('{"type":"error","code":"invalid_frame"}')
        return
    if state == "start":
        last: dict[uuid.UUID, float] = connection.state.setdefault("typed", {})
        now = time.monotonic()
        if now - last.get(conversation_id, 0.0) < TYPING_EVERY:
            return
        last[conversation_id] = now
    allowed = await _members_if_member(hub, connection, conversation_id)
    if allowed is None or connection.user_id not in allowed:
        return
    event = events.Typing(conversation_id=conversation_id, user_id=connection.user_id, state=state)
    await realtime.ephemeral_now(hub.broker, [u for u in allowed if u != connection.user_id], event)


async def on_delivered(hub: Hub, connection: Connection, frame: dict[str, Any]) -> None:
    conversation_id, seq = _conversation_id(frame), frame.get("seq")
    if conversation_id is None or not isinstance(seq, int) or seq < 0:
        connection.push('{"type":"error","code":"invalid_frame"}')
        return
    async with transaction(hub.sessionmaker) as session:
        try:
            await mark_delivered(
                session, user_id=connection.user_id, conversation_id=conversation_id, seq=seq
            )
        except ConversationNotFound:
            return


async def on_presence(hub: Hub, connection: Connection, frame: dict[str, Any]) -> None:
    status = frame.get("status")
    if status not in {"online", "busy"}:
        connection.push('{"type":"error","code":"invalid_frame"}')
        return
    async with transaction(hub.sessionmaker) as session:
        await MessagingRepository(session).presence_touch(connection.user_id, busy=status == "busy")
        await _announce(hub, session, connection.user_id, status)


async def on_connect(hub: Hub, connection: Connection) -> None:
    """Online when this is the user's first socket anywhere (or on this node, in case a
    crashed node left its count behind: a repeated "online" is harmless)."""
    async with transaction(hub.sessionmaker) as session:
        open_sockets = await MessagingRepository(session).presence_connected(connection.user_id, +1)
        if open_sockets == 1 or len(hub.connections.get(connection.user_id, ())) == 1:
            await _announce(hub, session, connection.user_id, "online")


async def on_disconnect(hub: Hub, connection: Connection) -> None:
    """Offline only when no node holds a socket of the user any more."""
    async with transaction(hub.sessionmaker) as session:
        open_sockets = await MessagingRepository(session).presence_connected(connection.user_id, -1)
        if open_sockets == 0:
            await _announce(hub, session, connection.user_id, "offline")


async def on_activity(hub: Hub, connection: Connection) -> None:
    """Any frame is activity; recorded at most once a minute per socket."""
    now = time.monotonic()
    if now - connection.state.get("active", 0.0) < ACTIVITY_EVERY:
        return
    connection.state["active"] = now
    async with transaction(hub.sessionmaker) as session:
        await MessagingRepository(session).presence_touch(connection.user_id)


async def on_tick(hub: Hub) -> None:
    """Every heartbeat: this node's users are still here (a crashed node's count goes
    stale, and then its users read as offline within minutes)."""
    users = list(hub.connections)
    for start in range(0, len(users), SEEN_BATCH):  # short transactions, other work between
        async with transaction(hub.sessionmaker) as session:
            await MessagingRepository(session).presence_seen(users[start : start + SEEN_BATCH])


async def _announce(hub: Hub, session: AsyncSession, user_id: uuid.UUID, status: str) -> None:
    preferences = await notifications_service.chat_preferences(session, [user_id])
    if not preferences[user_id].presence_visible:
        return
    contacts = await MessagingRepository(session).contacts_of(user_id)
    event = events.PresenceChanged(
        user_id=user_id,
        status=status,
        last_seen_at=_minute(utcnow()),
    )
    await realtime.ephemeral(session, contacts, event)


def _minute(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0)


async def presence_of(
    session: AsyncSession, *, viewer: Principal, user_ids: list[uuid.UUID]
) -> list[PresenceRead]:
    """MSG-9: only for people who share a conversation with the viewer; someone hiding
    their presence reads as offline, and a viewer hiding theirs sees no one's last seen."""
    repo = MessagingRepository(session)
    shared = set(await repo.contacts_of(viewer.id)) | {viewer.id}
    visible = [u for u in dict.fromkeys(user_ids) if u in shared]
    preferences = await notifications_service.chat_preferences(session, [viewer.id, *visible])
    rows = await repo.presences(visible)
    now = utcnow()
    reads = []
    for user_id in visible:
        row = rows.get(user_id)
        hidden = not preferences[user_id].presence_visible and user_id != viewer.id
        status = "offline"
        if (
            row is not None
            and not hidden
            and row.connections > 0
            and now - row.last_seen_at < ONLINE_WITHIN
        ):
            status = (
                "busy"
                if row.busy
                else "away"
                if now - row.last_active_at > AWAY_AFTER
                else "online"
            )
        show_seen = preferences[viewer.id].presence_visible and not hidden
        reads.append(
            PresenceRead(
                user_id=user_id,
                status=status,
                last_seen_at=_minute(row.last_seen_at) if row is not None and show_seen else None,
            )
        )
    return reads


def install(hub: Hub) -> None:
    hub.handlers.update({"typing": on_typing, "delivered": on_delivered, "presence": on_presence})
    hub.on_connect.append(on_connect)
    hub.on_disconnect.append(on_disconnect)
    hub.on_frame.append(on_activity)
    hub.on_tick.append(on_tick)
