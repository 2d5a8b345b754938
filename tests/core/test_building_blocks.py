from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.pagination import decode_cursor, encode_cursor
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.tasks import build_worker_app
from getmygrapher.core.time import add_months, ist_midnight, ist_month_start, next_month
from tests.conftest import LiveDatabase
from tests.core import probe
from tests.factories import make_user
from tests.taskqueue import run_jobs


async def test_pages_never_repeat_or_skip(probe_api: AsyncClient) -> None:
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        page = (await probe_api.get("/probe/numbers", params=params)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(range(1, 251))


async def test_page_size_defaults_to_20_and_clamps_at_100(probe_api: AsyncClient) -> None:
    default = (await probe_api.get("/probe/numbers")).json()
    huge = (await probe_api.get("/probe/numbers", params={"limit": 10_000})).json()
    zero = await probe_api.get("/probe/numbers", params={"limit": 0})
    assert len(default["items"]) == 20
    assert len(huge["items"]) == 100
    assert zero.status_code == 422


@pytest.mark.parametrize("cursor", ["!!!", "W10", "eyJ4IjoxfQ", "a" * 600])
async def test_forged_cursors_are_refused(probe_api: AsyncClient, cursor: str) -> None:
    response = await probe_api.get("/probe/numbers", params={"cursor": cursor})
    assert response.status_code == 422


def test_cursors_round_trip_typed_values() -> None:
    moment = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    key = (moment, 12.5, "x", None)
    assert decode_cursor(encode_cursor(key), arity=4) == key
    with pytest.raises(ValidationFailed):
        decode_cursor(encode_cursor(key), arity=2)


def test_quota_months_are_indian_calendar_months() -> None:
    just_before = datetime(2026, 11, 30, 18, 29, 59, tzinfo=UTC)  # 23:59:59 IST on the 30th
    just_after = datetime(2026, 11, 30, 18, 30, tzinfo=UTC)  # 00:00 IST on 1 December
    assert ist_month_start(just_before).month == 11
    assert ist_month_start(just_after).month == 12
    assert ist_midnight(next_month(ist_month_start(just_before))) == just_after
    assert add_months(datetime(2027, 1, 30, 18, 30, tzinfo=UTC), 1) == datetime(
        2027, 2, 27, 18, 30, tzinfo=UTC
    )  # 31 January IST + 1 month = 28 February IST


async def test_idempotency_key_replays_the_first_answer(
    probe_api: AsyncClient, session: AsyncSession, runtime: Runtime, connection: AsyncConnection
) -> None:
    person = await make_user(session, runtime)
    headers = person.headers | {"Idempotency-Key": "note-1"}

    first = await probe_api.post("/probe/notes", json={"text": "hello"}, headers=headers)
    again = await probe_api.post("/probe/notes", json={"text": "hello"}, headers=headers)
    different = await probe_api.post("/probe/notes", json={"text": "other"}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert different.status_code == 409
    assert different.json()["code"] == "idempotency_key_reused"
    count = await session.scalar(text("SELECT count(*) FROM audit_log WHERE action='probe.note'"))
    assert count == 1
    assert await run_jobs(connection) == ["probe.record"]


async def test_idempotency_keys_belong_to_one_user(
    probe_api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    alice = await make_user(session, runtime)
    bob = await make_user(session, runtime)
    a = await probe_api.post(
        "/probe/notes", json={"text": "mine"}, headers=alice.headers | {"Idempotency-Key": "same"}
    )
    b = await probe_api.post(
        "/probe/notes", json={"text": "mine"}, headers=bob.headers | {"Idempotency-Key": "same"}
    )
    assert a.json()["id"] != b.json()["id"]


async def test_idempotency_key_length_is_checked(
    probe_api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    response = await probe_api.post(
        "/probe/notes", json={"text": "x"}, headers=person.headers | {"Idempotency-Key": "k" * 256}
    )
    assert response.status_code == 422


@pytest.mark.live
async def test_parallel_retries_with_one_key_act_once(live: LiveDatabase) -> None:
    async with live.sessionmaker() as session:
        person = await make_user(session, live.runtime)
    headers = person.headers | {"Idempotency-Key": "parallel"}

    responses = await asyncio.gather(
        *[live.api.post("/probe/notes", json={"text": "once"}, headers=headers) for _ in range(20)]
    )

    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await live.scalar("SELECT count(*) FROM audit_log WHERE action = 'probe.note'") == 1


@pytest.mark.live
async def test_the_real_worker_runs_committed_jobs_and_only_those(live: LiveDatabase) -> None:
    async with live.sessionmaker() as session:
        person = await make_user(session, live.runtime)
    probe.RECORDED.clear()
    rejected = await live.api.post("/probe/notes", json={"text": "x" * 51}, headers=person.headers)
    accepted = await live.api.post(
        "/probe/notes", json={"text": "delivered"}, headers=person.headers
    )
    assert rejected.status_code == 422
    assert accepted.status_code == 201

    database_url = live.engine.url.render_as_string(hide_password=False)
    worker = build_worker_app(database_url)
    async with worker.open_async():
        await asyncio.wait_for(
            worker.run_worker_async(
                wait=False, install_signal_handlers=False, delete_jobs="successful"
            ),
            timeout=30,
        )

    assert probe.RECORDED == ["delivered"]
    assert await live.scalar("SELECT count(*) FROM procrastinate_jobs") == 0


@pytest.mark.live
async def test_writes_are_rate_limited_per_user(live: LiveDatabase) -> None:
    live.configure(writes_per_minute=5)
    async with live.sessionmaker() as session:
        person = await make_user(session, live.runtime)

    statuses = [
        (
            await live.api.post("/probe/notes", json={"text": f"n{n}"}, headers=person.headers)
        ).status_code
        for n in range(6)
    ]
    reads = await live.api.get("/v1/me", headers=person.headers)

    assert statuses == [201] * 5 + [429]
    assert reads.status_code == 200
