"""The hub's ordering promise: a socket gets nothing before its "ready" frame, and a wake-up
that arrives while its position is being read is not lost."""

from __future__ import annotations

import json
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from getmygrapher.core.realtime import Connection, Hub, PostgresBroker


class Recorder:
    """Stands in for the websocket transport only: it records what would be written."""

    def __init__(self) -> None:
        self.sent: list[dict[str, object]] = []

    async def send_text(self, data: str) -> None:
        self.sent.append(json.loads(data))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.sent.append({"closed": code})


async def test_nothing_reaches_a_socket_before_ready_and_early_wakes_wait() -> None:
    hub = Hub(PostgresBroker(None), async_sessionmaker(class_=AsyncSession))
    user = uuid.uuid4()
    early = Connection(user, Recorder(), sent_seq=0, queue_size=10)
    hub.connections[user] = {early}

    hub.deliver_ephemeral([user], {"type": "typing", "state": "start"})
    hub.want(early, 5)
    wanted, hub._wanted = hub._wanted, {}
    await hub._fetch_for(wanted)  # the fetch loop's turn comes before "ready"

    assert early.queue.empty()
    assert hub._wanted == {early: 5}  # kept for when the position is known
    early.ready = True
    hub.deliver_ephemeral([user], {"type": "typing", "state": "stop"})
    assert json.loads(early.queue.get_nowait()) == {"type": "typing", "state": "stop"}
