"""Posting and editing jobs, drafts, and every move of the client's side of JOB-5."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Role
from getmygrapher.core.time import today_ist
from tests.factories import Person, make_user
from tests.jobs.helpers import apply, error_fields, job_body, make_pro, post_job, used
from tests.profiles.helpers import make_professional


@pytest.fixture
async def client(session: AsyncSession, runtime: Runtime) -> Person:
    person = await make_user(session, runtime, onboarded=True, full_name="Arjun Menon")
    await make_pro(session, person)  # Pro: unlimited posts, so tests can post several
    return person


@pytest.fixture
async def pro(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_professional(session, runtime)


async def test_a_published_job_has_server_owned_fields_set_by_the_server(
    api: AsyncClient, client: Person
) -> None:
    job = await post_job(api, client)

    assert job["status"] == "active"
    assert job["client"]["id"] == str(client.id)
    assert job["moderation_status"] == "approved"
    assert job["views_count"] == 0
    assert job["hired_count"] == 0
    assert job["open_for_applications"] is True
    # 16:00 IST on the job date is 10:30 UTC; applications close when the first slot starts.
    assert job["starts_at"].endswith("T10:30:00Z")
    assert job["applications_close_at"] == job["starts_at"]
    assert job["published_at"] is not None


@pytest.mark.parametrize(
    "field", ["status", "client_id", "moderation_status", "views_count", "hired_count", "id"]
)
async def test_server_owned_fields_in_the_request_are_refused(
    api: AsyncClient, client: Person, field: str
) -> None:
    response = await api.post("/v1/jobs", json=job_body(**{field: "x"}), headers=client.headers)

    assert field in error_fields(response)


def _in(days: int) -> str:
    return (today_ist() + dt.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"title": ""}, "title", "invalid_length"),
        ({"title": "x" * 101}, "title", "invalid_length"),
        ({"description": "too short"}, "description", "invalid_length"),
        ({"description": "d" * 1001}, "description", "invalid_length"),
        ({"category": "Cooking"}, "category", "invalid_format"),
        ({"professional_types": []}, "professional_types", "invalid_length"),
        (
            {"professional_types": ["Wedding Photographer"] * 6},
            "professional_types",
            "invalid_length",
        ),
        ({"positions": 0}, "positions", "out_of_range"),
        ({"positions": 21}, "positions", "out_of_range"),
        ({"time_slots": []}, "time_slots", "invalid_length"),
        ({"time_slots": [{"start": "10:00", "end": "10:00"}]}, "time_slots.0", "out_of_range"),
        (
            {
                "time_slots": [
                    {"start": "10:00", "end": "12:00"},
                    {"start": "11:00", "end": "13:00"},
                ]
            },
            "time_slots",
            "out_of_range",
        ),
        (
            {"time_slots": [{"start": f"{h:02}:00", "end": f"{h:02}:30"} for h in range(6)]},
            "time_slots",
            "invalid_length",
        ),
        ({"address": "abc"}, "address", "invalid_length"),
        ({"pin_code": "012345"}, "pin_code", "invalid_format"),
        ({"state": "Atlantis"}, "state", "invalid_format"),
        ({"lat": 51.5, "lng": -0.12}, "lat", "out_of_range"),
        ({"lat": 10.0, "lng": None}, "body", "required_field"),
        ({"venue_details": "v" * 501}, "venue_details", "invalid_length"),
        ({"parking_notes": "p" * 201}, "parking_notes", "invalid_length"),
        ({"budget_min": 499}, "budget_min", "out_of_range"),
        ({"budget_max": 100_001}, "budget_max", "out_of_range"),
        ({"budget_min": 30000, "budget_max": 20000}, "body", "out_of_range"),
        ({"budget_type": "daily"}, "budget_type", "invalid_format"),
        ({"urgency": "Whenever"}, "urgency", "invalid_format"),
        ({"negotiable": "perhaps"}, "negotiable", "invalid_format"),
        ({"job_date": "someday"}, "job_date", "invalid_format"),
        ({"title": "Call 98470 12345 for details"}, "title", "contact_info_not_allowed"),
        (
            {"description": "Mail the brief to meera@example.in today"},
            "description",
            "contact_info_not_allowed",
        ),
        (
            {"description": "Advance paid by UPI to meera@okaxis, rest later."},
            "description",
            "contact_info_not_allowed",
        ),
        ({"title": "Photographer\u0000needed"}, "title", "invalid_format"),
    ],
)
async def test_every_field_is_validated(
    api: AsyncClient, client: Person, overrides: dict[str, Any], field: str, code: str
) -> None:
    response = await api.post("/v1/jobs", json=job_body(**overrides), headers=client.headers)

    fields = error_fields(response)
    assert fields.get(field) == code, fields


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"job_date": _in(-1)}, "job_date"),
        ({"job_date": _in(366)}, "job_date"),
        ({"professional_types": ["Mixing Engineer"]}, "professional_types.0"),
        ({"application_deadline": "2020-01-01T10:00:00+05:30"}, "application_deadline"),
        (
            {"job_date": _in(2), "application_deadline": f"{_in(3)}T10:00:00+05:30"},
            "application_deadline",
        ),
    ],
)
async def test_publishing_checks_dates_types_and_deadline(
    api: AsyncClient, client: Person, overrides: dict[str, Any], field: str
) -> None:
    response = await api.post("/v1/jobs", json=job_body(**overrides), headers=client.headers)

    assert error_fields(response)[field] == "out_of_range" or field == "professional_types.0"
    assert response.json()["errors"][0]["field"] == field


async def test_a_deadline_needs_its_time_zone(api: AsyncClient, client: Person) -> None:
    response = await api.post(
        "/v1/jobs",
        json=job_body(application_deadline=f"{_in(5)}T10:00:00"),
        headers=client.headers,
    )

    assert error_fields(response)["body"] == "invalid_format"


async def test_a_pin_code_alone_places_the_job(api: AsyncClient, client: Person) -> None:
    job = await post_job(api, client, lat=..., lng=..., city=..., state=..., pin_code="400001")

    assert job["state"] == "Maharashtra"
    assert 18.8 < job["lat"] < 19.1
    assert 72.7 < job["lng"] < 73.0
    unknown = await api.post(
        "/v1/jobs", json=job_body(lat=..., lng=..., pin_code="999999"), headers=client.headers
    )
    assert error_fields(unknown)["pin_code"] == "invalid_format"


async def test_a_job_without_a_place_cannot_be_published(api: AsyncClient, client: Person) -> None:
    response = await api.post(
        "/v1/jobs", json=job_body(lat=..., lng=..., pin_code=...), headers=client.headers
    )

    assert {"lat", "pin_code"} <= set(error_fields(response))


async def test_only_onboarded_and_verified_people_post(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    newcomer = await make_user(session, runtime)
    unverified = await make_user(session, runtime, email_verified=False, onboarded=True)

    anonymous = await api.post("/v1/jobs", json=job_body())
    not_onboarded = await api.post("/v1/jobs", json=job_body(), headers=newcomer.headers)
    not_verified = await api.post("/v1/jobs", json=job_body(), headers=unverified.headers)

    assert anonymous.status_code == 401
    assert not_onboarded.json()["code"] == "onboarding_incomplete"
    assert not_verified.json()["code"] == "verification_required"


async def test_free_clients_publish_one_job_a_month(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    free = await make_user(session, runtime, onboarded=True)
    await post_job(api, free)

    second = await api.post("/v1/jobs", json=job_body(), headers=free.headers)
    draft = await api.post("/v1/jobs", json=job_body(publish=False), headers=free.headers)
    publish = await api.post(f"/v1/jobs/{draft.json()['id']}/publish", headers=free.headers)

    assert second.status_code == 402
    assert second.json()["code"] == "quota_exceeded"
    assert second.json()["feature"] == "job_posts_per_month"
    assert draft.status_code == 201  # drafts cost nothing
    assert publish.status_code == 402
    assert await used(api, free, "job_posts_per_month") == 1


async def test_a_draft_needs_only_a_title_and_publishing_checks_the_rest(
    api: AsyncClient, client: Person, pro: Person
) -> None:
    draft = await api.post(
        "/v1/jobs", json={"title": "Product shoot", "publish": False}, headers=client.headers
    )
    assert draft.status_code == 201, draft.text
    job_id = draft.json()["id"]
    assert draft.json()["status"] == "draft"

    incomplete = await api.post(f"/v1/jobs/{job_id}/publish", headers=client.headers)
    assert incomplete.status_code == 422
    assert {"description", "category", "budget_min"} <= {
        e["field"] for e in incomplete.json()["errors"]
    }
    # Nobody else sees a draft.
    assert (await api.get(f"/v1/jobs/{job_id}", headers=pro.headers)).status_code == 404

    body = job_body()
    del body["title"]
    assert (await api.patch(f"/v1/jobs/{job_id}", json=body, headers=client.headers)).is_success
    published = await api.post(f"/v1/jobs/{job_id}/publish", headers=client.headers)
    assert published.json()["status"] == "active"
    again = await api.post(f"/v1/jobs/{job_id}/publish", headers=client.headers)
    assert again.json()["code"] == "invalid_transition"


async def test_at_most_twenty_drafts(
    api: AsyncClient, client: Person, session: AsyncSession
) -> None:
    for index in range(20):
        created = await api.post(
            "/v1/jobs", json={"title": f"Draft {index}", "publish": False}, headers=client.headers
        )
        assert created.status_code == 201

    refused = await api.post(
        "/v1/jobs", json={"title": "One too many", "publish": False}, headers=client.headers
    )

    assert refused.status_code == 409
    assert refused.json()["code"] == "too_many_drafts"
    assert await session.scalar(text("SELECT count(*) FROM jobs WHERE status = 'draft'")) == 20


async def test_a_partial_edit_changes_only_what_is_sent(api: AsyncClient, client: Person) -> None:
    job = await post_job(
        api,
        client,
        professional_types=["Wedding Photographer", "Event Photographer"],
        venue_details="Lawn behind the palace",
    )

    edited = await api.patch(
        f"/v1/jobs/{job['id']}",
        json={"title": "Reception photographer", "venue_details": None},
        headers=client.headers,
    )

    assert edited.status_code == 200, edited.text
    after = edited.json()
    assert after["title"] == "Reception photographer"
    assert after["professional_types"] == ["Wedding Photographer", "Event Photographer"]
    assert after["venue_details"] is None  # an explicit null clears
    assert after["budget"] == job["budget"]
    assert after["time_slots"] == job["time_slots"]
    assert after["version"] == job["version"] + 1


async def test_an_edit_is_validated_like_a_post(api: AsyncClient, client: Person) -> None:
    job = await post_job(api, client)

    missing_title = await api.patch(
        f"/v1/jobs/{job['id']}", json={"title": None}, headers=client.headers
    )
    cleared = await api.patch(
        f"/v1/jobs/{job['id']}", json={"description": None}, headers=client.headers
    )
    reversed_budget = await api.patch(
        f"/v1/jobs/{job['id']}", json={"budget_min": 40000}, headers=client.headers
    )
    stale = await api.patch(
        f"/v1/jobs/{job['id']}",
        json={"title": "New"},
        headers=client.headers | {"If-Match": '"99"'},
    )
    owned = await api.patch(
        f"/v1/jobs/{job['id']}", json={"status": "completed"}, headers=client.headers
    )

    assert error_fields(missing_title)["title"] == "required_field"
    assert error_fields(cleared)["description"] == "required_field"
    assert reversed_budget.status_code == 422  # 40,000 above the maximum of 30,000
    assert stale.status_code == 412
    assert "status" in error_fields(owned)


async def test_after_an_application_what_was_applied_for_is_locked(
    api: AsyncClient, client: Person, pro: Person
) -> None:
    deadline = f"{_in(5)}T18:00:00+05:30"
    job = await post_job(api, client, application_deadline=deadline)
    await apply(api, pro, job["id"])

    budget = await api.patch(
        f"/v1/jobs/{job['id']}", json={"budget_max": 50000}, headers=client.headers
    )
    types = await api.patch(
        f"/v1/jobs/{job['id']}",
        json={"professional_types": ["Event Photographer"]},
        headers=client.headers,
    )
    earlier = await api.patch(
        f"/v1/jobs/{job['id']}",
        json={"application_deadline": f"{_in(4)}T18:00:00+05:30"},
        headers=client.headers,
    )
    title = await api.patch(
        f"/v1/jobs/{job['id']}",
        json={
            "title": "Reception photographer",
            "urgency": "Urgent",
            "application_deadline": f"{_in(6)}T18:00:00+05:30",
        },
        headers=client.headers,
    )

    assert budget.status_code == 409
    assert budget.json()["code"] == "job_locked"
    assert budget.json()["fields"] == ["budget_max"]
    assert types.json()["code"] == "job_locked"
    assert earlier.json()["code"] == "job_locked"
    assert title.status_code == 200, title.text
    notes = (await api.get("/v1/notifications", headers=pro.headers)).json()["items"]
    assert any("was updated" in note["title"] for note in notes)


async def test_close_reopen_and_extend(api: AsyncClient, client: Person) -> None:
    job = await post_job(api, client, application_deadline=f"{_in(3)}T12:00:00+05:30")
    path = f"/v1/jobs/{job['id']}"

    closed = await api.post(f"{path}/close", headers=client.headers)
    closed_again = await api.post(f"{path}/close", headers=client.headers)
    extended = await api.post(
        f"{path}/extend",
        json={"application_deadline": f"{_in(4)}T12:00:00+05:30"},
        headers=client.headers,
    )
    reopened = await api.post(f"{path}/reopen", headers=client.headers)
    past_first_slot = await api.post(
        f"{path}/extend",
        json={"application_deadline": f"{_in(11)}T12:00:00+05:30"},
        headers=client.headers,
    )
    earlier = await api.post(
        f"{path}/extend",
        json={"application_deadline": f"{_in(2)}T12:00:00+05:30"},
        headers=client.headers,
    )

    assert closed.json()["status"] == "closed"
    assert closed.json()["open_for_applications"] is False
    assert closed_again.json()["code"] == "invalid_transition"
    assert extended.status_code == 200, extended.text
    assert extended.json()["application_deadline"].startswith(_in(4))
    assert reopened.json()["status"] == "active"
    assert error_fields(past_first_slot)["application_deadline"] == "out_of_range"
    assert error_fields(earlier)["application_deadline"] == "out_of_range"


async def test_a_job_whose_applications_have_closed_cannot_be_reopened(
    api: AsyncClient, client: Person, session: AsyncSession
) -> None:
    job = await post_job(api, client)
    await api.post(f"/v1/jobs/{job['id']}/close", headers=client.headers)
    await session.execute(
        text("UPDATE jobs SET applications_close_at = now() - interval '1 minute'")
    )

    reopened = await api.post(f"/v1/jobs/{job['id']}/reopen", headers=client.headers)

    assert reopened.json()["code"] == "invalid_transition"


async def test_duplicate_copies_all_but_date_slots_and_deadline(
    api: AsyncClient, client: Person
) -> None:
    job = await post_job(
        api, client, application_deadline=f"{_in(3)}T12:00:00+05:30", venue_details="Hall B"
    )

    copy = await api.post(f"/v1/jobs/{job['id']}/duplicate", headers=client.headers)

    assert copy.status_code == 201
    draft = copy.json()
    assert draft["status"] == "draft"
    assert draft["id"] != job["id"]
    assert draft["job_date"] is None
    assert draft["time_slots"] == []
    assert draft["application_deadline"] is None
    for field in (
        "title",
        "description",
        "professional_types",
        "budget",
        "address",
        "venue_details",
        "lat",
    ):
        assert draft[field] == job[field]


async def test_delete_only_without_applications(
    api: AsyncClient, client: Person, pro: Person, session: AsyncSession
) -> None:
    untouched = await post_job(api, client)
    applied = await post_job(api, client)
    await apply(api, pro, applied["id"])

    deleted = await api.delete(f"/v1/jobs/{untouched['id']}", headers=client.headers)
    refused = await api.delete(f"/v1/jobs/{applied['id']}", headers=client.headers)

    assert deleted.status_code == 204
    assert refused.json()["code"] == "job_has_applications"
    assert (await api.get(f"/v1/jobs/{untouched['id']}", headers=client.headers)).status_code == 404
    mine = (await api.get("/v1/me/jobs", headers=client.headers)).json()
    assert [job["id"] for job in mine["items"]] == [applied["id"]]


async def test_complete_after_the_last_slot_with_a_hire(
    api: AsyncClient, client: Person, pro: Person, session: AsyncSession
) -> None:
    job = await post_job(api, client)
    early = await api.post(f"/v1/jobs/{job['id']}/complete", headers=client.headers)
    application = await apply(api, pro, job["id"])
    await api.post(
        f"/v1/applications/{application['id']}/status",
        json={"status": "hired"},
        headers=client.headers,
    )
    not_yet = await api.post(f"/v1/jobs/{job['id']}/complete", headers=client.headers)
    await session.execute(
        text(
            "UPDATE jobs SET ends_at = now() - interval '1 hour', "
            "starts_at = now() - interval '5 hours', "
            "applications_close_at = now() - interval '5 hours'"
        )
    )

    done = await api.post(f"/v1/jobs/{job['id']}/complete", headers=client.headers)
    edit = await api.patch(f"/v1/jobs/{job['id']}", json={"title": "X"}, headers=client.headers)

    assert early.json()["code"] == "invalid_transition"
    assert not_yet.json()["code"] == "invalid_transition"
    assert done.status_code == 200
    assert done.json()["status"] == "completed"
    assert edit.json()["code"] == "invalid_transition"


@pytest.mark.parametrize(
    "action",
    ["PATCH", "DELETE", "publish", "close", "reopen", "extend", "duplicate", "complete"],
)
async def test_only_the_owner_changes_a_job(
    api: AsyncClient, client: Person, pro: Person, action: str
) -> None:
    job = await post_job(api, client)
    path = f"/v1/jobs/{job['id']}"
    if action == "PATCH":
        call = api.patch(path, json={"title": "Mine now"}, headers=pro.headers)
        anonymous = api.patch(path, json={"title": "Mine now"})
    elif action == "DELETE":
        call, anonymous = api.delete(path, headers=pro.headers), api.delete(path)
    else:
        body = {"application_deadline": f"{_in(5)}T12:00:00+05:30"} if action == "extend" else None
        call = api.post(f"{path}/{action}", json=body, headers=pro.headers)
        anonymous = api.post(f"{path}/{action}", json=body)

    other, nobody = await call, await anonymous

    assert other.status_code == 404
    assert other.json()["code"] == "job_not_found"
    assert nobody.status_code == 401
    after = (await api.get(path, headers=client.headers)).json()
    assert after["title"] == job["title"]
    assert after["status"] == "active"


async def test_text_meant_to_slip_past_the_filters_waits_for_a_moderator(
    api: AsyncClient, client: Person, pro: Person, session: AsyncSession, runtime: Runtime
) -> None:
    job = await post_job(
        api,
        client,
        description="Pay the registration fee first, then DM me on insta: shoots.kochi",
    )

    assert job["moderation_status"] == "pending"
    assert job["moderation_reason"] == "held_term"
    assert (await api.get(f"/v1/jobs/{job['id']}", headers=pro.headers)).status_code == 404
    found = await api.get("/v1/jobs", headers=pro.headers)
    assert found.json()["items"] == []
    notes = (await api.get("/v1/notifications", headers=client.headers)).json()["items"]
    assert notes[0]["type"] == "moderation_outcome"

    moderator = await make_user(session, runtime, role=Role.MODERATOR, totp=True)
    headers = moderator.headers
    restored = await api.post(
        f"/v1/moderation/jobs/{job['id']}/restore",
        json={"reason": "Legitimate wedding job"},
        headers=headers,
    )
    assert restored.json()["moderation_status"] == "approved"
    assert (await api.get(f"/v1/jobs/{job['id']}", headers=pro.headers)).status_code == 200


@pytest.mark.parametrize("field", ["positions", "negotiable", "urgency"])
async def test_fields_that_always_have_a_value_cannot_be_cleared(
    api: AsyncClient, client: Person, field: str
) -> None:
    draft = await api.post(
        "/v1/jobs", json={"title": "Draft", "publish": False}, headers=client.headers
    )

    response = await api.patch(
        f"/v1/jobs/{draft.json()['id']}", json={field: None}, headers=client.headers
    )

    assert error_fields(response)[field] == "required_field"


async def test_clearing_the_types_of_a_draft_leaves_none(api: AsyncClient, client: Person) -> None:
    draft = await api.post(
        "/v1/jobs",
        json={"title": "Draft", "publish": False, "professional_types": ["Event Photographer"]},
        headers=client.headers,
    )

    response = await api.patch(
        f"/v1/jobs/{draft.json()['id']}",
        json={"professional_types": None},
        headers=client.headers,
    )

    assert response.json()["professional_types"] == []
