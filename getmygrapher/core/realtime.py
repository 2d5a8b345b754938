"""Realtime (DESIGN.md §5, MSG-8): every user's events are rows in PostgreSQL with a per-user
sequence, written in the transaction of the change; a broker only wakes processes up, with ids.
Each process runs one hub that holds its websockets, fetches what they have not seen in one
query per batch, and sends it through a bounded queue per connection.

Brokers: PostgreSQL LISTEN/NOTIFY (the default: the NOTIFY is part of the transaction, so it is
delivered if and only if the change commits) or Redis pub/sub (`REALTIME_BROKER=redis://…`,
published right after the commit). Typing and presence are ephemeral: sent through the broker
to the connections of the people entitled to them, never stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from getmygrapher.core.db import after_commit, to_libpq_url
from getmygrapher.core.errors import DomainError
from getmygrapher.core.security import AccountStatus

log = structlog.get_logger(__name__)

CHANNEL = "gmg_realtime"
NOTIFY_LIMIT = 7900  # PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more
HEARTBEAT_SLOTS = 10
FETCH_BATCH = 2000


class RealtimeEvent(BaseModel):
    """An event one user may receive; `type` is a literal on each subclass."""

    model_config = ConfigDict(frozen=True)

    type: str


# Close codes a client should answer by reconnecting with its last seq.
CLOSE_RECONNECT = 4000
CLOSE_UNAUTHORIZED = 4401
CLOSE_SILENT = 4408
CLOSE_TOO_SLOW = 4409


# Writing -----------------------------------------------------------------------------------


async def emit(session: AsyncSession, user_ids: Iterable[uuid.UUID], event: RealtimeEvent) -> None:
    """Append `event` to each user's log with their next sequence number, in the caller's
    transaction, and wake the processes holding their sockets once it commits.

    The users' cursor rows are locked in id order until the commit, so each user's events
    commit in sequence order and a client resuming from seq N never skips one."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    payload = event.model_dump(mode="json")
    rows = await session.execute(
        text(
            "WITH next AS ("
            "  INSERT INTO realtime_cursors (user_id, last_seq) "
            "  SELECT unnest(CAST(:ids AS uuid[])), 1 "
            "  ON CONFLICT (user_id) DO UPDATE SET last_seq = realtime_cursors.last_seq + 1 "
            "  RETURNING user_id, last_seq) "
            "INSERT INTO realtime_events (user_id, seq, type, payload) "
            "SELECT user_id, last_seq, :type, CAST(:payload AS jsonb) FROM next "
            "RETURNING user_id, seq"
        ),
        {"ids": ids, "type": event.type, "payload": json.dumps(payload)},
    )
    wakes = [(row.user_id, row.seq) for row in rows]
    await broker_of(session).publish_at_commit(session, _wake_payloads(wakes))


async def ephemeral(
    session: AsyncSession, user_ids: Iterable[uuid.UUID], event: RealtimeEvent
) -> None:
    """Send `event` to whoever of `user_ids` is connected once the transaction commits;
    nothing is stored."""
    ids = sorted(set(user_ids))
    if ids:
        payloads = _ephemeral_payloads(ids, event.model_dump(mode="json"))
        await broker_of(session).publish_at_commit(session, payloads)


async def ephemeral_now(
    broker: Broker, user_ids: Sequence[uuid.UUID], event: RealtimeEvent
) -> None:
    """Send `event` now, outside any transaction, to whoever of `user_ids` is connected."""
    if user_ids:
        await broker.publish_now(_ephemeral_payloads(user_ids, event.model_dump(mode="json")))


def _wake_payloads(wakes: Sequence[tuple[uuid.UUID, int]]) -> list[str]:
    chunks, current = [], "w"
    for user_id, seq in wakes:
        part = f"|{user_id}:{seq}"
        if len(current) + len(part) > NOTIFY_LIMIT:
            chunks.append(current)
            current = "w"
        current += part
    chunks.append(current)
    return chunks


