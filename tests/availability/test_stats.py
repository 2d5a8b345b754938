"""Calendar statistics (AV-10) against numbers worked out by hand."""

from __future__ import annotations

from datetime import timedelta

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.availability.models import BookingStatus
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.time import today_ist
from tests.availability.sharing_helpers import add_slot, make_booking
from tests.factories import make_user


async def test_statistics_match_the_hand_count(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await make_user(session, runtime)
    client = await make_user(session, runtime)
    rival = await make_user(session, runtime)
    today = today_ist()
    monday = today + timedelta(days=7 - today.weekday())
    day = {name: monday + timedelta(days=n) for n, name in enumerate(["mon1", "tue1", "wed1"])}
    day |= {"mon2": monday + timedelta(days=7), "fri2": monday + timedelta(days=11)}
    # Week 1: 3 h free, 6 h booked in 2 bookings.
    await add_slot(api, owner, day["mon1"], "09:00", "11:00")
    await make_booking(
        session, owner, client, day["mon1"], "11:00", "13:00"
    )  # morning 1, afternoon 1
    await add_slot(api, owner, day["mon1"], "16:00", "17:00", "blocked")
    await add_slot(api, owner, day["tue1"], "09:00", "10:00")
    await make_booking(
        session, owner, client, day["tue1"], "17:00", "21:00", status=BookingStatus.COMPLETED
    )
    for status, hours in ((BookingStatus.PENDING, "10:00"), (BookingStatus.CANCELLED, "12:00")):
        ends = f"{int(hours[:2]) + 1}:00"
        await make_booking(
            session, owner, client, day["wed1"], hours, ends, status=status, with_slot=False
        )
    # Week 2: 2 h free, 4 h booked in 1 booking.
    await make_booking(
        session, owner, client, day["mon2"], "07:00", "11:00", status=BookingStatus.IN_PROGRESS
    )
    await add_slot(api, owner, day["fri2"], "10:00", "12:00")
    await add_slot(api, owner, day["fri2"], "12:00", "13:00", "break")
    # Outside: the Sunday before, and someone else's calendar.
    await make_booking(session, owner, client, monday - timedelta(days=1), "10:00", "12:00")
    await make_booking(session, rival, client, day["mon1"], "09:00", "17:00")
    await add_slot(api, rival, day["tue1"], "06:00", "18:00")

    response = await api.get(
        "/v1/me/calendar/stats",
        params={"from": str(monday), "to": str(monday + timedelta(days=13))},
        headers=owner.headers,
    )

    assert response.status_code == 200, response.text
    week1, week2 = monday.isocalendar(), (monday + timedelta(days=7)).isocalendar()
    assert response.json() == {
        "starts_on": str(monday),
        "ends_on": str(monday + timedelta(days=13)),
        "available_days": 3,
        "available_hours": 5.0,
        "booked_days": 3,
        "booked_hours": 10.0,
        "utilisation": 0.6667,  # 10 / (5 + 10)
        "bookings": 3,
        "average_booking_hours": 3.33,
        "weekly": [
            {
                "week": f"{week1.year}-W{week1.week:02d}",
                "starts_on": str(monday),
                "available_hours": 3.0,
                "booked_hours": 6.0,
                "bookings": 2,
                "utilisation": 0.6667,
            },
            {
                "week": f"{week2.year}-W{week2.week:02d}",
                "starts_on": str(monday + timedelta(days=7)),
                "available_hours": 2.0,
                "booked_hours": 4.0,
                "bookings": 1,
                "utilisation": 0.6667,
            },
        ],
        "weekdays": [
            {"weekday": "monday", "bookings": 2, "booked_hours": 6.0},
            {"weekday": "tuesday", "bookings": 1, "booked_hours": 4.0},
            {"weekday": "wednesday", "bookings": 0, "booked_hours": 0.0},
            {"weekday": "thursday", "bookings": 0, "booked_hours": 0.0},
            {"weekday": "friday", "bookings": 0, "booked_hours": 0.0},
            {"weekday": "saturday", "bookings": 0, "booked_hours": 0.0},
            {"weekday": "sunday", "bookings": 0, "booked_hours": 0.0},
        ],
        "busiest_weekday": "monday",
        "hour_bands": [
            {"band": "morning", "booked_hours": 5.0},
            {"band": "afternoon", "booked_hours": 1.0},
            {"band": "evening", "booked_hours": 4.0},
            {"band": "night", "booked_hours": 0.0},
        ],
        "busiest_hour_band": "morning",
    }


async def test_a_range_inside_weeks_counts_only_its_days(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await make_user(session, runtime)
    client = await make_user(session, runtime)
    today = today_ist()
    monday = today + timedelta(days=7 - today.weekday())
    await make_booking(session, owner, client, monday, "21:00", "23:00")
    await make_booking(session, owner, client, monday + timedelta(days=2), "09:00", "10:00")
    await add_slot(api, owner, monday + timedelta(days=8), "09:00", "12:00")

    body = (
        await api.get(
            "/v1/me/calendar/stats",
            params={
                "from": str(monday + timedelta(days=2)),
                "to": str(monday + timedelta(days=8)),
            },
            headers=owner.headers,
        )
    ).json()

    assert [(w["starts_on"], w["booked_hours"], w["available_hours"]) for w in body["weekly"]] == [
        (str(monday), 1.0, 0.0),
        (str(monday + timedelta(days=7)), 0.0, 3.0),
    ]
    assert (body["bookings"], body["busiest_weekday"]) == (1, "wednesday")
    assert body["utilisation"] == 0.25


async def test_an_empty_calendar_has_no_utilisation_or_busiest_times(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await make_user(session, runtime)

    body = (await api.get("/v1/me/calendar/stats", headers=owner.headers)).json()

    assert body["starts_on"] == str(today_ist().replace(day=1))
    assert (body["bookings"], body["booked_hours"], body["available_hours"]) == (0, 0.0, 0.0)
    assert body["utilisation"] is None
    assert body["average_booking_hours"] is None
    assert body["busiest_weekday"] is None
    assert body["busiest_hour_band"] is None
    assert all(week["utilisation"] is None for week in body["weekly"])


async def test_statistics_are_for_the_signed_in_owner_over_at_most_366_days(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await make_user(session, runtime)
    today = today_ist()

    anonymous = await api.get("/v1/me/calendar/stats")
    too_long = await api.get(
        "/v1/me/calendar/stats",
        params={"from": str(today), "to": str(today + timedelta(days=366))},
        headers=owner.headers,
    )
    backwards = await api.get(
        "/v1/me/calendar/stats",
        params={"from": str(today), "to": str(today - timedelta(days=1))},
        headers=owner.headers,
    )
    at_limit = await api.get(
        "/v1/me/calendar/stats",
        params={"from": str(today - timedelta(days=200)), "to": str(today + timedelta(days=165))},
        headers=owner.headers,
    )

    assert anonymous.status_code == 401
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["code"] == "range_too_long"
    assert backwards.status_code == 422
    assert at_limit.status_code == 200
    assert len(at_limit.json()["weekly"]) in {53, 54}
