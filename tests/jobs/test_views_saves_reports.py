"""Job pages and their view counts, saved jobs, reports and moderation (JOB-7, JOB-10, JOB-11),
and the in-app notifications they raise."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Role
from tests.factories import Person, make_user
from tests.jobs.helpers import KOCHI, apply, insert_jobs, job_row, make_pro, post_job


@pytest.fixture
async def client(session: AsyncSession, runtime: Runtime) -> Person:
    person = await make_user(session, runtime, onboarded=True, full_name="Arjun Menon")
    await make_pro(session, person)
    return person


@pytest.fixture
async def viewer(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_user(session, runtime, onboarded=True)


@pytest.fixture
async def job(api: AsyncClient, client: Person) -> dict[str, Any]:
    return await post_job(api, client, venue_details="Gate 2", parking_notes="Basement")


async def test_others_see_the_listing_but_never_the_address_or_counters(
    api: AsyncClient, job: dict[str, Any], viewer: Person, client: Person
) -> None:
    seen = (await api.get(f"/v1/jobs/{job['id']}", headers=viewer.headers)).json()
    anonymous = (await api.get(f"/v1/jobs/{job['id']}")).json()
    own = (await api.get(f"/v1/jobs/{job['id']}", headers=client.headers)).json()

    for page in (seen, anonymous):
        assert page["title"] == job["title"]
        for private in (
            "address",
            "lat",
            "lng",
            "venue_details",
            "parking_notes",
            "views_count",
            "applications",
            "moderation_status",
        ):
            assert page[private] is None, private
    assert own["address"] == job["address"]
    assert own["venue_details"] == "Gate 2"


async def test_views_count_once_per_viewer_and_day_never_the_owner(
    api: AsyncClient,
    job: dict[str, Any],
    viewer: Person,
    client: Person,
    session: AsyncSession,
    runtime: Runtime,
) -> None:
    second = await make_user(session, runtime)
    path = f"/v1/jobs/{job['id']}"

    for _ in range(3):
        await api.get(path, headers=viewer.headers)
        await api.get(path, headers=client.headers)
    await api.get(path, headers=second.headers)
    await api.get(path, headers={"User-Agent": "phone-a"})
    await api.get(path, headers={"User-Agent": "phone-a"})
    await api.get(path, headers={"User-Agent": "phone-b"})
    await session.execute(text("UPDATE job_views SET viewed_on = viewed_on - 1"))
    await api.get(path, headers=viewer.headers)  # a new day

    own = (await api.get(path, headers=client.headers)).json()
    assert own["views_count"] == 5


async def test_saving_is_idempotent_and_the_list_keeps_closed_jobs(
    api: AsyncClient, job: dict[str, Any], viewer: Person, client: Person
) -> None:
    other = await post_job(api, client, title="Second job")
    path = f"/v1/jobs/{job['id']}/save"

    first = await api.put(path, headers=viewer.headers)
    again = await api.put(path, headers=viewer.headers)
    await api.put(f"/v1/jobs/{other['id']}/save", headers=viewer.headers)
    await api.post(f"/v1/jobs/{job['id']}/close", headers=client.headers)
    listed = (await api.get("/v1/me/saved-jobs", headers=viewer.headers)).json()["items"]
    await api.delete(f"/v1/jobs/{other['id']}", headers=client.headers)
    after_delete = (await api.get("/v1/me/saved-jobs", headers=viewer.headers)).json()["items"]
    removed = await api.delete(path, headers=viewer.headers)
    removed_again = await api.delete(path, headers=viewer.headers)
    final = (await api.get("/v1/me/saved-jobs", headers=viewer.headers)).json()["items"]

    assert first.json() == again.json() == {"saved": True}
    assert [(item["title"], item["status"]) for item in listed] == [
        ("Second job", "active"),
        (job["title"], "closed"),
    ]
    assert all(item["saved"] for item in listed)
    assert [item["id"] for item in after_delete] == [job["id"]]
    assert removed.json() == removed_again.json() == {"saved": False}
    assert final == []


async def test_saving_needs_a_visible_job_and_stops_at_five_hundred(
    api: AsyncClient, session: AsyncSession, viewer: Person, client: Person
) -> None:
    draft = await api.post(
        "/v1/jobs", json={"title": "Draft", "publish": False}, headers=client.headers
    )
    rows = [job_row(client.id, *KOCHI, id=uuid.uuid4()) for _ in range(501)]
    await insert_jobs(session, rows)
    await session.execute(
        text("INSERT INTO saved_jobs (user_id, job_id) SELECT :user, unnest(CAST(:ids AS uuid[]))"),
        {"user": viewer.id, "ids": [row["id"] for row in rows[:500]]},
    )

    hidden = await api.put(f"/v1/jobs/{draft.json()['id']}/save", headers=viewer.headers)
    unknown = await api.put(f"/v1/jobs/{uuid.uuid4()}/save", headers=viewer.headers)
    too_many = await api.put(f"/v1/jobs/{rows[500]['id']}/save", headers=viewer.headers)
    already = await api.put(f"/v1/jobs/{rows[0]['id']}/save", headers=viewer.headers)
    anonymous = await api.put(f"/v1/jobs/{rows[0]['id']}/save")

    assert hidden.status_code == 404
    assert unknown.status_code == 404
    assert too_many.json()["errors"][0]["code"] == "out_of_range"
    assert already.json() == {"saved": True}
    assert anonymous.status_code == 401


async def test_three_different_reporters_hide_a_job_until_a_moderator_decides(
    api: AsyncClient,
    session: AsyncSession,
    runtime: Runtime,
    job: dict[str, Any],
    client: Person,
) -> None:
    reporters = [await make_user(session, runtime) for _ in range(3)]
    path = f"/v1/jobs/{job['id']}/reports"
    body = {"reason": "scam_or_fraud", "details": "Asks for a <b>deposit</b>'; --"}

    first = await api.post(path, json=body, headers=reporters[0].headers)
    twice = await api.post(path, json=body, headers=reporters[0].headers)
    await api.post(path, json=body, headers=reporters[1].headers)
    still_listed = (await api.get("/v1/jobs", headers=reporters[2].headers)).json()["items"]
    await api.post(path, json=body, headers=reporters[2].headers)
    gone = (await api.get("/v1/jobs", headers=reporters[2].headers)).json()["items"]
    own = (await api.get(f"/v1/jobs/{job['id']}", headers=client.headers)).json()
    self_report = await api.post(path, json=body, headers=client.headers)
    bad_reason = await api.post(path, json={"reason": "ugly"}, headers=reporters[0].headers)

    assert first.status_code == 201
    assert twice.json()["code"] == "report_already_open"
    assert [item["id"] for item in still_listed] == [job["id"]]
    assert gone == []
    assert own["moderation_status"] == "flagged"
    assert self_report.status_code == 404  # flagged: no longer open for reports
    assert bad_reason.status_code == 422
    snapshot = await session.scalar(text("SELECT snapshot->>'title' FROM reports LIMIT 1"))
    assert snapshot == job["title"]
    notes = (await api.get("/v1/notifications", headers=client.headers)).json()["items"]
    assert notes[0]["type"] == "moderation_outcome"


async def test_moderators_hide_and_restore_with_a_reason_and_an_audit_trail(
    api: AsyncClient,
    session: AsyncSession,
    runtime: Runtime,
    job: dict[str, Any],
    viewer: Person,
    client: Person,
) -> None:
    moderator = await make_user(session, runtime, role=Role.MODERATOR, totp=True)
    no_second_factor = await make_user(session, runtime, role=Role.MODERATOR)
    path = f"/v1/moderation/jobs/{job['id']}"
    reason = {"reason": "Misleading pay"}

    as_user = await api.post(f"{path}/hide", json=reason, headers=viewer.headers)
    as_owner = await api.post(f"{path}/hide", json=reason, headers=client.headers)
    without_mfa = await api.post(f"{path}/hide", json=reason, headers=no_second_factor.headers)
    no_reason = await api.post(f"{path}/hide", json={}, headers=moderator.headers)
    hidden = await api.post(f"{path}/hide", json=reason, headers=moderator.headers)
    seen_by_others = await api.get(f"/v1/jobs/{job['id']}", headers=viewer.headers)
    seen_by_moderator = (await api.get(f"/v1/jobs/{job['id']}", headers=moderator.headers)).json()
    restored = await api.post(
        f"{path}/restore", json={"reason": "Fixed by the client"}, headers=moderator.headers
    )
    unknown = await api.post(
        f"/v1/moderation/jobs/{uuid.uuid4()}/hide", json=reason, headers=moderator.headers
    )

    assert as_user.status_code == 403
    assert as_owner.status_code == 403
    assert without_mfa.json()["code"] == "mfa_required"
    assert no_reason.status_code == 422
    assert hidden.json()["moderation_status"] == "rejected"
    assert seen_by_others.status_code == 404
    assert seen_by_moderator["address"] == job["address"]
    assert restored.json()["moderation_status"] == "approved"
    assert unknown.status_code == 404
    actions = (
        await session.scalars(
            text("SELECT action FROM audit_log WHERE target_type = 'job' ORDER BY at")
        )
    ).all()
    assert actions == ["job.hidden", "job.restored"]
    notes = (await api.get("/v1/notifications", headers=client.headers)).json()["items"]
    assert [note["body"] for note in notes[:2]] == ["Fixed by the client", "Misleading pay"]


async def test_notifications_are_read_and_deleted_by_their_owner_only(
    api: AsyncClient,
    session: AsyncSession,
    runtime: Runtime,
    job: dict[str, Any],
    client: Person,
) -> None:
    from tests.profiles.helpers import make_professional

    pros = [await make_professional(session, runtime, phone=f"+91981230040{i}") for i in range(3)]
    for pro in pros:
        await apply(api, pro, job["id"])
    listed = (
        await api.get("/v1/notifications", params={"limit": 2}, headers=client.headers)
    ).json()
    rest = (
        await api.get(
            "/v1/notifications", params={"cursor": listed["next_cursor"]}, headers=client.headers
        )
    ).json()
    first_id = listed["items"][0]["id"]

    stranger_read = await api.post(f"/v1/notifications/{first_id}/read", headers=pros[0].headers)
    stranger_delete = await api.delete(f"/v1/notifications/{first_id}", headers=pros[0].headers)
    one = await api.post(f"/v1/notifications/{first_id}/read", headers=client.headers)
    after_one = (await api.get("/v1/notifications", headers=client.headers)).json()
    everything = await api.post("/v1/notifications/read", headers=client.headers)
    deleted = await api.delete(f"/v1/notifications/{first_id}", headers=client.headers)
    deleted_again = await api.delete(f"/v1/notifications/{first_id}", headers=client.headers)
    final = (await api.get("/v1/notifications", headers=client.headers)).json()

    assert listed["unread_count"] == 3
    assert len(listed["items"]) + len(rest["items"]) == 3
    assert stranger_read.status_code == 404
    assert stranger_delete.status_code == 404
    assert one.json() == {"marked": 1}
    assert after_one["unread_count"] == 2
    assert everything.json() == {"marked": 2}
    assert deleted.status_code == 204
    assert deleted_again.status_code == 404
    assert final["unread_count"] == 0
    assert len(final["items"]) == 2
    assert (await api.get("/v1/notifications")).status_code == 401


async def test_old_notifications_are_purged(
    api: AsyncClient,
    session: AsyncSession,
    job: dict[str, Any],
    client: Person,
    runtime: Runtime,
) -> None:
    from getmygrapher.core.tasks import run_task
    from tests.profiles.helpers import make_professional

    pro = await make_professional(session, runtime)
    await apply(api, pro, job["id"])
    await session.execute(text("UPDATE notifications SET created_at = now() - interval '91 days'"))
    await session.commit()

    await run_task("notifications.purge_old", {"timestamp": 0})

    assert await session.scalar(text("SELECT count(*) FROM notifications")) == 0