def _ephemeral_payloads(user_ids: Sequence[uuid.UUID], event: dict[str, Any]) -> list[str]:
    body = json.dumps(event, separators=(",", ":"))
    per_chunk = max(1, (NOTIFY_LIMIT - len(body) - 20) // 37)
    return [
        "e"
        + json.dumps(
            {"to": [str(u) for u in user_ids[i : i + per_chunk]], "event": event},
            separators=(",", ":"),
        )
        for i in range(0, len(user_ids), per_chunk)
    ]


# Brokers -----------------------------------------------------------------------------------


class Broker(Protocol):
    async def publish_at_commit(self, session: AsyncSession, payloads: Sequence[str]) -> None:
        """To every process, once `session` commits (never on rollback)."""

    async def publish_now(self, payloads: Sequence[str]) -> None:
        """To every process, now."""

    def listen(self, ready: asyncio.Event) -> AsyncIterator[str]:
        """Every payload published by any process; `ready` is set once subscribed."""

    async def aclose(self) -> None: ...


def broker_of(session: AsyncSession) -> Broker:
    broker: Broker | None = session.info.get("realtime_broker")
    return broker if broker is not None else _IN_TRANSACTION


class PostgresBroker:
    """LISTEN/NOTIFY on the application's own database: nothing else to run."""

    def __init__(self, database_url: str | None) -> None:
        self.dsn = to_libpq_url(database_url) if database_url else None
        self._publisher: Any = None
        self._lock = asyncio.Lock()

    async def publish_at_commit(self, session: AsyncSession, payloads: Sequence[str]) -> None:
        # Part of the transaction: PostgreSQL delivers it at commit, and never on rollback.
        for payload in payloads:
            await session.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": CHANNEL, "payload": payload},
            )

    async def publish_now(self, payloads: Sequence[str]) -> None:
        import asyncpg

        async with self._lock:
            if self._publisher is None or self._publisher.is_closed():
                self._publisher = await asyncpg.connect(self.dsn)
            for payload in payloads:
                await self._publisher.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)

    async def listen(self, ready: asyncio.Event) -> AsyncIterator[str]:
        import asyncpg

        queue: asyncio.Queue[str | None] = asyncio.Queue()
        connection = await asyncpg.connect(self.dsn)
        connection.add_termination_listener(lambda _: queue.put_nowait(None))
        await connection.add_listener(CHANNEL, lambda *args: queue.put_nowait(args[3]))
        ready.set()
        try:
            while (payload := await queue.get()) is not None:
                yield payload
        finally:
            with contextlib.suppress(Exception):
                await connection.close()

    async def aclose(self) -> None:
        if self._publisher is not None:
            with contextlib.suppress(Exception):
                await self._publisher.close()


