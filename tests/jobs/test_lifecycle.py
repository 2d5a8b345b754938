"""What the clock does to jobs (JOB-2, JOB-5), and jobs in export and account deletion."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.core.runtime import Runtime
from getmygrapher.core.tasks import run_task
from tests.factories import Person, make_user
from tests.jobs.helpers import apply, make_pro, post_job
from tests.profiles.helpers import make_professional
from tests.taskqueue import run_jobs


@pytest.fixture
async def client(session: AsyncSession, runtime: Runtime) -> Person:
    person = await make_user(session, runtime, onboarded=True, full_name="Arjun Menon")
    await make_pro(session, person)
    return person


async def _people(session: AsyncSession, runtime: Runtime, count: int) -> list[Person]:
    return [
        await make_professional(session, runtime, phone=f"+91981230030{i}") for i in range(count)
    ]


async def _pass_deadline(session: AsyncSession, job: dict[str, Any]) -> None:
    await session.execute(
        text("UPDATE jobs SET applications_close_at = now() - interval '1 s' WHERE id = :id"),
        {"id": job["id"]},
    )
    await session.commit()


async def _status(
    api: AsyncClient, person: Person, application: dict[str, Any]
) -> tuple[str, str | None]:
    read = (await api.get(f"/v1/applications/{application['id']}", headers=person.headers)).json()
    return read["status"], read["system_reason"]


async def test_applications_closing_without_a_hire_expire_the_job(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, client: Person
) -> None:
    job = await post_job(api, client)
    [pro] = await _people(session, runtime, 1)
    application = await apply(api, pro, job["id"])
    await _pass_deadline(session, job)

    await run_task("jobs.finish_due", {"timestamp": 0})

    after = (await api.get(f"/v1/jobs/{job['id']}", headers=client.headers)).json()
    assert after["status"] == "expired"
    assert await _status(api, pro, application) == ("rejected", "job_expired")
    notes = (await api.get("/v1/notifications", headers=pro.headers)).json()["items"]
    assert notes[0]["body"] == "Applications closed without a hire."
    [chat] = (await api.get("/v1/conversations", headers=pro.headers)).json()["items"]
    said = (await api.get(f"/v1/conversations/{chat['id']}/messages", headers=pro.headers)).json()[
        "items"
    ]
    assert said[0]["kind"] == "system"
    assert said[0]["text"] == f"{job['title']}: Applications closed without a hire."
    assert said[0]["data"]["event"] == "job_expired"
    copy = await api.post(f"/v1/jobs/{job['id']}/duplicate", headers=client.headers)
    assert copy.status_code == 201  # an expired job may be duplicated
    reopen = await api.post(f"/v1/jobs/{job['id']}/reopen", headers=client.headers)
    assert reopen.json()["code"] == "invalid_transition"


async def test_applications_closing_after_a_hire_close_the_job_then_it_completes(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, client: Person
) -> None:
    job = await post_job(api, client, positions=3)
    hired_person, waiting_person = await _people(session, runtime, 2)
    hired = await apply(api, hired_person, job["id"])
    waiting = await apply(api, waiting_person, job["id"])
    await api.post(
        f"/v1/applications/{hired['id']}/status", json={"status": "hired"}, headers=client.headers
    )
    await _pass_deadline(session, job)

    await run_task("jobs.finish_due", {"timestamp": 0})
    closed = (await api.get(f"/v1/jobs/{job['id']}", headers=client.headers)).json()
    await session.execute(text("UPDATE jobs SET ends_at = now() - interval '25 hours'"))
    await session.commit()
    await run_task("jobs.finish_due", {"timestamp": 0})
    completed = (await api.get(f"/v1/jobs/{job['id']}", headers=client.headers)).json()

    assert closed["status"] == "closed"
    assert await _status(api, waiting_person, waiting) == ("rejected", "job_closed")
    assert await _status(api, hired_person, hired) == ("hired", None)
    assert completed["status"] == "completed"


async def test_a_job_the_owner_closed_keeps_its_applicants_waiting_then_expires(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, client: Person
) -> None:
    job = await post_job(api, client)
    [pro] = await _people(session, runtime, 1)
    application = await apply(api, pro, job["id"])
    await api.post(f"/v1/jobs/{job['id']}/close", headers=client.headers)

    await run_task("jobs.finish_due", {"timestamp": 0})
    waiting = await _status(api, pro, application)
    await _pass_deadline(session, job)
    await run_task("jobs.finish_due", {"timestamp": 0})

    assert waiting == ("pending", None)
    assert await _status(api, pro, application) == ("rejected", "job_expired")
    status = await session.scalar(text("SELECT status FROM jobs"))
    assert status == "expired"


async def test_jobs_still_open_are_left_alone(
    api: AsyncClient, session: AsyncSession, client: Person
) -> None:
    await post_job(api, client)

    await run_task("jobs.finish_due", {"timestamp": 0})

    assert await session.scalar(text("SELECT status FROM jobs")) == "active"


async def test_the_sweep_drains_a_backlog_in_batches(
    api: AsyncClient, session: AsyncSession, client: Person
) -> None:
    from tests.jobs.helpers import KOCHI, insert_jobs, job_row

    await insert_jobs(session, [job_row(client.id, *KOCHI) for _ in range(450)])
    await session.execute(text("UPDATE jobs SET applications_close_at = now() - interval '1 h'"))
    await session.commit()

    await run_task("jobs.finish_due", {"timestamp": 0})

    counts = dict(
        (await session.execute(text("SELECT status, count(*) FROM jobs GROUP BY status"))).all()
    )
    assert counts == {"expired": 450}


async def test_drafts_untouched_for_ninety_days_are_deleted(
    api: AsyncClient, session: AsyncSession, client: Person
) -> None:
    for title in ("Old draft", "Fresh draft"):
        await api.post("/v1/jobs", json={"title": title, "publish": False}, headers=client.headers)
    await session.execute(
        text("UPDATE jobs SET updated_at = now() - interval '91 days' WHERE title = 'Old draft'")
    )
    await session.commit()

    await run_task("jobs.delete_stale_drafts", {"timestamp": 0})

    titles = (await session.scalars(text("SELECT title FROM jobs"))).all()
    assert titles == ["Fresh draft"]


async def test_asking_to_delete_an_account_closes_its_jobs_and_withdraws_its_applications(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    client: Person,
) -> None:
    other_client = await make_user(session, runtime, onboarded=True)
    await make_pro(session, other_client)
    leaving = await make_professional(session, runtime)
    await make_pro(session, leaving)
    their_job = await post_job(api, other_client)
    application = await apply(api, leaving, their_job["id"])
    own_job = await post_job(api, leaving)
    saved = await api.put(f"/v1/jobs/{their_job['id']}/save", headers=leaving.headers)
    assert saved.json() == {"saved": True}
    export = (await api.get("/v1/me/export", headers=leaving.headers)).json()

    deleted = await api.request(
        "DELETE", "/v1/me", headers=leaving.headers, json={"confirm": "DELETE"}
    )

    assert deleted.status_code == 202
    assert [job["id"] for job in export["jobs"]] == [own_job["id"]]
    assert [a["id"] for a in export["applications"]] == [application["id"]]
    assert export["saved_jobs"] == [their_job["id"]]
    withdrawn = await session.scalar(text("SELECT status FROM applications"))
    assert withdrawn == "withdrawn"
    assert (
        await session.scalar(text("SELECT status FROM jobs WHERE id = :id"), {"id": own_job["id"]})
        == "closed"
    )
    notes = (await api.get("/v1/notifications", headers=other_client.headers)).json()["items"]
    assert "withdrawn" in notes[0]["title"]

    await session.execute(
        text("UPDATE users SET deletion_requested_at = now() - interval '31 days'")
    )
    await session.commit()
    await run_jobs(connection, include_scheduled=True)

    assert await session.scalar(text("SELECT count(*) FROM saved_jobs")) == 0
    erased = (
        await session.execute(
            text("SELECT deleted_at IS NOT NULL, address FROM jobs WHERE id = :id"),
            {"id": own_job["id"]},
        )
    ).one()
    assert tuple(erased) == (True, None)
