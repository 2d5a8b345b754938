"""Recurring patterns (AV-4, AV-5): stored as RFC 5545 rules, expanded with dateutil, filled in
one statement up to the booking horizon, never over booked time, previewed with their clashes,
paused, resumed, deleted, and extended daily by the background task."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.availability.service import patterns as patterns_service
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.time import today_ist
from tests.availability.helpers import add_slot, confirmed, day, settings
from tests.availability.pattern_helpers import (
    count_slots,
    create_pattern,
    hours,
    inserts_into_slots,
    new_id,
    slots_on,
    statements,
    weekly,
)
from tests.factories import Person, make_user
from tests.jobs.helpers import error_fields

__all__ = ["statements"]  # the fixture, imported for the tests below

NINE_TO_ONE = hours(("09:00", "13:00"))
PATTERNS = "/v1/me/calendar/patterns"
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@pytest.fixture
async def owner(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_user(session, runtime, full_name="Asha Menon")


@pytest.fixture
async def client(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_user(session, runtime, full_name="Rahul Iyer")


def _dates(first: dt.date, last: dt.date, keep: Any) -> list[dt.date]:
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    return [d for d in days if keep(d)]


async def _slot_days(session: AsyncSession, owner: Person, pattern_id: str) -> list[dt.date]:
    rows = await session.scalars(
        text(
            "SELECT DISTINCT day FROM calendar_slots WHERE user_id = :u AND pattern_id = :p "
            "ORDER BY day"
        ),
        {"u": owner.id, "p": pattern_id},
    )
    return list(rows)


# Who may -----------------------------------------------------------------------------------------


async def test_patterns_need_a_session(api: AsyncClient) -> None:
    for response in (
        await api.get(PATTERNS),
        await api.post(PATTERNS, json=weekly({"monday": NINE_TO_ONE})),
        await api.get("/v1/me/calendar/pattern-templates"),
    ):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_someone_elses_pattern_is_not_found_and_untouched(
    api: AsyncClient, session: AsyncSession, owner: Person, client: Person
) -> None:
    pattern = await create_pattern(api, owner, **weekly({"monday": NINE_TO_ONE}))
    before = await count_slots(session, owner)
    url = f"{PATTERNS}/{pattern['id']}"
    for response in (
        await api.get(url, headers=client.headers),
        await api.patch(url, json={"active": False}, headers=client.headers),
        await api.delete(url, headers=client.headers),
        await api.post(
            "/v1/me/calendar/patterns/preview",
            params={"pattern_id": pattern["id"]},
            headers=client.headers,
        ),
        await api.get(f"{PATTERNS}/{new_id()}", headers=owner.headers),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "pattern_not_found"
    assert (await api.get(url, headers=owner.headers)).json()["active"] is True
    assert await count_slots(session, owner) == before
    listed = (await api.get(PATTERNS, headers=client.headers)).json()
    assert listed["items"] == []


# Filling -----------------------------------------------------------------------------------------


async def test_a_year_of_a_weekly_pattern_is_filled_in_one_statement(
    api: AsyncClient, session: AsyncSession, owner: Person, statements: list[str]
) -> None:
    await settings(api, owner, advance_booking_days=365)
    statements.clear()
    pattern = await create_pattern(
        api,
        owner,
        **weekly(
            {
                "monday": hours(("09:00", "13:00"), ("14:00", "18:00")),
                "wednesday": NINE_TO_ONE,
                "friday": NINE_TO_ONE,
            }
        ),
    )

    today = today_ist()
    last = today + dt.timedelta(days=365)
    mondays = _dates(today, last, lambda d: d.weekday() == 0)
    others = _dates(today, last, lambda d: d.weekday() in {2, 4})
    assert len(inserts_into_slots(statements)) == 1
    assert pattern["rrule"] == "FREQ=WEEKLY;BYDAY=MO,WE,FR"
    assert pattern["fill"] == {"added": 2 * len(mondays) + len(others), "removed": 0}
    assert pattern["filled_until"] == last.isoformat()
    assert await count_slots(session, owner) == 2 * len(mondays) + len(others)
    assert await count_slots(session, owner, "AND extract(isodow FROM day) IN (2, 4, 6, 7)") == 0
    assert await slots_on(session, owner, mondays[-1].isoformat()) == [
        ("09:00", "13:00", "available", "pattern"),
        ("14:00", "18:00", "available", "pattern"),
    ]


async def test_a_pattern_stops_at_the_booking_horizon_and_the_task_extends_it(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    await settings(api, owner, advance_booking_days=7)
    every_day = dict.fromkeys(WEEK, NINE_TO_ONE)
    pattern = await create_pattern(api, owner, **weekly(every_day))
    today = today_ist()
    assert await _slot_days(session, owner, pattern["id"]) == _dates(
        today, today + dt.timedelta(days=7), lambda d: True
    )

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    due = await patterns_service.due_patterns(session, limit=50, now=later)
    assert uuid.UUID(pattern["id"]) in due
    added = await patterns_service.extend_pattern(
        session, pattern_id=uuid.UUID(pattern["id"]), now=later
    )
    await session.commit()
    assert added == 3
    assert (await _slot_days(session, owner, pattern["id"]))[-1] == today + dt.timedelta(days=10)
    # A second run of the same day has nothing to do.
    assert await patterns_service.due_patterns(session, limit=50, now=later) == []
    assert (
        await patterns_service.extend_pattern(
            session, pattern_id=uuid.UUID(pattern["id"]), now=later
        )
        == 0
    )


async def test_every_other_week_counts_from_the_start_week(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    await settings(api, owner, advance_booking_days=90)
    today = today_ist()
    start = today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)  # next Monday
    pattern = await create_pattern(
        api,
        owner,
        name="Alternate Mondays",
        type="bi_weekly",
        schedule={"weekdays": {"monday": NINE_TO_ONE}},
        starts_on=start.isoformat(),
    )
    assert pattern["rrule"] == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"
    days = await _slot_days(session, owner, pattern["id"])
    assert days[:3] == [start, start + dt.timedelta(days=14), start + dt.timedelta(days=28)]
    assert all((d - start).days % 14 == 0 for d in days)


async def test_a_monthly_day_a_month_lacks_is_skipped(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    await settings(api, owner, advance_booking_days=365)
    pattern = await create_pattern(
        api,
        owner,
        name="Month end",
        type="monthly",
        schedule={"month_days": {"31": NINE_TO_ONE, "15": NINE_TO_ONE}},
    )
    days = await _slot_days(session, owner, pattern["id"])
    assert days
    assert {d.day for d in days} == {15, 31}
    months_with_31 = {(d.year, d.month) for d in days if d.day == 31}
    assert all(month not in {2, 4, 6, 9, 11} for _, month in months_with_31)


async def test_a_custom_rule_and_exception_dates(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    await settings(api, owner, advance_booking_days=180)
    today = today_ist()
    saturdays = _dates(
        today + dt.timedelta(days=1), today + dt.timedelta(days=180), lambda d: d.weekday() == 5
    )
    last_saturdays = [
        d for d in saturdays if (d + dt.timedelta(days=7)).month != d.month and d > today
    ]
    skipped = last_saturdays[0]
    pattern = await create_pattern(
        api,
        owner,
        name="Last Saturday",
        type="custom",
        schedule={"rrule": "freq=monthly;byday=SA;bysetpos=-1", "hours": NINE_TO_ONE},
        exdates=[skipped.isoformat()],
    )
    assert pattern["schedule"]["rrule"] == "FREQ=MONTHLY;BYDAY=SA;BYSETPOS=-1"
    assert pattern["exdates"] == [skipped.isoformat()]
    assert await _slot_days(session, owner, pattern["id"]) == last_saturdays[1:]


async def test_a_pattern_fills_around_booked_and_existing_time(
    api: AsyncClient, session: AsyncSession, owner: Person, client: Person
) -> None:
    await settings(api, owner, advance_booking_days=30)
    on = day(7)
    weekday = dt.date.fromisoformat(on).strftime("%A").lower()
    await add_slot(api, owner, on, "10:00", "12:00")
    booking = await confirmed(api, client, owner, on, "10:00", "11:00")

    preview = await api.post(
        "/v1/me/calendar/patterns/preview",
        json=weekly({weekday: hours(("09:00", "14:00"))}),
        params={"from": on, "to": on},
        headers=owner.headers,
    )
    assert preview.status_code == 200, preview.text
    [preview_day] = preview.json()["days"]
    assert preview.json()["conflict_count"] == 1
    assert preview_day["conflicts"][0]["booking_id"] == booking["id"]
    assert preview_day["conflicts"][0]["kind"] == "booking"
    assert preview_day["slots"] == [{"starts_at": "09:00:00", "ends_at": "14:00:00"}]

    await create_pattern(api, owner, **weekly({weekday: hours(("09:00", "14:00"))}))
    assert await slots_on(session, owner, on) == [
        ("09:00", "10:00", "available", "pattern"),
        ("10:00", "11:00", "booked", "booking"),
        ("11:00", "12:00", "available", "manual"),
        ("12:00", "14:00", "available", "pattern"),
    ]
    state = await session.scalar(
        text("SELECT status::text FROM bookings WHERE id = :b"), {"b": booking["id"]}
    )
    assert state == "confirmed"


async def test_a_preview_writes_nothing(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    response = await api.post(
        "/v1/me/calendar/patterns/preview",
        json=weekly({"tuesday": NINE_TO_ONE}),
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["slot_count"] == len(body["days"]) > 0
    assert all(dt.date.fromisoformat(d["day"]).weekday() == 1 for d in body["days"])
    assert await count_slots(session, owner) == 0
    assert (await api.get(PATTERNS, headers=owner.headers)).json()["items"] == []


# Changing ----------------------------------------------------------------------------------------


async def test_pausing_removes_the_patterns_free_slots_and_resuming_restores_them(
    api: AsyncClient, session: AsyncSession, owner: Person, client: Person
) -> None:
    await settings(api, owner, advance_booking_days=30)
    every_day = dict.fromkeys(WEEK, NINE_TO_ONE)
    pattern = await create_pattern(api, owner, **weekly(every_day))
    filled = await count_slots(session, owner)
    booked_on = day(4)
    booking = await confirmed(api, client, owner, booked_on, "09:00", "10:00")
    url = f"{PATTERNS}/{pattern['id']}"

    paused = await api.patch(
        url,
        json={"active": False},
        headers=owner.headers | {"If-Match": f'"{pattern["version"]}"'},
    )
    assert paused.status_code == 200, paused.text
    assert paused.json()["active"] is False
    assert paused.json()["filled_until"] is None
    assert await slots_on(session, owner, booked_on) == [
        ("09:00", "10:00", "booked", "booking"),
    ]
    assert await count_slots(session, owner) == 1

    stale = await api.patch(
        url, json={"active": True}, headers=owner.headers | {"If-Match": f'"{pattern["version"]}"'}
    )
    assert stale.status_code == 412
    assert await count_slots(session, owner) == 1

    resumed = await api.patch(url, json={"active": True}, headers=owner.headers)
    assert resumed.status_code == 200, resumed.text
    assert await count_slots(session, owner) == filled + 1  # the booked hour split its day
    assert await slots_on(session, owner, booked_on) == [
        ("09:00", "10:00", "booked", "booking"),
        ("10:00", "13:00", "available", "pattern"),
    ]
    state = await session.scalar(
        text("SELECT status::text FROM bookings WHERE id = :b"), {"b": booking["id"]}
    )
    assert state == "confirmed"


async def test_a_new_schedule_replaces_the_old_slots_but_not_manual_edits(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    await settings(api, owner, advance_booking_days=30)
    on = day(8)
    weekday = dt.date.fromisoformat(on).strftime("%A").lower()
    pattern = await create_pattern(api, owner, **weekly({weekday: NINE_TO_ONE}))
    await add_slot(api, owner, on, "15:00", "16:00")

    response = await api.patch(
        f"{PATTERNS}/{pattern['id']}",
        json={"schedule": {"weekdays": {weekday: hours(("10:00", "12:00"))}}, "name": "Late"},
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Late"
    assert response.json()["version"] == pattern["version"] + 1
    assert response.json()["fill"]["removed"] == response.json()["fill"]["added"] > 0
    assert await slots_on(session, owner, on) == [
        ("10:00", "12:00", "available", "pattern"),
        ("15:00", "16:00", "available", "manual"),
    ]


async def test_deleting_a_pattern_keeps_booked_time_and_manual_slots(
    api: AsyncClient, session: AsyncSession, owner: Person, client: Person
) -> None:
    await settings(api, owner, advance_booking_days=30)
    on = day(9)
    weekday = dt.date.fromisoformat(on).strftime("%A").lower()
    pattern = await create_pattern(api, owner, **weekly({weekday: NINE_TO_ONE}))
    await confirmed(api, client, owner, on, "11:00", "12:00")
    await add_slot(api, owner, on, "15:00", "16:00")

    response = await api.delete(f"{PATTERNS}/{pattern['id']}", headers=owner.headers)
    assert response.status_code == 204
    assert await slots_on(session, owner, on) == [
        ("11:00", "12:00", "booked", "booking"),
        ("15:00", "16:00", "available", "manual"),
    ]
    assert (await api.get(f"{PATTERNS}/{pattern['id']}", headers=owner.headers)).status_code == 404


async def test_at_most_five_patterns_are_active(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    for n in range(5):
        await create_pattern(api, owner, **weekly({"monday": NINE_TO_ONE}, name=f"P{n}"))
    sixth = await api.post(
        PATTERNS, json=weekly({"monday": NINE_TO_ONE}, name="P5"), headers=owner.headers
    )
    assert sixth.status_code == 409
    assert sixth.json()["code"] == "too_many_patterns"
    paused = await create_pattern(
        api, owner, **weekly({"monday": NINE_TO_ONE}, name="Paused", active=False)
    )
    assert paused["active"] is False
    again = await api.patch(
        f"{PATTERNS}/{paused['id']}", json={"active": True}, headers=owner.headers
    )
    assert again.status_code == 409
    listed = (await api.get(PATTERNS, headers=owner.headers, params={"limit": 3})).json()
    assert len(listed["items"]) == 3
    assert listed["next_cursor"]
    rest = (
        await api.get(
            PATTERNS, headers=owner.headers, params={"limit": 10, "cursor": listed["next_cursor"]}
        )
    ).json()
    names = {item["name"] for item in listed["items"] + rest["items"]}
    assert names == {"P0", "P1", "P2", "P3", "P4", "Paused"}


async def test_markup_in_a_name_is_kept_as_text(api: AsyncClient, owner: Person) -> None:
    name = "<b>Weddings</b> & 'more'"
    created = await create_pattern(api, owner, **weekly({"monday": NINE_TO_ONE}, name=name))
    fetched = await api.get(f"{PATTERNS}/{created['id']}", headers=owner.headers)
    assert fetched.headers["content-type"] == "application/json"
    assert fetched.json()["name"] == name


async def test_templates_are_valid_patterns(api: AsyncClient, owner: Person) -> None:
    response = await api.get("/v1/me/calendar/pattern-templates", headers=owner.headers)
    assert response.status_code == 200
    templates = response.json()
    assert templates
    for template in templates[:2]:
        created = await api.post(
            PATTERNS,
            json={"name": template["name"], "type": "weekly", "schedule": template["schedule"]},
            headers=owner.headers,
        )
        assert created.status_code == 201, created.text


# Bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (weekly({"monday": hours(("09:30", "11:00"))}), "schedule.weekdays.monday.0.starts_at",
         "off_grid"),
        (weekly({"monday": hours(("05:00", "07:00"))}), "schedule.weekdays.monday.0.starts_at",
         None),
        (weekly({"monday": hours(("12:00", "10:00"))}), None, None),
        (weekly({"monday": hours(("09:00", "12:00"), ("11:00", "13:00"))}),
         "schedule.weekdays.monday", "overlapping_hours"),
        (weekly({"monday": NINE_TO_ONE}, starts_on="2020-01-01"), "starts_on", None),
        (weekly({"monday": NINE_TO_ONE}, ends_on="2020-01-01"), "ends_on", "invalid_range"),
        (weekly({"monday": NINE_TO_ONE}, ends_on=day(400)), "ends_on", "out_of_range"),
        (weekly({"funday": NINE_TO_ONE}), None, None),
        (weekly({}), None, None),
        (weekly({"monday": NINE_TO_ONE}, name="Two\nlines"), "name", None),
        (weekly({"monday": NINE_TO_ONE}, name="x" * 51), "name", None),
        (weekly({"monday": NINE_TO_ONE}, owner_id=str(uuid.uuid4())), "owner_id", None),
        ({"name": "R", "type": "monthly", "schedule": {"weekdays": {"monday": NINE_TO_ONE}}},
         "schedule", "invalid_format"),
        ({"name": "R", "type": "custom",
          "schedule": {"rrule": "FREQ=SECONDLY", "hours": NINE_TO_ONE}},
         "schedule.rrule", "rrule_part_not_allowed"),
        ({"name": "R", "type": "custom",
          "schedule": {"rrule": "'; DROP TABLE calendar_slots; --", "hours": NINE_TO_ONE}},
         "schedule.rrule", None),
        ({"name": "R", "type": "custom",
          "schedule": {"rrule": "FREQ=DAILY;COUNT=999999", "hours": NINE_TO_ONE}},
         "schedule.rrule", None),
        ({"name": "R", "type": "yearly", "schedule": {"weekdays": {"monday": NINE_TO_ONE}}},
         "type", None),
    ],
)  # fmt: skip
async def test_bad_patterns_are_refused_and_store_nothing(
    api: AsyncClient,
    session: AsyncSession,
    owner: Person,
    body: dict[str, Any],
    field: str | None,
    code: str | None,
) -> None:
    response = await api.post(PATTERNS, json=body, headers=owner.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = error_fields(response)
    if field is not None:
        assert any(name.endswith(field) for name in fields), fields
        if code is not None:
            assert code in fields.values(), fields
    assert await count_slots(session, owner) == 0
    assert (await api.get(PATTERNS, headers=owner.headers)).json()["items"] == []


async def test_a_preview_is_bounded(api: AsyncClient, owner: Person) -> None:
    body = weekly({"monday": NINE_TO_ONE})
    url = "/v1/me/calendar/patterns/preview"
    reversed_range = await api.post(
        url, json=body, params={"from": day(10), "to": day(2)}, headers=owner.headers
    )
    assert reversed_range.status_code == 422
    ten_years = await api.post(
        url, json=body, params={"from": day(1), "to": day(3650)}, headers=owner.headers
    )
    assert ten_years.status_code == 422
    neither = await api.post(url, headers=owner.headers)
    assert error_fields(neither) == {"pattern_id": "required_field"}