class RedisBroker:
    """Redis pub/sub, for many API nodes; published right after the commit."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self.client = redis.from_url(url)

    async def publish_at_commit(self, session: AsyncSession, payloads: Sequence[str]) -> None:
        async def publish() -> None:
            await self.publish_now(payloads)

        after_commit(session, publish)

    async def publish_now(self, payloads: Sequence[str]) -> None:
        for payload in payloads:
            await self.client.publish(CHANNEL, payload)

    async def listen(self, ready: asyncio.Event) -> AsyncIterator[str]:
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(CHANNEL)
        ready.set()
        try:
            while True:
                message = await pubsub.get_message(timeout=30)
                if message is not None:
                    data = message["data"]
                    yield data.decode() if isinstance(data, bytes) else str(data)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()


_IN_TRANSACTION = PostgresBroker(None)


def broker_from_settings(url: str | None, database_url: str) -> Broker:
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBroker(url)
    return PostgresBroker(database_url)


# Connections and the hub ------------------------------------------------------------------


class Socket(Protocol):
    async def send_text(self, data: str) -> None: ...
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


@dataclass(eq=False)
class Connection:
    user_id: uuid.UUID
    socket: Socket
    sent_seq: int
    queue_size: int
    queue: asyncio.Queue[str | None] = field(init=False)
    closing: tuple[int, str] | None = None
    # Until "ready" is queued nothing else is: no ping, no ephemeral frame, no event.
    ready: bool = False
    slot: int = 0  # which part of the heartbeat pings it
    session_id: uuid.UUID | None = None  # the sign-in session it speaks for
    state: dict[str, Any] = field(default_factory=dict)  # for domain handlers

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(maxsize=self.queue_size)

    def push(self, frame: str) -> None:
        """Never waits: a client that cannot keep up is dropped and resumes later."""
        if self.closing is not None:
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.close(CLOSE_TOO_SLOW, "too slow: reconnect with your last seq")

    def close(self, code: int, reason: str) -> None:
        if self.closing is None:
            self.closing = (code, reason)
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)

    async def write(self) -> None:
        """Send queued frames until closed; the only task that writes to the socket."""
        while (frame := await self.queue.get()) is not None:
            await self.socket.send_text(frame)
        code, reason = self.closing or (1000, "")
        with contextlib.suppress(Exception):
            await self.socket.close(code=code, reason=reason)


Handler = Callable[["Hub", Connection, dict[str, Any]], Awaitable[None]]
Hook = Callable[["Hub", Connection], Awaitable[None]]


class Hub:
    """This process's sockets, and the loop that feeds them."""

    def __init__(
        self,
        broker: Broker,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        queue_size: int = 1000,
        heartbeat_seconds: float = 30.0,
    ) -> None:
        self.broker = broker
        self.sessionmaker = sessionmaker
        self.queue_size = queue_size
        self.heartbeat_seconds = heartbeat_seconds
        self.connections: dict[uuid.UUID, set[Connection]] = {}
        self._opened = 0
        self.handlers: dict[str, Handler] = {"pong": _nothing}
        self.on_connect: list[Hook] = []
        self.on_disconnect: list[Hook] = []
        self.on_frame: list[Hook] = []  # any frame but a pong: a sign of activity
        self.on_tick: list[Callable[[Hub], Awaitable[None]]] = []  # every heartbeat
        self._wanted: dict[Connection, int] = {}
        self._fetch = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.listening = asyncio.Event()

    # Lifecycle

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="realtime-listen"),
            asyncio.create_task(self._fetch_loop(), name="realtime-fetch"),
            asyncio.create_task(self._heartbeat(), name="realtime-heartbeat"),
        ]

    async def aclose(self) -> None:
        for connections in list(self.connections.values()):
            for connection in list(connections):
                connection.close(CLOSE_RECONNECT, "server restarting: reconnect")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    @property
    def behind(self) -> bool:
        """Running but not (yet, or no longer) subscribed to the broker: events from other
        processes would not reach this node's sockets."""
        return bool(self._tasks) and not self.listening.is_set()

    # Connections

    async def connect(self, user_id: uuid.UUID, socket: Socket, last_seq: int | None) -> Connection:
        """Register first, then read where the user's log stands, so nothing written in
        between is missed; replay from `last_seq`, or ask for a resync if that is gone."""
        connection = Connection(user_id, socket, sent_seq=0, queue_size=self.queue_size)
        self._opened += 1
        connection.slot = self._opened % HEARTBEAT_SLOTS
        self.connections.setdefault(user_id, set()).add(connection)
        async with self.sessionmaker() as session:
            row = (
                await session.execute(
                    text(
                        "SELECT (SELECT last_seq FROM realtime_cursors WHERE user_id = :u) "
                        "AS last, (SELECT min(seq) FROM realtime_events WHERE user_id = :u) "
                        "AS oldest"
                    ),
                    {"u": user_id},
                )
            ).one()
        current, oldest = int(row.last or 0), row.oldest
        if last_seq is None or last_seq >= current:
            connection.sent_seq = current
        elif oldest is not None and oldest <= last_seq + 1:
            connection.sent_seq = last_seq
            self.want(connection, current)
        else:
            connection.sent_seq = current
            connection.push(json.dumps({"type": "resync_required", "seq": current}))
        connection.push(
            json.dumps(
                {
                    "type": "ready",
                    "seq": connection.sent_seq,
                    "heartbeat_seconds": self.heartbeat_seconds,
                }
            )
        )
        connection.ready = True
        if connection in self._wanted:  # woken while its position was being read
            self._fetch.set()
        for hook in self.on_connect:
            await _quietly(hook(self, connection))
        return connection

    async def disconnect(self, connection: Connection) -> None:
        peers = self.connections.get(connection.user_id)
        if peers is not None:
            peers.discard(connection)
            if not peers:
                del self.connections[connection.user_id]
        self._wanted.pop(connection, None)
        for hook in self.on_disconnect:
            await _quietly(hook(self, connection))

    async def handle(self, connection: Connection, frame: dict[str, Any]) -> None:
        kind = str(frame.get("type"))
        if kind != "pong":  # the client's software answering, not the person being active
            for hook in self.on_frame:
                await _quietly(hook(self, connection))
        handler = self.handlers.get(kind)
        if handler is None:
            connection.push(json.dumps({"type": "error", "code": "unknown_frame"}))
            return
        await _quietly(handler(self, connection, frame))

    def want(self, connection: Connection, seq: int) -> None:
        if seq > connection.sent_seq:
            self._wanted[connection] = max(seq, self._wanted.get(connection, 0))
            self._fetch.set()

    def deliver_ephemeral(self, user_ids: Iterable[uuid.UUID], event: dict[str, Any]) -> None:
        frame = json.dumps(event, separators=(",", ":"))
        for user_id in user_ids:
            for connection in self.connections.get(user_id, ()):
                if connection.ready:
                    connection.push(frame)

    # Loops

    def receive(self, payload: str) -> None:
        if payload.startswith("w"):
            for part in payload[2:].split("|"):
                user, _, seq = part.partition(":")
                with contextlib.suppress(ValueError):
                    for connection in self.connections.get(uuid.UUID(user), ()):
                        self.want(connection, int(seq))
        elif payload.startswith("e"):
            with contextlib.suppress(ValueError, KeyError):
                message = json.loads(payload[1:])
                self.deliver_ephemeral((uuid.UUID(u) for u in message["to"]), message["event"])

    async def _listen(self) -> None:
        """Follow the broker for as long as the hub runs; after a broken link, every socket
        catches up from the database, since wake-ups may have been lost meanwhile."""
        delay = 0.5
        while True:
            try:
                async for payload in self.broker.listen(self.listening):
                    delay = 0.5
                    self.receive(payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("realtime_broker_lost", exc_info=True)
            self.listening.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)
            # Catch up once subscribed again: a wake-up between a catch-up and the new
            # subscription would otherwise be lost.
            self._tasks = [task for task in self._tasks if not task.done()]
            self._tasks.append(asyncio.create_task(self._catch_up_when_listening()))

    async def _catch_up_when_listening(self) -> None:
        await self.listening.wait()
        await _quietly(self.catch_up())

    async def catch_up(self) -> None:
        """Ask the database where every connected user's log stands (one query)."""
        users = list(self.connections)
        if not users:
            return
        async with self.sessionmaker() as session:
            rows = await session.execute(
                text(
                    "SELECT user_id, last_seq FROM realtime_cursors "
                    "WHERE user_id = ANY(CAST(:ids AS uuid[]))"
                ),
                {"ids": users},
            )
            for user_id, last_seq in rows:
                for connection in self.connections.get(user_id, ()):
                    self.want(connection, int(last_seq))

    async def _fetch_loop(self) -> None:
        while True:
            await self._fetch.wait()
            self._fetch.clear()
            wanted, self._wanted = self._wanted, {}
            try:
                await self._fetch_for(wanted)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("realtime_fetch_failed")
                for connection, seq in wanted.items():
                    self._wanted[connection] = max(seq, self._wanted.get(connection, 0))
                await asyncio.sleep(0.5)
                self._fetch.set()

    async def _fetch_for(self, wanted: dict[Connection, int]) -> None:
        connections = list(wanted)
        after: dict[uuid.UUID, int] = {}
        for connection in connections:
            if not connection.ready:  # fetched once `connect` has placed it
                self._wanted[connection] = max(wanted[connection], self._wanted.get(connection, 0))
            elif connection.closing is None:
                after[connection.user_id] = min(
                    connection.sent_seq, after.get(connection.user_id, connection.sent_seq)
                )
        if not after:
            return
        async with self.sessionmaker() as session:
            rows = (
                await session.execute(
                    text(
                        "SELECT e.user_id, e.seq, e.type, e.payload FROM realtime_events e "
                        "JOIN unnest(CAST(:users AS uuid[]), CAST(:after AS bigint[])) AS t(u, a) "
                        "ON e.user_id = t.u AND e.seq > t.a ORDER BY e.user_id, e.seq LIMIT :n"
                    ),
                    {"users": list(after), "after": list(after.values()), "n": FETCH_BATCH},
                )
            ).all()
        for row in rows:
            frame = json.dumps(
                {"type": row.type, "seq": row.seq, "data": row.payload},
                separators=(",", ":"),
                default=str,
            )
            for connection in self.connections.get(row.user_id, ()):
                if connection.ready and row.seq > connection.sent_seq:
                    connection.push(frame)
                    connection.sent_seq = row.seq
        if len(rows) >= FETCH_BATCH:  # more to come: go round again
            for connection in connections:
                self.want(connection, connection.sent_seq + 1)

    async def _heartbeat(self) -> None:
        """Each socket is pinged once per heartbeat, in HEARTBEAT_SLOTS groups spread over it,
        so ten thousand pings (and pongs) never arrive at once; the tick hooks run once per
        heartbeat."""
        frame = json.dumps({"type": "ping"})
        beat = 0
        while True:
            await asyncio.sleep(self.heartbeat_seconds / HEARTBEAT_SLOTS)
            slot = beat % HEARTBEAT_SLOTS
            for connections in list(self.connections.values()):
                for connection in list(connections):
                    if connection.ready and connection.slot == slot:
                        connection.push(frame)
            beat += 1
            if beat % HEARTBEAT_SLOTS == 0:
                for tick in self.on_tick:
                    await _quietly(tick(self))


