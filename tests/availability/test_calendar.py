"""The owner's calendar: slots on the grid that never overlap, derived day statuses, date
overrides, settings and their Pro gates (AV-1, AV-2, AV-6, AV-8, AV-14)."""

from __future__ import annotations

import datetime as dt

import pytest
from httpx import AsyncClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.availability.models import CalendarSlot, SlotStatus
from getmygrapher.availability.schemas import SlotIn
from getmygrapher.availability.service import calendar
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import AccountStatus, Principal, Role
from tests.availability.helpers import add_slot, calendar_day, day, settings
from tests.factories import Person, make_user
from tests.jobs.helpers import error_fields, make_pro


@pytest.fixture
async def owner(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_user(session, runtime, full_name="Asha Menon")


async def test_the_calendar_needs_a_session(api: AsyncClient) -> None:
    assert (await api.get("/v1/me/calendar")).status_code == 401
    response = await api.post(
        "/v1/me/calendar/slots", json={"day": day(3), "starts_at": "09:00", "ends_at": "10:00"}
    )
    assert response.status_code == 401


async def test_a_slot_appears_on_its_day(api: AsyncClient, owner: Person) -> None:
    slot = await add_slot(api, owner, day(3), "09:00", "12:00", note="Studio in Kadavanthra")
    assert slot["status"] == "available"
    assert slot["long"] is False

    found = await calendar_day(api, owner, day(3))
    assert found["status"] == "available"
    assert [s["id"] for s in found["slots"]] == [slot["id"]]
    assert found["slots"][0]["note"] == "Studio in Kadavanthra"
    assert found["read_only"] is False


async def test_a_range_returns_every_day_and_refuses_more_than_366(
    api: AsyncClient, owner: Person
) -> None:
    response = await api.get(
        "/v1/me/calendar", params={"from": day(0), "to": day(9)}, headers=owner.headers
    )
    assert len(response.json()["days"]) == 10
    assert {d["status"] for d in response.json()["days"]} == {"unavailable"}

    too_long = await api.get(
        "/v1/me/calendar", params={"from": day(0), "to": day(366)}, headers=owner.headers
    )
    assert error_fields(too_long) == {"to": "range_too_long"}
    reversed_range = await api.get(
        "/v1/me/calendar", params={"from": day(5), "to": day(1)}, headers=owner.headers
    )
    assert error_fields(reversed_range) == {"to": "invalid_range"}


async def test_slots_never_overlap_but_may_touch(api: AsyncClient, owner: Person) -> None:
    await add_slot(api, owner, day(4), "09:00", "11:00")
    await add_slot(api, owner, day(4), "11:00", "12:00")
    overlap = await api.post(
        "/v1/me/calendar/slots",
        json={"day": day(4), "starts_at": "10:00", "ends_at": "13:00"},
        headers=owner.headers,
    )
    assert overlap.status_code == 409
    assert overlap.json()["code"] == "slot_overlap"
    assert len((await calendar_day(api, owner, day(4)))["slots"]) == 2


async def test_the_database_refuses_overlapping_slots_whatever_the_service(
    session: AsyncSession, owner: Person
) -> None:
    await calendar.add_slot(
        session,
        owner=_principal(owner),
        data=SlotIn(day=dt.date.fromisoformat(day(5)), starts_at=dt.time(9), ends_at=dt.time(12)),
    )
    with pytest.raises(Exception, match="ex_calendar_slots_overlap"):
        async with session.begin_nested():
            await session.execute(
                text(
                    "INSERT INTO calendar_slots (user_id, day, starts_at, ends_at, period, status)"
                    " SELECT user_id, day, '10:00', '11:00', period, 'available'"
                    " FROM calendar_slots WHERE user_id = :u"
                ),
                {"u": owner.id},
            )


@pytest.mark.parametrize(
    ("starts", "ends", "field", "code"),
    [
        ("09:30", "10:30", "starts_at", "off_grid"),
        ("05:00", "07:00", "starts_at", "outside_hours"),
        ("22:00", "23:30", "starts_at", "outside_hours"),
        ("12:00", "10:00", "ends_at", "invalid_range"),
        ("06:00", "19:00", "ends_at", "too_long"),
        ("09:00", "09:00", "ends_at", "invalid_range"),
    ],
)
async def test_slots_sit_on_the_grid_within_hours(
    api: AsyncClient, owner: Person, starts: str, ends: str, field: str, code: str
) -> None:
    response = await api.post(
        "/v1/me/calendar/slots",
        json={"day": day(3), "starts_at": starts, "ends_at": ends},
        headers=owner.headers,
    )
    assert error_fields(response) == {field: code}
    assert (await calendar_day(api, owner, day(3)))["slots"] == []


@pytest.mark.parametrize(("ahead", "code"), [(-1, "date_in_past"), (366, "too_far_ahead")])
async def test_past_days_and_beyond_a_year_are_refused(
    api: AsyncClient, owner: Person, ahead: int, code: str
) -> None:
    response = await api.post(
        "/v1/me/calendar/slots",
        json={"day": day(ahead), "starts_at": "09:00", "ends_at": "10:00"},
        headers=owner.headers,
    )
    assert error_fields(response) == {"day": code}


async def test_a_long_slot_is_flagged_and_the_day_may_end_at_23(
    api: AsyncClient, owner: Person
) -> None:
    slot = await add_slot(api, owner, day(3), "11:00", "23:00")
    assert slot["long"] is True


async def test_the_30_minute_grid_is_pro(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    refused = await api.patch(
        "/v1/me/calendar/settings", json={"grid": "30min"}, headers=owner.headers
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "pro_required"

    await make_pro(session, owner)
    assert (await settings(api, owner, grid="30min"))["grid"] == "30min"
    slot = await add_slot(api, owner, day(3), "09:30", "10:00")
    assert (slot["starts_at"], slot["ends_at"]) == ("09:30:00", "10:00:00")


async def test_slot_times_are_ist_wall_clock_and_the_range_is_utc(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    late = await add_slot(api, owner, day(3), "22:00", "23:00")
    early = await add_slot(api, owner, day(3), "06:00", "07:00")
    rows = {
        str(row.id): row
        for row in await session.scalars(
            select(CalendarSlot).where(CalendarSlot.user_id == owner.id)
        )
    }
    on = dt.date.fromisoformat(day(3))
    assert rows[late["id"]].period.lower == dt.datetime.combine(on, dt.time(16, 30), dt.UTC)
    assert rows[late["id"]].period.upper == dt.datetime.combine(on, dt.time(17, 30), dt.UTC)
    assert rows[early["id"]].period.lower == dt.datetime.combine(on, dt.time(0, 30), dt.UTC)


async def test_today_is_the_ist_date(session: AsyncSession, owner: Person) -> None:
    # 20:00 UTC on the 6th is 01:30 IST on the 7th: the 6th is already past in Kochi.
    evening_utc = dt.datetime(2026, 12, 6, 20, 0, tzinfo=dt.UTC)
    data = SlotIn(day=dt.date(2026, 12, 6), starts_at=dt.time(9), ends_at=dt.time(10))
    with pytest.raises(ValidationFailed) as refused:
        await calendar.add_slot(session, owner=_principal(owner), data=data, now=evening_utc)
    assert refused.value.errors[0]["code"] == "date_in_past"
    tomorrow = SlotIn(day=dt.date(2026, 12, 7), starts_at=dt.time(9), ends_at=dt.time(10))
    slot = await calendar.add_slot(session, owner=_principal(owner), data=tomorrow, now=evening_utc)
    assert slot.day == dt.date(2026, 12, 7)


def test_day_status_follows_av1_in_order() -> None:
    free, booked, blocked, pause = (
        SlotStatus.AVAILABLE,
        SlotStatus.BOOKED,
        SlotStatus.BLOCKED,
        SlotStatus.BREAK,
    )
    assert calendar.day_status(True, [free]) == "blocked"
    assert calendar.day_status(False, [booked]) == "booked"
    assert calendar.day_status(False, [booked, blocked]) == "booked"
    assert calendar.day_status(False, [free, booked]) == "partial"
    assert calendar.day_status(False, [free, blocked]) == "partial"
    assert calendar.day_status(False, [free, pause]) == "available"
    assert calendar.day_status(False, [pause]) == "unavailable"
    assert calendar.day_status(False, []) == "unavailable"


async def test_a_blocked_day_is_blocked_until_lifted(api: AsyncClient, owner: Person) -> None:
    await add_slot(api, owner, day(6), "09:00", "12:00")
    blocked = await api.put(
        f"/v1/me/calendar/days/{day(6)}",
        json={"blocked": True, "note": "Family function"},
        headers=owner.headers,
    )
    assert blocked.status_code == 200
    assert (blocked.json()["status"], blocked.json()["note"]) == ("blocked", "Family function")
    lifted = await api.put(
        f"/v1/me/calendar/days/{day(6)}", json={"blocked": False}, headers=owner.headers
    )
    assert lifted.json()["status"] == "available"
    past = await api.put(
        f"/v1/me/calendar/days/{day(-2)}", json={"blocked": True}, headers=owner.headers
    )
    assert error_fields(past) == {"day": "date_in_past"}


async def test_slots_are_changed_and_deleted_by_their_owner_only(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, owner: Person
) -> None:
    slot = await add_slot(api, owner, day(3), "09:00", "11:00")
    await add_slot(api, owner, day(3), "12:00", "13:00")
    stranger = await make_user(session, runtime)

    for other in (
        api.patch(
            f"/v1/me/calendar/slots/{slot['id']}",
            json={"status": "blocked"},
            headers=stranger.headers,
        ),
        api.delete(f"/v1/me/calendar/slots/{slot['id']}", headers=stranger.headers),
    ):
        response = await other
        assert response.status_code == 404
        assert response.json()["code"] == "slot_not_found"

    moved = await api.patch(
        f"/v1/me/calendar/slots/{slot['id']}",
        json={"starts_at": "10:00", "ends_at": "12:00", "status": "break"},
        headers=owner.headers,
    )
    assert moved.status_code == 200
    assert (moved.json()["starts_at"], moved.json()["status"]) == ("10:00:00", "break")
    clash = await api.patch(
        f"/v1/me/calendar/slots/{slot['id']}", json={"ends_at": "13:00"}, headers=owner.headers
    )
    assert clash.json()["code"] == "slot_overlap"
    cleared = await api.patch(
        f"/v1/me/calendar/slots/{slot['id']}", json={"status": None}, headers=owner.headers
    )
    assert error_fields(cleared) == {"status": "required"}

    assert (
        await api.delete(f"/v1/me/calendar/slots/{slot['id']}", headers=owner.headers)
    ).status_code == 204
    assert len((await calendar_day(api, owner, day(3)))["slots"]) == 1


async def test_the_owner_cannot_mark_time_booked(api: AsyncClient, owner: Person) -> None:
    response = await api.post(
        "/v1/me/calendar/slots",
        json={"day": day(3), "starts_at": "09:00", "ends_at": "10:00", "status": "booked"},
        headers=owner.headers,
    )
    assert error_fields(response) == {"status": "invalid_format"}


@pytest.mark.parametrize(
    "body",
    [
        {"day": "tomorrow", "starts_at": "09:00", "ends_at": "10:00"},
        {"day": 20261220, "starts_at": "09:00", "ends_at": "10:00"},
        {"starts_at": "09:00", "ends_at": "10:00"},
        {"day": "2026-12-20", "starts_at": "9 am", "ends_at": "10:00"},
        {"day": "2026-12-20", "starts_at": "09:00", "ends_at": "10:00", "user_id": "x"},
        {"day": "2026-12-20", "starts_at": "09:00", "ends_at": "10:00", "note": "x" * 201},
        {"day": "2026-12-20", "starts_at": "09:00", "ends_at": "10:00", "hourly_rate": 50},
    ],
)
async def test_bad_slot_bodies_are_422_and_store_nothing(
    api: AsyncClient, session: AsyncSession, owner: Person, body: dict[str, object]
) -> None:
    response = await api.post("/v1/me/calendar/slots", json=body, headers=owner.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert await session.scalar(text("SELECT count(*) FROM calendar_slots")) == 0


async def test_notes_are_plain_text(api: AsyncClient, owner: Person) -> None:
    note = "<script>alert(1)</script>'; DROP TABLE calendar_slots; --"
    slot = await add_slot(api, owner, day(3), "09:00", "10:00", note=note)
    assert slot["note"] == note
    assert (await calendar_day(api, owner, day(3)))["slots"][0]["note"] == note


async def test_settings_are_read_and_changed_within_limits(api: AsyncClient, owner: Person) -> None:
    current = (await api.get("/v1/me/calendar/settings", headers=owner.headers)).json()
    assert current["visibility"] == current["effective_visibility"] == "public"
    assert current["conflict_policy"] == "manual_review"

    changed = await settings(
        api,
        owner,
        lead_time_hours=48,
        advance_booking_days=30,
        buffer_before_minutes=30,
        buffer_after_minutes=45,
        daily_booking_cap=2,
        travel_speed_kmh=40,
        hidden_dates=[day(9), day(8), day(9)],
        conflict_policy="flexible_booking",
    )
    assert changed["hidden_dates"] == [day(8), day(9)]
    assert (changed["buffer_after_minutes"], changed["daily_booking_cap"]) == (45, 2)
    assert (await settings(api, owner, daily_booking_cap=None))["daily_booking_cap"] is None

    for bad in (
        {"advance_booking_days": 45},
        {"lead_time_hours": -1},
        {"travel_speed_kmh": 500},
        {"timezone": "Mars/Olympus"},
        {"lead_time_hours": None},
        {"feed_token_hash": "x"},
        {"hidden_dates": [day(1)] * 367},
    ):
        response = await api.patch("/v1/me/calendar/settings", json=bad, headers=owner.headers)
        assert response.status_code == 422, bad


async def test_a_private_calendar_is_pro_and_lapses_to_public(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    refused = await api.patch(
        "/v1/me/calendar/settings", json={"visibility": "private"}, headers=owner.headers
    )
    assert refused.json()["code"] == "pro_required"

    await make_pro(session, owner)
    private = await settings(api, owner, visibility="private")
    assert private["effective_visibility"] == "private"

    await session.execute(
        text(
            "UPDATE subscriptions SET current_period_end = now() - interval '1 day'"
            " WHERE user_id = :u"
        ),
        {"u": owner.id},
    )
    await session.execute(
        text("UPDATE subscriptions SET status = 'expired' WHERE user_id = :u"), {"u": owner.id}
    )
    lapsed = (await api.get("/v1/me/calendar/settings", headers=owner.headers)).json()
    assert (lapsed["visibility"], lapsed["effective_visibility"]) == ("private", "public")


def _principal(person: Person) -> Principal:
    return Principal(
        id=person.id,
        session_id=person.id,
        role=Role.USER,
        status=AccountStatus.ACTIVE,
        email_verified=True,
        phone_verified=False,
        onboarding_completed=True,
        mfa_satisfied=True,
    )
