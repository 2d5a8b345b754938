"""Parallel requests on a committed database: applications, quotas, hires and counters hold."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.conftest import LiveDatabase
from tests.factories import Person, make_user
from tests.jobs.helpers import job_body, make_pro, post_job
from tests.profiles.helpers import make_professional

pytestmark = pytest.mark.live

MESSAGE = {"message": "I shoot receptions every week; happy to help."}


async def _client(live: LiveDatabase, *, pro: bool = True) -> Person:
    async with live.sessionmaker() as session:
        person = await make_user(session, live.runtime, onboarded=True)
        if pro:
            await make_pro(session, person)
    return person


async def _professional(live: LiveDatabase, index: int = 0) -> Person:
    async with live.sessionmaker() as session:
        return await make_professional(session, live.runtime, phone=f"+91981239{index:04}")


async def test_thirty_parallel_applications_by_one_person_make_one(live: LiveDatabase) -> None:
    client = await _client(live)
    job = await post_job(live.api, client)
    pro = await _professional(live)

    responses = await asyncio.gather(
        *[
            live.api.post(
                f"/v1/jobs/{job['id']}/applications",
                json=MESSAGE,
                headers=pro.headers | {"Idempotency-Key": uuid.uuid4().hex},
            )
            for _ in range(30)
        ]
    )

    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 29
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"already_applied"}
    assert await live.scalar("SELECT count(*) FROM applications") == 1
    assert (
        await live.scalar(
            "SELECT sum(used) FROM usage_counters WHERE feature = 'job_accepts_per_month'"
        )
        == 1
    )


async def test_thirty_parallel_free_applications_to_different_jobs_use_exactly_the_quota(
    live: LiveDatabase,
) -> None:
    client = await _client(live)
    jobs = [await post_job(live.api, client, title=f"Job {i}") for i in range(30)]
    pro = await _professional(live)

    responses = await asyncio.gather(
        *[
            live.api.post(
                f"/v1/jobs/{job['id']}/applications",
                json=MESSAGE,
                headers=pro.headers | {"Idempotency-Key": uuid.uuid4().hex},
            )
            for job in jobs
        ]
    )

    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [402] * 29
    assert await live.scalar("SELECT count(*) FROM applications") == 1
    assert (
        await live.scalar(
            "SELECT sum(used) FROM usage_counters WHERE feature = 'job_accepts_per_month'"
        )
        == 1
    )


async def test_parallel_hires_never_fill_more_positions_than_there_are(
    live: LiveDatabase,
) -> None:
    client = await _client(live)
    job = await post_job(live.api, client, positions=2)
    applications = []
    for index in range(20):
        pro = await _professional(live, index)
        made = await live.api.post(
            f"/v1/jobs/{job['id']}/applications",
            json=MESSAGE,
            headers=pro.headers | {"Idempotency-Key": uuid.uuid4().hex},
        )
        assert made.status_code == 201, made.text
        applications.append(made.json()["id"])

    responses = await asyncio.gather(
        *[
            live.api.post(
                f"/v1/applications/{application}/status",
                json={"status": "hired"},
                headers=client.headers,
            )
            for application in applications
        ]
    )

    assert sorted(r.status_code for r in responses) == [200, 200] + [409] * 18
    assert await live.scalar("SELECT count(*) FROM applications WHERE status = 'hired'") == 2
    assert (
        await live.scalar(
            "SELECT count(*) FROM applications WHERE status = 'rejected' "
            "AND system_reason = 'position_filled'"
        )
        == 18
    )
    assert await live.scalar("SELECT hired_count FROM jobs") == 2
    assert await live.scalar("SELECT status FROM jobs") == "closed"


async def test_parallel_publishing_by_a_free_client_publishes_one(live: LiveDatabase) -> None:
    client = await _client(live, pro=False)
    drafts = []
    for index in range(20):
        made = await live.api.post(
            "/v1/jobs", json=job_body(title=f"Draft {index}", publish=False), headers=client.headers
        )
        drafts.append(made.json()["id"])

    responses = await asyncio.gather(
        *[live.api.post(f"/v1/jobs/{draft}/publish", headers=client.headers) for draft in drafts]
    )

    assert sorted(r.status_code for r in responses) == [200] + [402] * 19
    assert await live.scalar("SELECT count(*) FROM jobs WHERE status = 'active'") == 1


async def test_parallel_saves_and_views_count_once(live: LiveDatabase) -> None:
    client = await _client(live)
    job = await post_job(live.api, client)
    viewer = await _client(live, pro=False)

    saves = await asyncio.gather(
        *[live.api.put(f"/v1/jobs/{job['id']}/save", headers=viewer.headers) for _ in range(25)]
    )
    views = await asyncio.gather(
        *[live.api.get(f"/v1/jobs/{job['id']}", headers=viewer.headers) for _ in range(25)]
    )

    assert {r.status_code for r in saves} == {200}
    assert {r.status_code for r in views} == {200}
    assert await live.scalar("SELECT count(*) FROM saved_jobs") == 1
    assert await live.scalar("SELECT count(*) FROM job_views") == 1


async def test_parallel_drafts_stop_at_twenty(live: LiveDatabase) -> None:
    client = await _client(live)

    responses = await asyncio.gather(
        *[
            live.api.post(
                "/v1/jobs", json={"title": f"Draft {i}", "publish": False}, headers=client.headers
            )
            for i in range(30)
        ]
    )

    assert sorted(r.status_code for r in responses) == [201] * 20 + [409] * 10
    assert await live.scalar("SELECT count(*) FROM jobs WHERE status = 'draft'") == 20