SessionCheck = Callable[[AsyncSession, Sequence[uuid.UUID]], Awaitable[set[uuid.UUID]]]


def closing_ended_sessions(still_live: SessionCheck) -> Callable[[Hub], Awaitable[None]]:
    """A tick hook: sockets whose sign-in session was ended (signed out, revoked, expired, or
    the account suspended) close with 4401 within a heartbeat, in one query for all."""

    async def tick(hub: Hub) -> None:
        by_session: dict[uuid.UUID, list[Connection]] = {}
        for connections in list(hub.connections.values()):
            for connection in connections:
                if connection.session_id is not None:
                    by_session.setdefault(connection.session_id, []).append(connection)
        if not by_session:
            return
        async with hub.sessionmaker() as session:
            live = await still_live(session, list(by_session))
        for session_id, ended in by_session.items():
            if session_id not in live:
                for connection in ended:
                    connection.close(CLOSE_UNAUTHORIZED, "signed out: authenticate again")

    return tick


async def _nothing(hub: Hub, connection: Connection, frame: dict[str, Any]) -> None:
    """Any frame is a sign of life; a pong needs nothing more."""


async def _quietly(awaitable: Awaitable[None]) -> None:
    try:
        await awaitable
    except Exception:
        log.exception("realtime_handler_failed")


