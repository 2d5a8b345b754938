"""Parallel requests on a committed database: one conversation per pair, one message per
retry key, quotas and unread counts exact."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.conftest import LiveDatabase
from tests.factories import Person, make_user
from tests.messaging.helpers import start

pytestmark = pytest.mark.live


async def _person(live: LiveDatabase, name: str = "Person") -> Person:
    async with live.sessionmaker() as session:
        return await make_user(session, live.runtime, onboarded=True, full_name=name)


async def test_thirty_parallel_starts_make_one_conversation_and_use_one_quota_unit(
    live: LiveDatabase,
) -> None:
    asha, bilal = await _person(live, "Asha"), await _person(live, "Bilal")

    responses = await asyncio.gather(
        *[
            live.api.post(
                "/v1/conversations",
                json={
                    "participant_id": str(bilal.id),
                    "message": {"text": f"Hello {index}", "client_message_id": f"m-{index}"},
                },
                headers=asha.headers,
            )
            for index in range(30)
        ]
    )

    assert all(r.status_code in {200, 201} for r in responses), [r.text for r in responses]
    assert sorted(r.json()["created"] for r in responses) == [False] * 29 + [True]
    assert len({r.json()["conversation"]["id"] for r in responses}) == 1
    assert await live.scalar("SELECT count(*) FROM conversations") == 1
    assert await live.scalar("SELECT count(*) FROM conversation_participants") == 2
    assert await live.scalar("SELECT count(*) FROM messages") == 30
    seqs = await live.scalar("SELECT array_agg(seq ORDER BY seq) FROM messages")
    assert seqs == list(range(1, 31))  # one gap-free sequence
    used = await live.scalar(
        "SELECT sum(used) FROM usage_counters WHERE feature = 'messaging_limit'"
    )
    assert used == 1


async def test_thirty_parallel_sends_with_one_retry_key_make_one_message(
    live: LiveDatabase,
) -> None:
    asha, bilal = await _person(live, "Asha"), await _person(live, "Bilal")
    chat = (await start(live.api, asha, bilal))["conversation"]["id"]
    key = uuid.uuid4().hex

    responses = await asyncio.gather(
        *[
            live.api.post(
                f"/v1/conversations/{chat}/messages",
                json={"text": "Booking confirmed for Sunday", "client_message_id": key},
                headers=asha.headers,
            )
            for _ in range(30)
        ]
    )

    assert all(r.status_code in {200, 201} for r in responses), [r.text for r in responses]
    assert {r.status_code for r in responses} == {201}  # a replay answers as the first did
    assert len({r.json()["id"] for r in responses}) == 1
    assert (
        await live.scalar("SELECT count(*) FROM messages WHERE client_message_id = :k", k=key) == 1
    )
    unread = await live.scalar(
        "SELECT unread_count FROM conversation_participants WHERE user_id = :u", u=bilal.id
    )
    assert unread == 2  # the opening message and this one, once


async def test_parallel_sends_from_both_sides_keep_unread_counts_exact(
    live: LiveDatabase,
) -> None:
    asha, bilal = await _person(live, "Asha"), await _person(live, "Bilal")
    chat = (await start(live.api, asha, bilal))["conversation"]["id"]

    def send(person: Person, index: int):  # type: ignore[no-untyped-def]
        return live.api.post(
            f"/v1/conversations/{chat}/messages",
            json={"text": f"note {index}", "client_message_id": uuid.uuid4().hex},
            headers=person.headers,
        )

    responses = await asyncio.gather(
        *[send(asha, i) for i in range(25)],
        *[send(bilal, i) for i in range(15)],
        live.api.post(f"/v1/conversations/{chat}/read", json={"seq": 1}, headers=bilal.headers),
    )

    assert all(r.status_code in {200, 201} for r in responses), [r.text for r in responses]
    rows = await live.scalar(
        "SELECT json_object_agg(user_id::text, json_build_array(unread_count, read_seq)) "
        "FROM conversation_participants WHERE conversation_id = :c",
        c=uuid.UUID(chat),
    )
    for person in (asha, bilal):
        unread, read_seq = rows[str(person.id)]
        # What the watermark says is unread: the other side's messages after it (sending
        # moves one's own watermark to one's message, as reading up to it).
        expected = await live.scalar(
            "SELECT count(*) FROM messages WHERE conversation_id = :c AND seq > :r "
            "AND sender_id <> :u AND deleted_at IS NULL",
            c=uuid.UUID(chat),
            r=read_seq,
            u=person.id,
        )
        assert unread == expected
    listed = (await live.api.get("/v1/conversations/unread", headers=asha.headers)).json()
    assert listed == {"unread_total": rows[str(asha.id)][0]}
    assert await live.scalar("SELECT count(*) FROM messages") == 41


async def test_twenty_parallel_free_starts_to_different_people_stop_at_the_limit(
    live: LiveDatabase,
) -> None:
    asha = await _person(live, "Asha")
    others = [await _person(live, f"Other {i}") for i in range(20)]

    responses = await asyncio.gather(
        *[
            live.api.post(
                "/v1/conversations",
                json={
                    "participant_id": str(other.id),
                    "message": {"text": "Are you free?", "client_message_id": uuid.uuid4().hex},
                },
                headers=asha.headers,
            )
            for other in others
        ]
    )

    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 10 + [402] * 10
    assert {r.json()["code"] for r in responses if r.status_code == 402} == {"quota_exceeded"}
    assert await live.scalar("SELECT count(*) FROM conversations") == 10
    assert await live.scalar("SELECT count(*) FROM messages") == 10
    used = await live.scalar(
        "SELECT sum(used) FROM usage_counters WHERE feature = 'messaging_limit'"
    )
    assert used == 10
