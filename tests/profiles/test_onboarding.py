from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.runtime import Runtime
from tests.factories import make_user
from tests.profiles.helpers import STEPS, onboard

URL = "/v1/me/onboarding"


async def test_onboarding_step_by_step_to_completion(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime, phone="+919847011111", phone_verified=True)

    start = (await api.get(URL, headers=person.headers)).json()
    assert (start["status"], start["current_step"], start["percent"]) == (
        "not_started",
        "category_selection",
        0,
    )
    for index, (step, body) in enumerate(STEPS[:3]):
        progress = (await api.put(f"{URL}/{step}", json=body, headers=person.headers)).json()
        assert progress["percent"] == round((index + 1) / 6 * 100)
    resumed = (await api.get(URL, headers=person.headers)).json()
    assert resumed["current_step"] == "basic_profile"
    assert resumed["status"] == "in_progress"

    done = await onboard(api, person)

    assert done["status"] == "completed"
    assert done["current_step"] == "registration_complete"
    me = (await api.get("/v1/me", headers=person.headers)).json()
    assert me["onboarding_completed"] is True
    profile = (await api.get("/v1/me/profile", headers=person.headers)).json()
    assert profile["location"]["city"] == "Kochi"
    assert profile["location"]["state"] == "Kerala"
    assert abs(profile["location"]["lat"] - 9.97) < 0.1
    assert profile["full_name"] == "Meera Nair"
    assert profile["pricing"] == {
        "pricing_type": "per_event",
        "rate_rupees": 45000,
        "negotiable": True,
    }
    assert profile["completion"] == {"score": 85, "missing": ["portfolio"]}
    settings = await session.scalar(
        text("SELECT weekly_hours FROM calendar_settings WHERE user_id = :id"), {"id": person.id}
    )
    assert settings["monday"] == [{"start": "09:00", "end": "17:00"}]
    assert "saturday" not in settings


async def test_completion_lists_every_failing_field(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    await api.put(
        f"{URL}/category_selection", json={"category": "Photography"}, headers=person.headers
    )

    response = await api.post(f"{URL}/complete", headers=person.headers)

    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {
        "professional_type",
        "location",
        "phone",
        "experience",
        "specializations",
        "pricing",
        "availability",
    }
    assert (await api.get("/v1/me", headers=person.headers)).json()["onboarding_completed"] is False


async def test_a_type_must_belong_to_the_category(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    before = await api.put(
        f"{URL}/type_selection", json={"professional_type": "Illustrator"}, headers=person.headers
    )
    await api.put(
        f"{URL}/category_selection", json={"category": "Photography"}, headers=person.headers
    )
    wrong = await api.put(
        f"{URL}/type_selection", json={"professional_type": "Illustrator"}, headers=person.headers
    )
    right = await api.put(
        f"{URL}/type_selection",
        json={"professional_type": "Event Photographer"},
        headers=person.headers,
    )
    assert before.status_code == wrong.status_code == 422
    assert wrong.json()["errors"][0]["code"] == "not_allowed"
    assert right.status_code == 200


async def test_changing_category_means_choosing_type_again(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime, phone="+919847011112")
    for step, body in STEPS[:2]:
        await api.put(f"{URL}/{step}", json=body, headers=person.headers)

    response = await api.put(
        f"{URL}/category_selection", json={"category": "Audio Production"}, headers=person.headers
    )

    assert response.json()["completed_steps"] == ["category_selection"]
    profile = (await api.get("/v1/me/profile", headers=person.headers)).json()
    assert profile["professional_type"] is None


async def test_location_by_gps_suggests_the_nearest_place(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    await api.put(
        f"{URL}/location_setup",
        headers=person.headers,
        json={
            "lat": 19.0760,
            "lng": 72.8777,
            "work_radius_km": 10,
            "preferred_locations": [
                {"city": "Pune", "state": "Maharashtra"},
                {"city": "Thane", "state": "maharashtra"},
            ],
        },
    )
    profile = (await api.get("/v1/me/profile", headers=person.headers)).json()
    assert profile["location"]["city"] == "Mumbai"
    assert profile["location"]["pin_code"] is not None
    assert [p["city"] for p in profile["location"]["preferred_locations"]] == ["Pune", "Thane"]


async def test_location_by_city_name_in_any_spelling(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    response = await api.put(
        "/v1/me/profile/location",
        headers=person.headers,
        json={"city": "Cochin", "state": "Kerala"},
    )
    assert response.status_code == 200
    assert response.json()["location"]["city"] == "Kochi"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lat": 51.5, "lng": -0.12}, "lat"),
        ({"lat": 9.9}, "body"),
        ({"pin_code": "000000"}, "pin_code"),
        ({"pin_code": "99999"}, "pin_code"),
        ({"pin_code": "999999"}, "pin_code"),
        ({"city": "Atlantis", "state": "Kerala"}, "city"),
        ({"city": "Kochi<script>", "state": "Kerala"}, "city"),
        ({"city": "Kochi", "state": "Narnia"}, "state"),
        ({"pin_code": "682042", "work_radius_km": 0}, "work_radius_km"),
        ({"pin_code": "682042", "work_radius_km": 501}, "work_radius_km"),
        (
            {
                "pin_code": "682042",
                "preferred_locations": [{"city": "Pune", "state": "Kerala"}] * 11,
            },
            "preferred_locations",
        ),
        ({}, "body"),
    ],
)
async def test_location_is_validated(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, body: dict[str, object], field: str
) -> None:
    person = await make_user(session, runtime)
    response = await api.put(f"{URL}/location_setup", json=body, headers=person.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].split(".")[0] == field


async def test_basic_profile_needs_a_mobile_and_a_different_alternate(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    without = await make_user(session, runtime)
    person = await make_user(session, runtime, phone="+919847022222")
    body = {"full_name": "Arjun Pillai"}

    no_phone = await api.put(f"{URL}/basic_profile", json=body, headers=without.headers)
    same = await api.put(
        f"{URL}/basic_profile",
        headers=person.headers,
        json=body | {"alternate_phone": "98470 22222"},
    )
    ok = await api.put(
        f"{URL}/basic_profile",
        headers=person.headers,
        json=body | {"alternate_phone": "+91 9847033333", "gender": "Male"},
    )

    assert no_phone.status_code == 422
    assert no_phone.json()["errors"][0]["field"] == "phone"
    assert same.status_code == 422
    assert same.json()["errors"][0]["field"] == "alternate_phone"
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"experience": "20 years"}, "experience"),
        ({"specializations": []}, "specializations"),
        ({"specializations": ["Logo Design"]}, "specializations"),
        ({"specializations": ["Wedding Photography"] * 2}, "specializations"),
        ({"pricing": {"pricing_type": "per_event", "rate_rupees": 499}}, "pricing"),
        ({"pricing": {"pricing_type": "per_event", "rate_rupees": 100001}}, "pricing"),
        ({"pricing": {"pricing_type": "per_project", "rate_rupees": 5000}}, "pricing"),
        ({"instagram_handle": "bad handle!"}, "instagram_handle"),
        ({"instagram_handle": "x" * 31}, "instagram_handle"),
        ({"portfolio_links": ["http://insecure.example.in"]}, "portfolio_links"),
        ({"portfolio_links": ["https://a.example.in"] * 6}, "portfolio_links"),
        (
            {"equipment": [{"category": "lenses", "name": "50mm", "camera_role": "primary"}]},
            "equipment",
        ),
        (
            {
                "equipment": [
                    {"category": "support_gear", "name": "Drones", "support_kind": "drone"}
                ]
            },
            "equipment",
        ),
        (
            {
                "equipment": [
                    {"category": "cameras", "name": "Sony A7 IV"},
                    {"category": "cameras", "name": "sony a7-iv"},
                ]
            },
            "equipment",
        ),
    ],
)
async def test_professional_details_are_validated(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, patch: dict[str, object], field: str
) -> None:
    person = await make_user(session, runtime)
    await api.put(
        f"{URL}/category_selection", json={"category": "Photography"}, headers=person.headers
    )
    body = dict(STEPS[4][1]) | patch

    response = await api.put(f"{URL}/professional_details", json=body, headers=person.headers)

    problem = response.json()
    if response.status_code == 409:
        assert problem["code"] == "duplicate_equipment"
    else:
        assert response.status_code == 422, response.text
        assert problem["errors"][0]["field"].split(".")[0] == field


