"""Realtime over real websockets (MSG-5, MSG-7, MSG-8, MSG-9): delivery, resume, typing,
receipts, presence, and what a socket may not do."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from getmygrapher.main import create_app
from tests.conftest import LiveDatabase
from tests.factories import Person, make_user
from tests.messaging.helpers import say, start
from tests.realtime import Socket, served

pytestmark = pytest.mark.live


async def _person(live: LiveDatabase, name: str) -> Person:
    async with live.sessionmaker() as session:
        return await make_user(session, live.runtime, onboarded=True, full_name=name)


def _token(person: Person) -> str:
    return str(person.tokens.access_token)


@pytest.fixture
async def host(live: LiveDatabase) -> AsyncIterator[str]:
    async with served(create_app(live.runtime)) as found:
        yield found


@pytest.fixture
async def pair(live: LiveDatabase) -> tuple[Person, Person, str]:
    asha, bilal = await _person(live, "Asha Rao"), await _person(live, "Bilal Khan")
    chat = (await start(live.api, asha, bilal, "First!"))["conversation"]["id"]
    return asha, bilal, chat


async def test_a_message_reaches_the_other_side_and_the_senders_other_device(
    live: LiveDatabase, host: str, pair: tuple[Person, Person, str]
) -> None:
    asha, bilal, chat = pair
    bilal_phone = await Socket.open(host, _token(bilal))
    asha_laptop = await Socket.open(host, _token(asha))

    sent = await say(live.api, asha, chat, "Can you shoot on Sunday?")
    received = await bilal_phone.next("message.created")
    echoed = await asha_laptop.next("message.created")

    assert received["data"]["message"]["id"] == sent["id"]
    assert received["data"]["message"]["text"] == "Can you shoot on Sunday?"
    assert received["data"]["conversation_id"] == chat
    assert received["seq"] > bilal_phone.ready["seq"]
    assert echoed["data"]["message"]["id"] == sent["id"]
    await bilal_phone.close()
    await asha_laptop.close()


async def test_a_dropped_connection_resumes_without_loss_or_duplicates(
    live: LiveDatabase, host: str, pair: tuple[Person, Person, str]
) -> None:
    asha, bilal, chat = pair
    socket = await Socket.open(host, _token(bilal))
    await say(live.api, asha, chat, "before the tunnel")
    last = (await socket.next("message.created"))["seq"]
    await socket.close()
    missed = [(await say(live.api, asha, chat, f"in the tunnel {i}"))["id"] for i in range(3)]

    resumed = await Socket.open(host, _token(bilal), last_seq=last)
    replayed = [await resumed.next("message.created") for _ in range(3)]
    after = await say(live.api, asha, chat, "out of the tunnel")
    live_one = await resumed.next("message.created")
    extra = await resumed.quiet(0.5, "message.created")

    assert [f["data"]["message"]["id"] for f in replayed] == missed
    assert [f["seq"] for f in replayed] == [last + 1, last + 2, last + 3]
    assert live_one["data"]["message"]["id"] == after["id"]
    assert extra == []
    await resumed.close()


async def test_a_gap_older_than_the_log_asks_for_a_resync(
    live: LiveDatabase, host: str, pair: tuple[Person, Person, str]
) -> None:
    asha, bilal, chat = pair
    for index in range(3):
        await say(live.api, asha, chat, f"old news {index}")
    async with live.engine.begin() as connection:
        from sqlalchemy import text

        await connection.execute(text("DELETE FROM realtime_events"))

    socket = await Socket.open(host, _token(bilal), last_seq=1, expect_ready=False)
    first = await socket.next()
    ready = await socket.next("ready")

    assert first["type"] == "resync_required"
    assert ready["seq"] == first["seq"]
    await socket.close()


@pytest.mark.parametrize(
    "first",
    [
        {"type": "auth", "token": "forged"},
        {"token": 1},
        {"type": "auth", "token": "x", "last_seq": -1},
        "garbage",
    ],
)
async def test_a_socket_must_authenticate_first(live: LiveDatabase, host: str, first: Any) -> None:
    from websockets.asyncio.client import connect

    async with connect(f"ws://{host}/v1/realtime") as connection:
        await connection.send(first if isinstance(first, str) else json.dumps(first))
        with pytest.raises(Exception, match="4401"):
            await asyncio.wait_for(connection.recv(), 5)


async def test_a_suspended_account_cannot_open_a_socket(
    live: LiveDatabase, host: str, pair: tuple[Person, Person, str]
) -> None:
    _, bilal, _ = pair
    async with live.engine.begin() as connection:
        from sqlalchemy import text

        await connection.execute(
            text("UPDATE users SET status = 'suspended' WHERE id = :id"), {"id": bilal.id}
        )

    socket = await Socket.open(host, _token(bilal), expect_ready=False)

    assert await socket.closed_with() == 4401


async def test_typing_goes_to_the_other_member_only_throttled_and_unstored(
    live: LiveDatabase, host: str, pair: tuple[Person, Person, str]
) -> None:
    asha, bilal, chat = pair
    stranger = await _person(live, "Stranger")
    asha_socket = await Socket.open(host, _token(asha))
    bilal_socket = await Socket.open(host, _token(bilal))
    stranger_socket = await Socket.open(host, _token(stranger))

    await asha_socket.send({"type": "typing", "conversation_id": chat, "state": "start"})
    await asha_socket.send({"type": "typing", "conversation_id": chat, "state": "start"})
    await asha_socket.send({"type": "typing", "conversation_id": chat, "state": "stop"})
    await stranger_socket.send({"type": "typing", "conversation_id": chat, "state": "start"})
    await asha_socket.send({"type": "typing", "conversation_id": "nope", "state": "start"})
    seen = await bilal_socket.quiet(1.0, "typing")
    own_frames = await asha_socket.quiet(0.3)
    own = [f for f in own_frames if f["type"] == "typing"]
    error = [f for f in own_frames if f["type"] == "error"]

    assert [(f["user_id"], f["state"]) for f in seen] == [
        (str(asha.id), "start"),
        (str(asha.id), "stop"),
    ]
    assert own == []
    assert error == [{"type": "error", "code": "invalid_frame"}]
    stored = await live.scalar("SELECT count(*) FROM realtime_events WHERE type = 'typing'")
    assert stored == 0
    # Someone who turned typing indicators off neither sends nor sees them.
    await live.api.patch(
        "/v1/me/chat-settings", json={"typing_indicators": False}, headers=bilal.headers
    )
    await asyncio.sleep(3.1)  # past the throttle, and the membership cache refreshes
    fresh = await Socket.open(host, _token(bilal))
    await asha_socket.send({"type": "typing", "conversation_id": chat, "state": "start"})
    assert await fresh.quiet(1.0, "typing") == []
    for socket in (asha_socket, bilal_socket, stranger_socket, fresh):
        await socket.close()


async def test_reads_and_deliveries_reach_the_sender_unless_receipts_are_off(
    live: LiveDatabase, host: str, pair: tuple[Person, Person, str]
) -> None:
    asha, bilal, chat = pair
    asha_socket = await Socket.open(host, _token(asha))
    bilal_socket = await Socket.open(host, _token(bilal))
    sent = await say(live.api, asha, chat, "Quote attached")
    await bilal_socket.next("message.created")

    await bilal_socket.send({"type": "delivered", "conversation_id": chat, "seq": sent["seq"]})
    delivered = await asha_socket.next("message.delivered")
    history = (
        await live.api.get(f"/v1/conversations/{chat}/messages", headers=asha.headers)
    ).json()["items"]
    await live.api.post(
        f"/v1/conversations/{chat}/read", json={"seq": sent["seq"]}, headers=bilal.headers
    )
    read = await asha_socket.next("message.read")
    await live.api.patch(
        "/v1/me/chat-settings", json={"read_receipts": False}, headers=bilal.headers
    )
    second = await say(live.api, asha, chat, "And the contract")
    await live.api.post(
        f"/v1/conversations/{chat}/read", json={"seq": second["seq"]}, headers=bilal.headers
    )
    hidden = await asha_socket.quiet(0.8, "message.read")
    own_device = await bilal_socket.quiet(0.8, "message.read")
    status = (
        await live.api.get(f"/v1/conversations/{chat}/messages", headers=asha.headers)
    ).json()["items"][0]["status"]

    assert delivered["data"]["delivered_seq"] == sent["seq"]
    assert history[0]["status"] == "delivered"
    assert read["data"] == {
        "type": "message.read",
        "conversation_id": chat,
        "user_id": str(bilal.id),
        "read_seq": sent["seq"],
    }
    assert hidden == []
    assert [f["data"]["read_seq"] for f in own_device][-1] == second["seq"]
    assert status == "delivered"  # receipts off: never "read"
    for socket in (asha_socket, bilal_socket):
        await socket.close()


async def test_presence_is_shown_to_people_who_share_a_conversation(
    live: LiveDatabase, host: str, pair: tuple[Person, Person, str]
) -> None:
    asha, bilal, _ = pair
    stranger = await _person(live, "Stranger")
    asha_socket = await Socket.open(host, _token(asha))

    bilal_socket = await Socket.open(host, _token(bilal))
    online = await asha_socket.next("presence")
    seen = (
        await live.api.get(
            "/v1/presence", params={"user_ids": [str(bilal.id)]}, headers=asha.headers
        )
    ).json()
    hidden = (
        await live.api.get(
            "/v1/presence", params={"user_ids": [str(bilal.id)]}, headers=stranger.headers
        )
    ).json()
    await bilal_socket.send({"type": "presence", "status": "busy"})
    busy = await asha_socket.next("presence")
    await bilal_socket.close()
    offline = await asha_socket.next("presence")
    after = (
        await live.api.get(
            "/v1/presence", params={"user_ids": [str(bilal.id)]}, headers=asha.headers
        )
    ).json()

    assert (online["user_id"], online["status"]) == (str(bilal.id), "online")
    assert seen[0]["status"] == "online"
    assert seen[0]["last_seen_at"].endswith(":00Z")
    assert hidden == []
    assert busy["status"] == "busy"
    assert offline["status"] == "offline"
    assert after[0]["status"] == "offline"
    await live.api.patch(
        "/v1/me/chat-settings", json={"presence_visible": False}, headers=bilal.headers
    )
    invisible = (
        await live.api.get(
            "/v1/presence", params={"user_ids": [str(bilal.id)]}, headers=asha.headers
        )
    ).json()
    assert invisible[0]["last_seen_at"] is None
    await asha_socket.close()


async def test_a_client_that_falls_behind_is_told_to_reconnect(
    live: LiveDatabase, pair: tuple[Person, Person, str]
) -> None:
    asha, bilal, chat = pair
    for index in range(30):
        await say(live.api, asha, chat, f"flood {index}")
    live.configure(realtime_queue_size=10)
    async with served(create_app(live.runtime)) as host:
        socket = await Socket.open(host, _token(bilal), last_seq=0, expect_ready=False)
        assert await socket.closed_with() == 4409


async def test_a_silent_client_is_closed_and_heartbeats_arrive(
    live: LiveDatabase, pair: tuple[Person, Person, str]
) -> None:
    _, bilal, _ = pair
    live.configure(realtime_idle_seconds=1.0, realtime_heartbeat_seconds=0.3)
    async with served(create_app(live.runtime)) as host:
        socket = await Socket.open(host, _token(bilal))
        ping = await socket.next("ping", within=2)
        unknown_frame_answer = None
        await socket.send({"type": "dance"})
        unknown_frame_answer = await socket.next("error")
        await socket.send({"type": "pong"})
        code = await socket.closed_with(within=5)

    assert ping == {"type": "ping"}
    assert unknown_frame_answer == {"type": "error", "code": "unknown_frame"}
    assert code == 4408


async def test_membership_is_checked_when_events_are_written(live: LiveDatabase, host: str) -> None:
    """Someone removed from a team stops receiving its events at once (MSG-8)."""
    from tests.jobs.helpers import apply, make_pro, post_job
    from tests.profiles.helpers import make_professional

    async with live.sessionmaker() as session:
        client = await make_user(session, live.runtime, onboarded=True, full_name="Client")
        await make_pro(session, client)
        pros = [
            await make_professional(session, live.runtime, phone=f"+9198123007{i}0")
            for i in range(2)
        ]
    job = await post_job(live.api, client, positions=2)
    for pro in pros:
        application = await apply(live.api, pro, job["id"])
        await live.api.post(
            f"/v1/applications/{application['id']}/status",
            json={"status": "hired"},
            headers=client.headers,
        )
    team = (
        await live.api.post(
            "/v1/conversations/groups",
            json={
                "job_id": job["id"],
                "participant_ids": [str(p.id) for p in pros],
                "message": {"text": "Team!", "client_message_id": uuid.uuid4().hex},
            },
            headers=client.headers,
        )
    ).json()["conversation"]["id"]
    removed = await Socket.open(host, _token(pros[1]))
    await live.api.delete(f"/v1/conversations/{team}/members/{pros[1].id}", headers=client.headers)
    await removed.quiet(0.5)
    await say(live.api, client, team, "Call time is 6 am")

    leaked = [
        f
        for f in await removed.quiet(1.0, "message.created")
        if f["data"]["conversation_id"] == team
    ]

    assert leaked == []
    await removed.close()


async def test_events_are_written_only_when_the_change_commits(
    live: LiveDatabase, host: str, pair: tuple[Person, Person, str]
) -> None:
    asha, bilal, chat = pair
    socket = await Socket.open(host, _token(bilal))
    before = await live.scalar("SELECT count(*) FROM realtime_events")

    refused = await live.api.post(
        f"/v1/conversations/{chat}/messages",
        json={"text": "x", "attachment_ids": [str(uuid.uuid4())], "client_message_id": "bad"},
        headers=asha.headers,
    )

    assert refused.status_code == 422
    assert await socket.quiet(0.5, "message.created") == []
    assert await live.scalar("SELECT count(*) FROM realtime_events") == before
    await socket.close()


async def test_a_lost_broker_link_is_reported_then_caught_up_without_loss(
    live: LiveDatabase, host: str, pair: tuple[Person, Person, str]
) -> None:
    """Wake-ups sent while the listening connection is gone are not lost: once it is back,
    every socket catches up from the database; meanwhile /readyz says realtime is down."""
    import httpx

    asha, bilal, chat = pair
    socket = await Socket.open(host, _token(bilal))
    async with httpx.AsyncClient(base_url=f"http://{host}") as client:
        ready_before = await client.get("/readyz")
        await live.scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE query LIKE 'LISTEN%' AND datname = current_database()"
        )
        for _ in range(100):
            if (down := await client.get("/readyz")).status_code == 503:
                break
            await asyncio.sleep(0.01)
        sent = await say(live.api, asha, chat, "Sent while the link was down")
        caught = await socket.next("message.created", within=15)
        for _ in range(500):
            if (back := await client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.02)

    assert ready_before.json() == {"status": "ok", "database": "up"}
    assert down.status_code == 503
    assert down.json() == {"status": "unavailable", "realtime": "down"}
    assert caught["data"]["message"]["id"] == sent["id"]
    assert back.status_code == 200
    await socket.close()


async def test_sockets_close_when_their_session_ends_or_the_account_is_suspended(
    live: LiveDatabase, pair: tuple[Person, Person, str]
) -> None:
    asha, bilal, _ = pair
    live.configure(realtime_heartbeat_seconds=0.3)
    async with served(create_app(live.runtime)) as host:
        signed_out = await Socket.open(host, _token(asha))
        suspended = await Socket.open(host, _token(bilal))
        logout = await live.api.post("/v1/auth/logout", headers=asha.headers)
        out_code = await signed_out.closed_with(within=5)
        still_there = await suspended.quiet(0.5)
        async with live.engine.begin() as connection:
            await connection.execute(
                text("UPDATE users SET status = 'suspended' WHERE id = :id"), {"id": bilal.id}
            )
        suspended_code = await suspended.closed_with(within=5)

    assert logout.status_code == 204
    assert out_code == 4401
    assert all(frame["type"] != "error" for frame in still_there)
    assert suspended.connection.close_code == suspended_code == 4401


async def test_in_app_notifications_arrive_on_the_socket(live: LiveDatabase, host: str) -> None:
    from tests.jobs.helpers import apply, make_pro, post_job
    from tests.profiles.helpers import make_professional

    async with live.sessionmaker() as session:
        client = await make_user(session, live.runtime, onboarded=True, full_name="Client")
        await make_pro(session, client)
        pro = await make_professional(session, live.runtime, phone="+919812300811")
    job = await post_job(live.api, client)
    socket = await Socket.open(host, _token(client))

    application = await apply(live.api, pro, job["id"])
    frame = await socket.next("notification.created")
    listed = (await live.api.get("/v1/notifications", headers=client.headers)).json()

    assert frame["data"]["notification"] == listed["items"][0]
    assert frame["data"]["notification"]["target_id"] in {application["id"], job["id"]}
    await socket.close()
