"""Applying, withdrawing, and the owner's review and hiring (JOB-13…JOB-15, JOB-18)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.places import haversine_km
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Role
from tests.factories import Person, make_user
from tests.jobs.helpers import apply, error_fields, make_pro, post_job, used
from tests.profiles.helpers import jpeg, make_professional


@pytest.fixture
async def client(session: AsyncSession, runtime: Runtime) -> Person:
    person = await make_user(session, runtime, onboarded=True, full_name="Arjun Menon")
    await make_pro(session, person)
    return person


@pytest.fixture
async def pro(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_professional(session, runtime)


@pytest.fixture
async def job(api: AsyncClient, client: Person) -> dict[str, Any]:
    return await post_job(api, client, positions=2)


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


async def test_an_application_reaches_the_owner_with_the_applicants_summary(
    api: AsyncClient,
    client: Person,
    job: dict[str, Any],
    session: AsyncSession,
    runtime: Runtime,
) -> None:
    pro = await make_professional(session, runtime, lat=10.0159, lng=76.3419, city="Aluva")
    application = await apply(
        api, pro, job["id"], proposed_rate=25000, proposed_budget_type="fixed"
    )

    assert application["status"] == "pending"
    assert application["job"]["title"] == job["title"]  # the snapshot the applicant keeps
    listed = (await api.get(f"/v1/jobs/{job['id']}/applications", headers=client.headers)).json()[
        "items"
    ]
    assert [item["id"] for item in listed] == [application["id"]]
    applicant = listed[0]["applicant"]
    assert applicant["professional_type"] == "Wedding Photographer"
    assert applicant["distance_km"] == round(
        haversine_km(job["lat"], job["lng"], 10.0159, 76.3419), 1
    )
    assert applicant["distance_km"] > 10
    assert "phone" not in applicant
    assert "email" not in applicant
    notes = (await api.get("/v1/notifications", headers=client.headers)).json()
    assert notes["items"][0]["type"] == "application_received"
    assert notes["unread_count"] == 1
    page = (await api.get(f"/v1/jobs/{job['id']}", headers=pro.headers)).json()
    assert page["applied"] is True


async def test_one_application_per_job_ever(
    api: AsyncClient, pro: Person, job: dict[str, Any], session: AsyncSession
) -> None:
    application = await apply(api, pro, job["id"])
    twice = await api.post(
        f"/v1/jobs/{job['id']}/applications",
        json={"message": "Applying once more, just in case."},
        headers=pro.headers | _key(),
    )
    await api.post(f"/v1/applications/{application['id']}/withdraw", headers=pro.headers)
    after_withdrawal = await api.post(
        f"/v1/jobs/{job['id']}/applications",
        json={"message": "I changed my mind about this."},
        headers=pro.headers | _key(),
    )

    assert twice.status_code == 409
    assert twice.json()["code"] == "already_applied"
    assert after_withdrawal.json()["code"] == "already_applied"
    assert await session.scalar(text("SELECT count(*) FROM applications")) == 1


async def test_a_retried_application_replays_the_first_answer(
    api: AsyncClient, pro: Person, job: dict[str, Any]
) -> None:
    headers = pro.headers | _key()
    body = {"message": "I shoot receptions every week; happy to help."}

    first = await api.post(f"/v1/jobs/{job['id']}/applications", json=body, headers=headers)
    retry = await api.post(f"/v1/jobs/{job['id']}/applications", json=body, headers=headers)
    keyless = await api.post(f"/v1/jobs/{job['id']}/applications", json=body, headers=pro.headers)

    assert retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert error_fields(keyless)["Idempotency-Key"] == "required_field"


async def test_nobody_applies_to_their_own_closed_or_expired_job(
    api: AsyncClient, client: Person, pro: Person, session: AsyncSession
) -> None:
    own = await post_job(api, client)
    closed = await post_job(api, client)
    expired = await post_job(api, client)
    await api.post(f"/v1/jobs/{closed['id']}/close", headers=client.headers)
    await session.execute(
        text("UPDATE jobs SET applications_close_at = now() WHERE id = :id"), {"id": expired["id"]}
    )
    body = {"message": "I would love to work on this one."}

    mine = await api.post(
        f"/v1/jobs/{own['id']}/applications", json=body, headers=client.headers | _key()
    )
    to_closed = await api.post(
        f"/v1/jobs/{closed['id']}/applications", json=body, headers=pro.headers | _key()
    )
    to_expired = await api.post(
        f"/v1/jobs/{expired['id']}/applications", json=body, headers=pro.headers | _key()
    )
    to_nothing = await api.post(
        f"/v1/jobs/{uuid.uuid4()}/applications", json=body, headers=pro.headers | _key()
    )

    assert error_fields(mine)["job_id"] == "not_allowed"
    assert to_closed.json()["code"] == "job_not_open"
    assert to_expired.json()["code"] == "job_not_open"
    assert to_nothing.status_code == 404
    assert await session.scalar(text("SELECT count(*) FROM applications")) == 0


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"message": "too short"}, "message", "invalid_length"),
        ({"message": "m" * 501}, "message", "invalid_length"),
        ({"message": "Call me on 9847012345 for details"}, "message", "contact_info_not_allowed"),
        (
            {"message": "Ten characters at least", "proposed_rate": 100},
            "proposed_rate",
            "out_of_range",
        ),
        (
            {"message": "Ten characters at least", "proposed_budget_type": "daily"},
            "proposed_budget_type",
            "invalid_format",
        ),
        (
            {
                "message": "Ten characters at least",
                "portfolio_item_ids": [str(uuid.uuid4()) for _ in range(6)],
            },
            "portfolio_item_ids",
            "invalid_length",
        ),
        ({"message": "Ten characters at least", "status": "hired"}, "status", "not_allowed"),
        ({"message": 12345678901}, "message", "invalid_format"),
    ],
)
async def test_application_fields_are_validated(
    api: AsyncClient,
    pro: Person,
    job: dict[str, Any],
    body: dict[str, Any],
    field: str,
    code: str,
) -> None:
    response = await api.post(
        f"/v1/jobs/{job['id']}/applications", json=body, headers=pro.headers | _key()
    )

    assert error_fields(response)[field] == code


async def test_only_ones_own_portfolio_items_can_be_attached(
    api: AsyncClient,
    session: AsyncSession,
    runtime: Runtime,
    pro: Person,
    job: dict[str, Any],
) -> None:
    other = await make_professional(session, runtime, phone="+919812300002")
    uploads = []
    for person in (pro, other):
        uploaded = await api.post(
            "/v1/me/portfolio",
            headers=person.headers,
            data={"title": "Reception"},
            files={"file": ("a.jpg", jpeg(), "image/jpeg")},
        )
        assert uploaded.status_code == 201, uploaded.text
        uploads.append(uploaded.json()["id"])

    theirs = await api.post(
        f"/v1/jobs/{job['id']}/applications",
        json={"message": "See my work attached here.", "portfolio_item_ids": uploads},
        headers=pro.headers | _key(),
    )
    mine = await apply(api, pro, job["id"], portfolio_item_ids=uploads[:1])

    assert error_fields(theirs)["portfolio_item_ids"] == "not_allowed"
    assert mine["portfolio_item_ids"] == uploads[:1]


async def test_free_professionals_apply_once_a_month_even_after_withdrawing(
    api: AsyncClient, client: Person, pro: Person
) -> None:
    first = await post_job(api, client)
    second = await post_job(api, client)
    application = await apply(api, pro, first["id"])
    await api.post(f"/v1/applications/{application['id']}/withdraw", headers=pro.headers)

    refused = await api.post(
        f"/v1/jobs/{second['id']}/applications",
        json={"message": "I would love to work on this one."},
        headers=pro.headers | _key(),
    )

    assert refused.status_code == 402
    assert refused.json()["feature"] == "job_accepts_per_month"
    assert await used(api, pro, "job_accepts_per_month") == 1


async def test_a_duplicate_application_uses_no_quota(
    api: AsyncClient, pro: Person, job: dict[str, Any]
) -> None:
    await apply(api, pro, job["id"])
    await api.post(
        f"/v1/jobs/{job['id']}/applications",
        json={"message": "Applying once more, just in case."},
        headers=pro.headers | _key(),
    )

    assert await used(api, pro, "job_accepts_per_month") == 1


OWNER_MOVES = {
    "pending": {"under_review", "shortlisted", "rejected", "hired"},
    "under_review": {"shortlisted", "rejected", "hired"},
    "shortlisted": {"under_review", "rejected", "hired"},
    "rejected": set(),
    "hired": set(),
    "withdrawn": set(),
}


@pytest.mark.parametrize("start", list(OWNER_MOVES))
@pytest.mark.parametrize("target", ["under_review", "shortlisted", "rejected", "hired"])
async def test_only_the_allowed_moves_of_an_application(
    api: AsyncClient,
    client: Person,
    pro: Person,
    job: dict[str, Any],
    session: AsyncSession,
    start: str,
    target: str,
) -> None:
    application = await apply(api, pro, job["id"])
    await session.execute(
        text("UPDATE applications SET status = CAST(:s AS application_status)"), {"s": start}
    )

    response = await api.post(
        f"/v1/applications/{application['id']}/status",
        json={"status": target},
        headers=client.headers,
    )

    if target in OWNER_MOVES[start]:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == target
    else:
        assert response.status_code == 409
        assert response.json()["code"] == "invalid_transition"
        assert await session.scalar(text("SELECT status FROM applications")) == start


async def test_each_side_makes_only_its_own_moves(
    api: AsyncClient,
    client: Person,
    pro: Person,
    job: dict[str, Any],
    session: AsyncSession,
    runtime: Runtime,
) -> None:
    application = await apply(api, pro, job["id"])
    path = f"/v1/applications/{application['id']}"
    stranger = await make_user(session, runtime, onboarded=True)
    moderator = await make_user(session, runtime, role=Role.MODERATOR, totp=True)

    self_hire = await api.post(f"{path}/status", json={"status": "hired"}, headers=pro.headers)
    owner_withdraw = await api.post(f"{path}/withdraw", headers=client.headers)
    stranger_read = await api.get(path, headers=stranger.headers)
    stranger_move = await api.post(
        f"{path}/status", json={"status": "rejected"}, headers=stranger.headers
    )
    moderator_move = await api.post(
        f"{path}/status", json={"status": "rejected"}, headers=moderator.headers
    )
    anonymous = await api.get(path)
    withdrawn_status = await api.post(
        f"{path}/status", json={"status": "withdrawn"}, headers=client.headers
    )
    stranger_list = await api.get(f"/v1/jobs/{job['id']}/applications", headers=pro.headers)

    assert self_hire.status_code == 404
    assert owner_withdraw.status_code == 404
    assert stranger_read.status_code == 404
    assert stranger_move.status_code == 404
    assert moderator_move.status_code == 404
    assert anonymous.status_code == 401
    assert error_fields(withdrawn_status)["status"] == "invalid_format"
    assert stranger_list.status_code == 404
    assert await session.scalar(text("SELECT status FROM applications")) == "pending"


async def test_a_rejection_reason_reaches_the_applicant_and_the_note_stays_private(
    api: AsyncClient, client: Person, pro: Person, job: dict[str, Any]
) -> None:
    application = await apply(api, pro, job["id"])
    path = f"/v1/applications/{application['id']}"

    noted = await api.patch(
        path, json={"owner_note": "Strong portfolio, pricey"}, headers=client.headers
    )
    owner_rate = await api.patch(path, json={"proposed_rate": 9000}, headers=client.headers)
    applicant_note = await api.patch(path, json={"owner_note": "Pick me"}, headers=pro.headers)
    rate = await api.patch(path, json={"proposed_rate": 20000}, headers=pro.headers)
    message = await api.patch(path, json={"message": "Changed"}, headers=pro.headers)
    rejected = await api.post(
        f"{path}/status",
        json={"status": "rejected", "reason": "We chose a local team."},
        headers=client.headers,
    )
    seen = (await api.get(path, headers=pro.headers)).json()
    late_rate = await api.patch(path, json={"proposed_rate": 15000}, headers=pro.headers)

    assert noted.json()["owner_note"] == "Strong portfolio, pricey"
    assert error_fields(owner_rate)["proposed_rate"] == "not_allowed"
    assert error_fields(applicant_note)["owner_note"] == "not_allowed"
    assert rate.json()["proposed_rate"] == 20000
    assert error_fields(message)["message"] == "not_allowed"
    assert rejected.json()["status"] == "rejected"
    assert seen["rejection_reason"] == "We chose a local team."
    assert seen["owner_note"] is None
    assert late_rate.json()["code"] == "invalid_transition"
    notes = (await api.get("/v1/notifications", headers=pro.headers)).json()["items"]
    assert notes[0]["type"] == "application_status"
    assert notes[0]["body"] == "We chose a local team."


async def test_filling_the_last_position_closes_the_job_and_rejects_the_rest(
    api: AsyncClient,
    session: AsyncSession,
    runtime: Runtime,
    client: Person,
    job: dict[str, Any],
) -> None:
    people = [await make_professional(session, runtime, phone=f"+91981230010{i}") for i in range(4)]
    applications = [await apply(api, person, job["id"]) for person in people]
    await api.post(f"/v1/applications/{applications[3]['id']}/withdraw", headers=people[3].headers)

    for application in applications[:2]:
        hired = await api.post(
            f"/v1/applications/{application['id']}/status",
            json={"status": "hired"},
            headers=client.headers,
        )
        assert hired.status_code == 200, hired.text
    third = await api.post(
        f"/v1/applications/{applications[2]['id']}/status",
        json={"status": "hired"},
        headers=client.headers,
    )

    after = (await api.get(f"/v1/jobs/{job['id']}", headers=client.headers)).json()
    assert after["status"] == "closed"
    assert after["hired_count"] == 2
    assert third.json()["code"] == "invalid_transition"
    rejected = (
        await api.get(f"/v1/applications/{applications[2]['id']}", headers=people[2].headers)
    ).json()
    assert rejected["status"] == "rejected"
    assert rejected["system_reason"] == "position_filled"
    withdrawn = (
        await api.get(f"/v1/applications/{applications[3]['id']}", headers=people[3].headers)
    ).json()
    assert withdrawn["status"] == "withdrawn"
    reopened = await api.post(f"/v1/jobs/{job['id']}/reopen", headers=client.headers)
    assert reopened.json()["code"] == "invalid_transition"


async def test_a_hire_needs_an_active_job(
    api: AsyncClient, client: Person, pro: Person, job: dict[str, Any]
) -> None:
    application = await apply(api, pro, job["id"])
    await api.post(f"/v1/jobs/{job['id']}/close", headers=client.headers)

    hired = await api.post(
        f"/v1/applications/{application['id']}/status",
        json={"status": "hired"},
        headers=client.headers,
    )
    shortlisted = await api.post(
        f"/v1/applications/{application['id']}/status",
        json={"status": "shortlisted"},
        headers=client.headers,
    )

    assert hired.json()["code"] == "job_not_open"
    assert shortlisted.status_code == 200  # reviewing goes on while the job is closed


async def test_the_owner_filters_sorts_and_pages_applications(
    api: AsyncClient,
    session: AsyncSession,
    runtime: Runtime,
    client: Person,
    job: dict[str, Any],
) -> None:
    people = [await make_professional(session, runtime, phone=f"+91981230020{i}") for i in range(5)]
    rates = [30000, 12000, 45000, 8000, 20000]
    made = [
        await apply(api, person, job["id"], proposed_rate=rate)
        for person, rate in zip(people, rates, strict=True)
    ]
    await api.post(
        f"/v1/applications/{made[0]['id']}/status",
        json={"status": "shortlisted"},
        headers=client.headers,
    )
    path = f"/v1/jobs/{job['id']}/applications"

    shortlisted = (
        await api.get(path, params={"status": "shortlisted"}, headers=client.headers)
    ).json()["items"]
    by_rate: list[int] = []
    cursor = None
    for _ in range(5):
        page = (
            await api.get(
                path,
                params={"sort": "rate", "limit": 2} | ({"cursor": cursor} if cursor else {}),
                headers=client.headers,
            )
        ).json()
        by_rate += [item["proposed_rate"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    newest = (await api.get(path, headers=client.headers)).json()["items"]

    assert [item["id"] for item in shortlisted] == [made[0]["id"]]
    assert by_rate == sorted(rates)
    assert len(newest) == 5


async def test_my_applications_show_the_job_as_it_was_and_its_status_now(
    api: AsyncClient, client: Person, pro: Person, job: dict[str, Any]
) -> None:
    application = await apply(api, pro, job["id"])
    await api.patch(
        f"/v1/jobs/{job['id']}", json={"title": "Renamed reception shoot"}, headers=client.headers
    )
    await api.post(f"/v1/jobs/{job['id']}/close", headers=client.headers)

    mine = (await api.get("/v1/me/applications", headers=pro.headers)).json()["items"]
    pending = (
        await api.get("/v1/me/applications", params={"status": "pending"}, headers=pro.headers)
    ).json()["items"]
    hired = (
        await api.get("/v1/me/applications", params={"status": "hired"}, headers=pro.headers)
    ).json()["items"]

    assert [item["id"] for item in mine] == [application["id"]]
    assert mine[0]["job"]["title"] == job["title"]
    assert mine[0]["job_status"] == "closed"
    assert len(pending) == 1
    assert hired == []
    # Who applied keeps seeing the job after it closes; others do not.
    assert (await api.get(f"/v1/jobs/{job['id']}", headers=pro.headers)).status_code == 200
    assert (await api.get(f"/v1/jobs/{job['id']}")).status_code == 404


async def test_an_unonboarded_person_cannot_apply(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, job: dict[str, Any]
) -> None:
    newcomer = await make_user(session, runtime)

    response = await api.post(
        f"/v1/jobs/{job['id']}/applications",
        json={"message": "I would love to work on this one."},
        headers=newcomer.headers | _key(),
    )

    assert response.json()["code"] == "onboarding_incomplete"