# The endpoint ------------------------------------------------------------------------------

router = APIRouter(tags=["realtime"])
AUTH_SECONDS = 10
MAX_FRAME = 4096


@router.websocket("/v1/realtime")
async def realtime_socket(websocket: WebSocket) -> None:
    """One socket per device. The first frame authenticates, `{"type": "auth", "token": …,
    "last_seq": n}` (the token never goes in the URL); then events arrive as
    `{"type", "seq", "data"}` from n + 1 on, pings every 30 s, and the client may send
    `typing`, `delivered`, `presence` and `pong` frames."""
    state = websocket.app.state
    hub: Hub = state.hub
    settings = state.runtime.settings
    await websocket.accept()
    try:
        first = json.loads(await asyncio.wait_for(websocket.receive_text(), AUTH_SECONDS))
        claims = state.token_signer.read(str(first["token"]))
        last_seq = first.get("last_seq")
        if last_seq is not None and (not isinstance(last_seq, int) or last_seq < 0):
            raise ValueError("last_seq")
        async with hub.sessionmaker() as session:
            principal = await state.principal_loader(session, claims)
        if principal is None or principal.status is AccountStatus.SUSPENDED:
            raise ValueError("principal")
    except (TimeoutError, ValueError, KeyError, TypeError, DomainError, WebSocketDisconnect):
        with contextlib.suppress(Exception):
            await websocket.close(CLOSE_UNAUTHORIZED, "authenticate first")
        return
    connection = await hub.connect(principal.id, websocket, last_seq)
    connection.session_id = principal.session_id
    writer = asyncio.create_task(connection.write())
    ends = time.monotonic() + settings.realtime_max_connection_hours * 3600
    try:
        while connection.closing is None:
            try:
                raw = await asyncio.wait_for(
                    websocket.receive_text(), settings.realtime_idle_seconds
                )
            except TimeoutError:
                connection.close(CLOSE_SILENT, "silent for too long")
                break
            if time.monotonic() > ends:
                connection.close(CLOSE_RECONNECT, "connection lifetime reached: reconnect")
                break
            frame = _frame(raw)
            if frame is None:
                connection.push(json.dumps({"type": "error", "code": "invalid_frame"}))
            else:
                await hub.handle(connection, frame)
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client went away, or the writer closed the socket
    finally:
        connection.close(1000, "")
        await hub.disconnect(connection)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer, 5)


def _frame(raw: str) -> dict[str, Any] | None:
    if len(raw) > MAX_FRAME:
        return None
    try:
        frame = json.loads(raw)
    except ValueError:
        return None
    return frame if isinstance(frame, dict) else None
