"""Quick and bulk actions (AV-3): one set-based statement over up to 366 dates, a report per
date, past dates skipped, booked time never changed, and periods computed in the calendar's
zone."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.runtime import Runtime
from getmygrapher.core.time import today_ist
from tests.availability.helpers import add_slot, calendar_day, confirmed, day, settings
from tests.availability.pattern_helpers import (
    bulk,
    bulk_ok,
    changes,
    count_slots,
    hours,
    inserts_into_slots,
    report_of,
    skips,
    slots_on,
    statements,
)
from tests.factories import Person, make_user
from tests.jobs.helpers import error_fields, make_pro

__all__ = ["statements"]  # the fixture, imported for the tests below

UTC = dt.UTC


@pytest.fixture
async def owner(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_user(session, runtime, full_name="Asha Menon")


@pytest.fixture
async def client(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_user(session, runtime, full_name="Rahul Iyer")


async def _period(session: AsyncSession, owner: Person, on: str) -> tuple[dt.datetime, dt.datetime]:
    row = (
        await session.execute(
            text(
                "SELECT lower(period) AS lo, upper(period) AS hi FROM calendar_slots "
                "WHERE user_id = :u AND day = :d"
            ),
            {"u": owner.id, "d": dt.date.fromisoformat(on)},
        )
    ).one()
    return row.lo.astimezone(UTC), row.hi.astimezone(UTC)


# Who may -----------------------------------------------------------------------------------------


async def test_bulk_edits_need_a_session(api: AsyncClient) -> None:
    response = await api.post(
        "/v1/me/calendar/bulk",
        json={"action": "clear", "targets": {"dates": [day(2)]}},
    )
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_bulk_edit_changes_only_the_callers_calendar(
    api: AsyncClient, session: AsyncSession, owner: Person, client: Person
) -> None:
    await add_slot(api, client, day(2), "10:00", "12:00")
    await bulk_ok(api, owner, action="clear", targets={"dates": [day(2)]})
    assert await slots_on(session, client, day(2)) == [("10:00", "12:00", "available", "manual")]


# Targets -----------------------------------------------------------------------------------------


async def test_weekdays_of_a_range_get_the_hours_in_one_statement(
    api: AsyncClient, session: AsyncSession, owner: Person, statements: list[str]
) -> None:
    first, last = today_ist() + dt.timedelta(days=1), today_ist() + dt.timedelta(days=28)
    statements.clear()
    result = await bulk_ok(
        api,
        owner,
        action="available",
        targets={"from": first.isoformat(), "to": last.isoformat(), "days": "weekdays"},
        hours=hours(("09:00", "13:00"), ("14:00", "18:00")),
    )

    weekdays = [
        first + dt.timedelta(days=n)
        for n in range((last - first).days + 1)
        if (first + dt.timedelta(days=n)).weekday() < 5
    ]
    assert len(inserts_into_slots(statements)) == 1
    assert [entry["day"] for entry in result["days"]] == [d.isoformat() for d in weekdays]
    assert result["applied_days"] == len(weekdays) == 20
    assert result["skipped_days"] == 0
    assert changes(result["days"][0]) == [
        ("added", "09:00", "13:00", "available"),
        ("added", "14:00", "18:00", "available"),
    ]
    assert await count_slots(session, owner) == 2 * len(weekdays)
    assert await count_slots(session, owner, "AND extract(isodow FROM day) > 5") == 0


async def test_named_weekdays_and_weekends_pick_their_days(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    first = today_ist() + dt.timedelta(days=1)
    last = first + dt.timedelta(days=13)
    span = {"from": first.isoformat(), "to": last.isoformat()}
    result = await bulk_ok(
        api, owner, action="blocked", targets=span | {"days": ["monday", "friday"]}
    )
    assert {dt.date.fromisoformat(e["day"]).weekday() for e in result["days"]} == {0, 4}
    assert len(result["days"]) == 4
    result = await bulk_ok(api, owner, action="clear", targets=span | {"days": "weekends"})
    assert {dt.date.fromisoformat(e["day"]).weekday() for e in result["days"]} == {5, 6}
    blocked = await session.scalar(
        text("SELECT count(*) FROM calendar_days WHERE user_id = :u AND blocked"), {"u": owner.id}
    )
    assert blocked == 4


async def test_past_and_far_dates_are_reported_and_left_alone(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    past, far = day(-1), day(366)
    result = await bulk_ok(
        api,
        owner,
        action="available",
        targets={"dates": [past, day(2), far, day(2)]},
        hours=hours(("09:00", "10:00")),
    )
    assert [e["day"] for e in result["days"]] == [past, day(2), far]
    assert skips(report_of(result, past)) == [("date_in_past", None, None)]
    assert report_of(result, past)["applied"] == []
    assert skips(report_of(result, far)) == [("too_far_ahead", None, None)]
    assert result["skipped_days"] == 2
    assert result["applied_days"] == 1
    assert await count_slots(session, owner) == 1


async def test_a_range_reaching_into_the_past_changes_only_today_on(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    result = await bulk_ok(
        api,
        owner,
        action="available",
        targets={"from": day(-3), "to": day(1)},
        hours=hours(("09:00", "10:00")),
    )
    reasons = {e["day"]: [s["reason"] for s in e["skipped"]] for e in result["days"]}
    assert reasons == {
        day(-3): ["date_in_past"],
        day(-2): ["date_in_past"],
        day(-1): ["date_in_past"],
        day(0): [],
        day(1): [],
    }
    assert await count_slots(session, owner) == 2


# Time zones --------------------------------------------------------------------------------------


async def test_periods_are_computed_in_the_calendars_zone(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    late, early = day(3), day(4)
    await bulk_ok(
        api, owner, action="available", targets={"dates": [late]}, hours=hours(("22:00", "23:00"))
    )
    await bulk_ok(
        api, owner, action="available", targets={"dates": [early]}, hours=hours(("06:00", "07:00"))
    )

    late_day, early_day = dt.date.fromisoformat(late), dt.date.fromisoformat(early)
    # 22:00-23:00 IST is 16:30-17:30 UTC on the same date.
    assert await _period(session, owner, late) == (
        dt.datetime.combine(late_day, dt.time(16, 30), UTC),
        dt.datetime.combine(late_day, dt.time(17, 30), UTC),
    )
    # 06:00 IST is 00:30 UTC, still the same date: IST is ahead of UTC by 5:30.
    assert (await _period(session, owner, early))[0] == dt.datetime.combine(
        early_day, dt.time(0, 30), UTC
    )


async def test_a_calendar_in_another_zone_starts_its_morning_on_the_previous_utc_day(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    await settings(api, owner, timezone="Pacific/Auckland")
    on = day(20)
    await bulk_ok(
        api, owner, action="available", targets={"dates": [on]}, hours=hours(("06:00", "08:00"))
    )
    expected = dt.datetime.combine(
        dt.date.fromisoformat(on), dt.time(6, 0), ZoneInfo("Pacific/Auckland")
    ).astimezone(UTC)
    lower, _ = await _period(session, owner, on)
    assert lower == expected
    assert lower.date() == dt.date.fromisoformat(on) - dt.timedelta(days=1)


# Each action -------------------------------------------------------------------------------------


async def test_available_replaces_free_slots_and_lifts_a_block(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    on = day(3)
    await add_slot(api, owner, on, "10:00", "12:00")
    await add_slot(api, owner, on, "13:00", "14:00", status="break")
    await api.put(f"/v1/me/calendar/days/{on}", json={"blocked": True}, headers=owner.headers)

    result = await bulk_ok(
        api, owner, action="available", targets={"dates": [on]}, hours=hours(("09:00", "17:00"))
    )

    assert changes(report_of(result, on)) == [
        ("day_unblocked", None, None, None),
        ("added", "09:00", "17:00", "available"),
        ("removed", "10:00", "12:00", "available"),
        ("removed", "13:00", "14:00", "break"),
    ]
    assert await slots_on(session, owner, on) == [("09:00", "17:00", "available", "bulk")]
    assert (await calendar_day(api, owner, on))["status"] == "available"


async def test_marking_the_same_hours_again_reports_no_change(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    body: dict[str, Any] = {
        "action": "available",
        "targets": {"dates": [day(3)]},
        "hours": hours(("09:00", "12:00")),
        "note": "Studio",
        "hourly_rate": 1500,
    }
    await bulk_ok(api, owner, **body)
    again = await bulk_ok(api, owner, **body)
    assert again["days"][0]["applied"] == []
    assert await count_slots(session, owner, "AND note = 'Studio' AND hourly_rate = 1500") == 1


async def test_unavailable_removes_free_slots_only(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    on = day(3)
    await add_slot(api, owner, on, "09:00", "11:00")
    await add_slot(api, owner, on, "12:00", "13:00", status="blocked")
    result = await bulk_ok(api, owner, action="unavailable", targets={"dates": [on, day(4)]})
    assert changes(report_of(result, on)) == [("removed", "09:00", "11:00", "available")]
    assert report_of(result, day(4))["applied"] == []
    assert await slots_on(session, owner, on) == [("12:00", "13:00", "blocked", "manual")]


async def test_blocked_without_hours_blocks_whole_days(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    await add_slot(api, owner, day(3), "09:00", "11:00")
    result = await bulk_ok(
        api, owner, action="blocked", targets={"dates": [day(3), day(4)]}, note="Family wedding"
    )
    assert changes(report_of(result, day(3))) == [("day_blocked", None, None, None)]
    found = await calendar_day(api, owner, day(3))
    assert (found["status"], found["note"]) == ("blocked", "Family wedding")
    # The slots stay under the block: lifting it gives the day back.
    assert await count_slots(session, owner) == 1


async def test_blocked_hours_cut_the_free_slots_under_them(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    on = day(3)
    await add_slot(api, owner, on, "09:00", "17:00", note="Kochi studio")
    result = await bulk_ok(
        api, owner, action="blocked", targets={"dates": [on]}, hours=hours(("12:00", "13:00"))
    )
    assert ("added", "12:00", "13:00", "blocked") in changes(report_of(result, on))
    assert await slots_on(session, owner, on) == [
        ("09:00", "12:00", "available", "manual"),
        ("12:00", "13:00", "blocked", "bulk"),
        ("13:00", "17:00", "available", "manual"),
    ]
    assert await count_slots(session, owner, "AND note = 'Kochi studio'") == 2
    assert (await calendar_day(api, owner, on))["status"] == "partial"


async def test_copy_lays_a_days_slots_on_other_dates(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    source = day(2)
    await add_slot(api, owner, source, "09:00", "11:00", note="Portraits")
    await add_slot(api, owner, source, "14:00", "15:00", status="break")
    await add_slot(api, owner, day(4), "10:00", "12:00")

    result = await bulk_ok(
        api,
        owner,
        action="copy",
        source_day=source,
        targets={"dates": [source, day(3), day(4)]},
    )

    assert skips(report_of(result, source)) == [("source_day", None, None)]
    expected = [("09:00", "11:00", "available", "bulk"), ("14:00", "15:00", "break", "bulk")]
    assert await slots_on(session, owner, day(3)) == expected
    assert await slots_on(session, owner, day(4)) == expected
    assert await slots_on(session, owner, source) == [
        ("09:00", "11:00", "available", "manual"),
        ("14:00", "15:00", "break", "manual"),
    ]
    assert await count_slots(session, owner, "AND note = 'Portraits'") == 3


async def test_clear_removes_slots_and_overrides(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    on = day(3)
    await add_slot(api, owner, on, "09:00", "11:00")
    await bulk_ok(api, owner, action="blocked", targets={"dates": [on]})
    result = await bulk_ok(api, owner, action="clear", targets={"dates": [on]})
    assert changes(report_of(result, on)) == [
        ("day_unblocked", None, None, None),
        ("removed", "09:00", "11:00", "available"),
    ]
    assert await count_slots(session, owner) == 0
    assert (await calendar_day(api, owner, on))["status"] == "unavailable"


async def test_a_pro_calendar_takes_half_hours(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    body = {
        "action": "available",
        "targets": {"dates": [day(3)]},
        "hours": hours(("09:30", "10:00")),
    }
    assert error_fields(await bulk(api, owner, **body)) == {"hours.0.starts_at": "off_grid"}
    await make_pro(session, owner)
    await settings(api, owner, grid="30min")
    await bulk_ok(api, owner, **body)
    assert await slots_on(session, owner, day(3)) == [("09:30", "10:00", "available", "bulk")]


# Booked time -------------------------------------------------------------------------------------


async def _booked_day(api: AsyncClient, owner: Person, client: Person, on: str) -> dict[str, Any]:
    await add_slot(api, owner, on, "10:00", "14:00")
    return await confirmed(api, client, owner, on, "10:00", "12:00")


async def _booking_state(session: AsyncSession, booking_id: str) -> tuple[str, int]:
    row = (
        await session.execute(
            text(
                "SELECT b.status::text AS status, "
                "(SELECT count(*) FROM calendar_slots s WHERE s.booking_id = b.id "
                " AND s.status = 'booked' AND s.starts_at = '10:00' AND s.ends_at = '12:00') AS n "
                "FROM bookings b WHERE b.id = :b"
            ),
            {"b": booking_id},
        )
    ).one()
    return row.status, row.n


async def test_every_action_leaves_booked_time_alone(
    api: AsyncClient, session: AsyncSession, owner: Person, client: Person
) -> None:
    on = day(5)
    booking = await _booked_day(api, owner, client, on)

    result = await bulk_ok(
        api, owner, action="available", targets={"dates": [on]}, hours=hours(("09:00", "17:00"))
    )
    entry = report_of(result, on)
    assert skips(entry) == [("booked", "10:00", "12:00")]
    assert await slots_on(session, owner, on) == [
        ("09:00", "10:00", "available", "bulk"),
        ("10:00", "12:00", "booked", "booking"),
        ("12:00", "17:00", "available", "bulk"),
    ]
    assert await _booking_state(session, booking["id"]) == ("confirmed", 1)

    result = await bulk_ok(
        api, owner, action="blocked", targets={"dates": [on]}, hours=hours(("11:00", "13:00"))
    )
    assert skips(report_of(result, on)) == [("booked", "11:00", "12:00")]
    assert await slots_on(session, owner, on) == [
        ("09:00", "10:00", "available", "bulk"),
        ("10:00", "12:00", "booked", "booking"),
        ("12:00", "13:00", "blocked", "bulk"),
        ("13:00", "17:00", "available", "bulk"),
    ]

    for action in ("unavailable", "clear", "blocked"):
        result = await bulk_ok(api, owner, action=action, targets={"dates": [on]})
        assert skips(report_of(result, on)) == [("booked", "10:00", "12:00")], action
        assert await _booking_state(session, booking["id"]) == ("confirmed", 1), action

    # Copying an empty day clears the free time around the booking and lifts the block.
    await bulk_ok(api, owner, action="copy", source_day=day(6), targets={"dates": [on]})
    assert await _booking_state(session, booking["id"]) == ("confirmed", 1)
    assert await slots_on(session, owner, on) == [("10:00", "12:00", "booked", "booking")]
    assert (await calendar_day(api, owner, on))["status"] == "booked"


async def test_hours_wholly_inside_booked_time_are_skipped(
    api: AsyncClient, session: AsyncSession, owner: Person, client: Person
) -> None:
    on = day(5)
    await _booked_day(api, owner, client, on)
    result = await bulk_ok(
        api,
        owner,
        action="available",
        targets={"dates": [on, day(6)]},
        hours=hours(("10:00", "11:00")),
    )
    assert report_of(result, on)["applied"] == [
        {"change": "removed", "starts_at": "12:00:00", "ends_at": "14:00:00", "status": "available"}
    ]
    assert skips(report_of(result, on)) == [("booked", "10:00", "11:00")]
    assert changes(report_of(result, day(6))) == [("added", "10:00", "11:00", "available")]


# Hostile input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (
            {"action": "clear", "targets": {"from": "2027-01-10", "to": "2027-01-01"}},
            "targets.to",
            "invalid_range",
        ),
        (
            {"action": "clear", "targets": {"from": "2027-01-01", "to": "2036-12-31"}},
            "targets.to",
            "range_too_long",
        ),
        (
            {"action": "available", "targets": {"dates": ["2027-01-05"]}},
            "hours",
            "required_field",
        ),
        (
            {
                "action": "unavailable",
                "targets": {"dates": ["2027-01-05"]},
                "hours": [{"starts_at": "09:00", "ends_at": "10:00"}],
            },
            "hours",
            "not_allowed",
        ),
        ({"action": "copy", "targets": {"dates": ["2027-01-05"]}}, "source_day", "required_field"),
        (
            {
                "action": "available",
                "targets": {"dates": ["2027-01-05"]},
                "hours": [{"starts_at": "09:15", "ends_at": "10:15"}],
            },
            "hours.0.starts_at",
            "off_grid",
        ),
        (
            {
                "action": "available",
                "targets": {"dates": ["2027-01-05"]},
                "hours": [{"starts_at": "05:00", "ends_at": "07:00"}],
            },
            "hours.0.starts_at",
            "outside_hours",
        ),
        (
            {
                "action": "available",
                "targets": {"dates": ["2027-01-05"]},
                "hours": [
                    {"starts_at": "09:00", "ends_at": "12:00"},
                    {"starts_at": "11:00", "ends_at": "13:00"},
                ],
            },
            "hours",
            "overlapping_hours",
        ),
        (
            {
                "action": "available",
                "targets": {"dates": ["2027-01-05"]},
                "hours": [{"starts_at": "12:00", "ends_at": "09:00"}],
            },
            "hours.0.ends_at",
            "invalid_range",
        ),
        (
            {
                "action": "clear",
                "targets": {"dates": ["2027-01-05"]},
                "user_id": "5f0c2a8e-3b1d-4c6a-9e7f-2d4b6a8c0e13",
            },
            "user_id",
            "not_allowed",
        ),
        ({"action": "drop", "targets": {"dates": ["2027-01-05"]}}, "action", "invalid_format"),
        (
            {
                "action": "clear",
                "targets": {"dates": ["2027-01-05'); DELETE FROM calendar_slots; --"]},
            },
            None,
            None,
        ),
        (
            {
                "action": "available",
                "targets": {"dates": ["2027-01-05"]},
                "hours": [{"starts_at": "09:00+05:30", "ends_at": "10:00"}],
            },
            None,
            None,
        ),
    ],
)
async def test_bad_bulk_input_is_refused_and_changes_nothing(
    api: AsyncClient,
    session: AsyncSession,
    owner: Person,
    body: dict[str, Any],
    field: str | None,
    code: str | None,
) -> None:
    await add_slot(api, owner, day(3), "09:00", "10:00")
    response = await bulk(api, owner, **body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "validation_failed"
    if field is not None:
        assert error_fields(response).get(field) == code, response.json()["errors"]
    assert await count_slots(session, owner) == 1
    assert await session.scalar(text("SELECT count(*) FROM calendar_days")) == 0


async def test_more_than_366_dates_are_refused(
    api: AsyncClient, session: AsyncSession, owner: Person
) -> None:
    dates = [day(n % 300) for n in range(367)]
    response = await bulk(api, owner, action="blocked", targets={"dates": dates})
    assert error_fields(response).get("targets.DateList.dates") == "invalid_length"
    assert await session.scalar(text("SELECT count(*) FROM calendar_days")) == 0
