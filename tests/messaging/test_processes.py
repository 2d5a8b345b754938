"""Two `getmygrapher serve` processes on one database deliver to each other's sockets,
through PostgreSQL LISTEN/NOTIFY by default and through Redis when REALTIME_BROKER says so."""

from __future__ import annotations

import contextlib
import socket
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveDatabase
from tests.factories import Person, make_user
from tests.realtime import Socket, spawned

pytestmark = pytest.mark.live

REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = "test-secret-key-that-is-long-enough-for-hs256"


def _redis_answers() -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 6379), 0.5):
        return True
    return False


async def _person(live: LiveDatabase, name: str) -> Person:
    async with live.sessionmaker() as session:
        return await make_user(session, live.runtime, onboarded=True, full_name=name)


@pytest.mark.parametrize(
    "broker",
    [
        pytest.param("", id="postgres"),
        pytest.param(
            REDIS_URL,
            id="redis",
            marks=pytest.mark.skipif(not _redis_answers(), reason="needs Redis on 127.0.0.1:6379"),
        ),
    ],
)
async def test_two_processes_deliver_to_each_others_sockets(
    live: LiveDatabase, database_url: str, tmp_path: Path, broker: str
) -> None:
    asha, bilal = await _person(live, "Asha Rao"), await _person(live, "Bilal Khan")
    environment = {"SECRET_KEY": SECRET, "PUBLIC_BASE_URL": "http://test", "ENVIRONMENT": "test"}
    if broker:
        environment["REALTIME_BROKER"] = broker

    async with (
        spawned(database_url, tmp_path / "one", **environment) as one,
        spawned(database_url, tmp_path / "two", **environment) as two,
        httpx.AsyncClient(base_url=f"http://{one}") as api_one,
        httpx.AsyncClient(base_url=f"http://{two}") as api_two,
    ):
        asha_socket = await Socket.open(one, str(asha.tokens.access_token))
        bilal_socket = await Socket.open(two, str(bilal.tokens.access_token))
        opened = await api_one.post(
            "/v1/conversations",
            json={
                "participant_id": str(bilal.id),
                "message": {"text": "Free on the 12th?", "client_message_id": "a-1"},
            },
            headers=asha.headers,
        )
        chat = opened.json()["conversation"]["id"]
        to_bilal = await bilal_socket.next("message.created")
        echo = await asha_socket.next("message.created")  # her own, on her other devices
        reply = await api_two.post(
            f"/v1/conversations/{chat}/messages",
            json={"text": "Yes, all day", "client_message_id": uuid.uuid4().hex},
            headers=bilal.headers,
        )
        to_asha = await asha_socket.next("message.created")
        await bilal_socket.send({"type": "typing", "conversation_id": chat, "state": "start"})
        typing = await asha_socket.next("typing")
        presence_seen = await api_one.get(
            "/v1/presence", params={"user_ids": [str(bilal.id)]}, headers=asha.headers
        )
        # Bilal on a second device, on the other process: closing one is not going offline.
        bilal_laptop = await Socket.open(one, str(bilal.tokens.access_token))
        await bilal_socket.close()
        while_on_laptop = await asha_socket.quiet(0.8, "presence")
        await bilal_laptop.close()
        offline = await asha_socket.next("presence")
        await asha_socket.close()

    assert opened.status_code == 201, opened.text
    assert reply.status_code == 201, reply.text
    assert to_bilal["data"]["message"]["text"] == "Free on the 12th?"
    assert to_bilal["data"]["conversation_id"] == chat
    assert echo["data"]["message"]["id"] == to_bilal["data"]["message"]["id"]
    assert to_asha["data"]["message"]["id"] == reply.json()["id"]
    assert (typing["user_id"], typing["state"]) == (str(bilal.id), "start")
    assert presence_seen.json()[0]["status"] == "online"  # connected to the other process
    assert [f["status"] for f in while_on_laptop if f["status"] == "offline"] == []
    assert (offline["user_id"], offline["status"]) == (str(bilal.id), "offline")
    stored = await live.scalar(
        "SELECT count(*) FROM realtime_events WHERE type = 'message.created'"
    )
    assert stored == 4  # each message once for each of the two people