async def test_a_private_calendar_needs_pro(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    response = await api.put(
        f"{URL}/availability_setup", json={"visibility": "private"}, headers=person.headers
    )
    assert response.status_code == 403
    assert response.json()["code"] == "pro_required"


async def test_weekly_hours_are_checked(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    late = await api.put(
        f"{URL}/availability_setup",
        headers=person.headers,
        json={"weekly_hours": {"monday": [{"start": "22:00", "end": "23:30"}]}},
    )
    backwards = await api.put(
        f"{URL}/availability_setup",
        headers=person.headers,
        json={"weekly_hours": {"sunday": [{"start": "12:00", "end": "10:00"}]}},
    )
    weekend = await api.put(
        f"{URL}/availability_setup",
        headers=person.headers,
        json={
            "lead_time_hours": 4,
            "weekly_hours": {
                "saturday": [{"start": "08:00", "end": "12:00"}, {"start": "14:00", "end": "18:00"}]
            },
        },
    )
    assert late.status_code == backwards.status_code == 422
    assert weekend.status_code == 200


async def test_drafts_resume_on_any_device_and_are_capped(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    saved = await api.put(
        f"{URL}/draft",
        headers=person.headers,
        json={"step": "basic_profile", "data": {"about": "Half-written ബയോ"}},
    )
    too_big = await api.put(
        f"{URL}/draft",
        headers=person.headers,
        json={"step": "basic_profile", "data": {"about": "x" * 70_000}},
    )

    assert saved.status_code == 200
    assert too_big.status_code == 413
    draft = (await api.get(URL, headers=person.headers)).json()["draft"]
    assert draft["data"] == {"about": "Half-written ബയോ"}
    await onboard(api, await _with_phone(session, runtime, person))
    assert (await api.get(URL, headers=person.headers)).json()["draft"] is None


async def _with_phone(session: AsyncSession, runtime: Runtime, person: object) -> object:
    from tests.factories import Person

    assert isinstance(person, Person)
    person.user.phone = "+919847099999"
    await session.commit()
    return person


async def test_guides_are_shown_once_across_devices(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    for _ in range(2):
        response = await api.post(
            f"{URL}/guides", json={"guide": "calendar_tutorial"}, headers=person.headers
        )
    assert response.json()["guides_seen"] == ["calendar_tutorial"]
    unknown = await api.post(f"{URL}/guides", json={"guide": "tour"}, headers=person.headers)
    assert unknown.status_code == 422


async def test_onboarding_is_the_owners_alone(api: AsyncClient) -> None:
    assert (await api.get(URL)).status_code == 401
    assert (
        await api.put(f"{URL}/category_selection", json={"category": "Photography"})
    ).status_code == 401
