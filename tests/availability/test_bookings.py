"""Bookings: requests and their rules, conflict policies, the state machine, buffers and travel
time, reschedules, hires, and the calendar time they mark (BKG-1…BKG-9)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.availability.models import Booking, BookingStatus
from getmygrapher.availability.service import bookings, clock
from getmygrapher.core.runtime import Runtime
from getmygrapher.moderation import service as moderation_service
from tests.availability.helpers import (
    add_slot,
    ask,
    calendar_day,
    confirmed,
    day,
    requested,
    settings,
)
from tests.availability.test_calendar import _principal
from tests.factories import Person, make_user
from tests.jobs.helpers import apply, error_fields, post_job
from tests.profiles.helpers import make_professional

KOCHI = {"location": "Bolgatty Palace, Kochi", "lat": 9.9312, "lng": 76.2673}
THRISSUR = {"location": "Vadakkunnathan Temple, Thrissur", "lat": 10.5276, "lng": 76.2144}


@pytest.fixture
async def pro(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_user(session, runtime, full_name="Asha Menon")


@pytest.fixture
async def client(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_user(session, runtime, full_name="Rahul Iyer")


async def _count(session: AsyncSession, sql: str, **params: Any) -> int:
    return int(await session.scalar(text(sql), params) or 0)


async def test_a_request_is_pending_with_a_hold_and_both_sides_hear_of_it(
    api: AsyncClient, session: AsyncSession, pro: Person, client: Person
) -> None:
    await add_slot(api, pro, day(5), "10:00", "14:00")
    booking = await requested(
        api, client, pro, day(5), "10:00", "12:00", message="Engagement shoot", amount=8000
    )

    assert booking["status"] == "pending"
    assert re.fullmatch(r"GMG-[A-Z2-9]{6}", booking["reference"])
    assert booking["source"] == "direct_request"
    assert (booking["professional"]["name"], booking["client"]["name"]) == (
        "Asha Menon",
        "Rahul Iyer",
    )
    assert booking["hold_until"] is not None
    assert booking["conflicts"] == []
    assert (
        await _count(
            session,
            "SELECT count(*) FROM notifications WHERE user_id = :u AND type = 'booking_request'",
            u=pro.id,
        )
        == 1
    )
    assert (
        await _count(
            session,
            "SELECT count(*) FROM messages WHERE data->>'booking_id' = :b AND kind = 'system'",
            b=booking["id"],
        )
        == 1
    )
    assert (
        await _count(
            session,
            "SELECT count(*) FROM realtime_events"
            " WHERE type = 'booking.changed' AND user_id IN (:a, :b)",
            a=pro.id,
            b=client.id,
        )
        == 2
    )


async def test_a_request_needs_an_idempotency_key_and_replays(
    api: AsyncClient, session: AsyncSession, pro: Person, client: Person
) -> None:
    await add_slot(api, pro, day(5), "10:00", "14:00")
    body = {"day": day(5), "starts_at": "10:00", "ends_at": "12:00"}
    url = f"/v1/professionals/{pro.id}/bookings"
    missing = await api.post(url, json=body, headers=client.headers)
    assert missing.status_code == 422
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await api.post(url, json=body, headers=client.headers | key)
    again = await api.post(url, json=body, headers=client.headers | key)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert await _count(session, "SELECT count(*) FROM bookings") == 1


async def test_who_may_ask(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, pro: Person, client: Person
) -> None:
    await add_slot(api, pro, day(5), "10:00", "14:00")
    anonymous = await api.post(
        f"/v1/professionals/{pro.id}/bookings",
        json={"day": day(5), "starts_at": "10:00", "ends_at": "12:00"},
        headers={"Idempotency-Key": "k" * 10},
    )
    assert anonymous.status_code == 401

    unverified = await make_user(session, runtime, email_verified=False)
    refused = await ask(api, unverified, pro, day(5), "10:00", "12:00")
    assert refused.status_code == 403

    itself = await ask(api, pro, pro, day(5), "10:00", "12:00")
    assert error_fields(itself) == {"professional_id": "self_booking"}

    ghost = await api.post(
        f"/v1/professionals/{uuid.uuid4()}/bookings",
        json={"day": day(5), "starts_at": "10:00", "ends_at": "12:00"},
        headers=client.headers | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert ghost.status_code == 404
    assert ghost.json()["code"] == "booking_not_found"

    await moderation_service.block(session, blocker_id=pro.id, blocked_id=client.id)
    blocked = await ask(api, client, pro, day(5), "10:00", "12:00")
    assert blocked.status_code == 404
    assert await _count(session, "SELECT count(*) FROM bookings") == 0


async def test_a_closed_calendar_takes_no_requests(
    api: AsyncClient, pro: Person, client: Person
) -> None:
    await settings(api, pro, allow_booking_requests=False)
    response = await ask(api, client, pro, day(5), "10:00", "12:00")
    assert response.status_code == 403
    assert response.json()["code"] == "booking_requests_closed"


@pytest.mark.parametrize(
    ("starts", "ends", "field", "code"),
    [
        ("05:00", "07:00", "starts_at", "outside_hours"),
        ("12:00", "10:00", "ends_at", "invalid_range"),
        ("10:00", "10:30", "ends_at", "invalid_length"),
        ("06:00", "19:00", "ends_at", "invalid_length"),
    ],
)
async def test_booking_times_follow_the_hours_and_lengths(
    api: AsyncClient, pro: Person, client: Person, starts: str, ends: str, field: str, code: str
) -> None:
    response = await ask(api, client, pro, day(5), starts, ends)
    assert error_fields(response) == {field: code}


async def test_lead_time_and_the_booking_window(
    api: AsyncClient, pro: Person, client: Person
) -> None:
    await settings(api, pro, lead_time_hours=720)
    assert error_fields(await ask(api, client, pro, day(10), "10:00", "12:00")) == {
        "starts_at": "lead_time"
    }
    await settings(api, pro, lead_time_hours=0, advance_booking_days=7)
    assert error_fields(await ask(api, client, pro, day(10), "10:00", "12:00")) == {
        "day": "beyond_booking_window"
    }
    far = await ask(api, client, pro, day(3650), "10:00", "12:00")
    assert error_fields(far) == {"day": "beyond_booking_window"}


async def test_one_pending_request_per_person_and_date(
    api: AsyncClient, pro: Person, client: Person
) -> None:
    await add_slot(api, pro, day(5), "08:00", "18:00")
    await requested(api, client, pro, day(5), "10:00", "12:00")
    again = await ask(api, client, pro, day(5), "14:00", "16:00")
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_booking_request"
    other_day = await ask(api, client, pro, day(6), "14:00", "16:00")
    assert other_day.status_code == 201


async def test_manual_review_keeps_a_request_outside_free_time_with_a_conflict(
    api: AsyncClient, pro: Person, client: Person
) -> None:
    booking = await requested(api, client, pro, day(5), "10:00", "12:00")
    assert booking["status"] == "pending"
    [conflict] = booking["conflicts"]
    assert (conflict["type"], conflict["status"]) == ("availability_conflict", "pending")

    listed = await api.get("/v1/me/calendar/conflicts", headers=pro.headers)
    assert [c["id"] for c in listed.json()] == [conflict["id"]]
    assert (await api.get("/v1/me/calendar/conflicts", headers=client.headers)).json() == []
    ignored = await api.post(
        f"/v1/me/calendar/conflicts/{conflict['id']}/resolve",
        json={"action": "ignore"},
        headers=pro.headers,
    )
    assert ignored.json()["status"] == "ignored"
    twice = await api.post(
        f"/v1/me/calendar/conflicts/{conflict['id']}/resolve",
        json={"action": "resolve"},
        headers=pro.headers,
    )
    assert twice.status_code == 409
    by_client = await api.post(
        f"/v1/me/calendar/conflicts/{conflict['id']}/resolve",
        json={"action": "resolve"},
        headers=client.headers,
    )
    assert by_client.status_code == 404


async def test_auto_decline_declines_at_once_with_the_reason(
    api: AsyncClient, session: AsyncSession, pro: Person, client: Person
) -> None:
    await settings(api, pro, conflict_policy="auto_decline")
    booking = await requested(api, client, pro, day(5), "10:00", "12:00")
    assert booking["status"] == "declined"
    assert booking["decline_reason"] == "This time is not marked free."
    assert (
        await _count(
            session,
            "SELECT count(*) FROM notifications WHERE user_id = :u AND type = 'booking_update'",
            u=client.id,
        )
        == 1
    )


async def test_flexible_booking_offers_the_nearest_free_times(
    api: AsyncClient, pro: Person, client: Person
) -> None:
    await settings(api, pro, conflict_policy="flexible_booking")
    await add_slot(api, pro, day(5), "14:00", "18:00")
    await add_slot(api, pro, day(6), "09:00", "11:00")
    booking = await requested(api, client, pro, day(5), "10:00", "12:00")
    assert booking["status"] == "pending"
    alternatives = booking["conflicts"][0]["alternatives"]
    assert alternatives == [
        {"day": day(5), "starts_at": "14:00", "ends_at": "16:00"},
        {"day": day(5), "starts_at": "14:30", "ends_at": "16:30"},
        {"day": day(5), "starts_at": "15:00", "ends_at": "17:00"},
    ]


async def test_confirming_marks_the_time_booked_and_splits_the_free_slot(
    api: AsyncClient, session: AsyncSession, pro: Person, client: Person
) -> None:
    await add_slot(api, pro, day(5), "09:00", "14:00")
    booking = await confirmed(api, client, pro, day(5), "10:00", "12:00")
    assert booking["status"] == "confirmed"
    assert booking["hold_until"] is None

    found = await calendar_day(api, pro, day(5))
    assert found["status"] == "partial"
    assert [(s["starts_at"][:5], s["ends_at"][:5], s["status"]) for s in found["slots"]] == [
        ("09:00", "10:00", "available"),
        ("10:00", "12:00", "booked"),
        ("12:00", "14:00", "available"),
    ]
    assert found["slots"][1]["booking"]["client_name"] == "Rahul Iyer"
    assert found["slots"][1]["booking"]["reference"] == booking["reference"]

    booked_slot = found["slots"][1]["id"]
    for change in (
        api.patch(
            f"/v1/me/calendar/slots/{booked_slot}",
            json={"status": "available"},
            headers=pro.headers,
        ),
        api.delete(f"/v1/me/calendar/slots/{booked_slot}", headers=pro.headers),
    ):
        assert (await change).json()["code"] == "slot_booked"
    assert (
        await _count(
            session,
            "SELECT count(*) FROM messages"
            " WHERE data->>'booking_id' = :b AND kind = 'booking_confirmation'",
            b=booking["id"],
        )
        == 1
    )


async def test_only_the_professional_confirms_and_strangers_see_nothing(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, pro: Person, client: Person
) -> None:
    await add_slot(api, pro, day(5), "09:00", "14:00")
    booking = await requested(api, client, pro, day(5), "10:00", "12:00")
    by_client = await api.post(f"/v1/bookings/{booking['id']}/confirm", headers=client.headers)
    assert by_client.status_code == 409
    stranger = await make_user(session, runtime)
    for call in (
        api.get(f"/v1/bookings/{booking['id']}", headers=stranger.headers),
        api.post(f"/v1/bookings/{booking['id']}/confirm", headers=stranger.headers),
        api.post(
            f"/v1/bookings/{booking['id']}/cancel", json={"reason": "x"}, headers=stranger.headers
        ),
    ):
        response = await call
        assert response.status_code == 404
        assert "Rahul" not in response.text
    assert (
        await api.get(f"/v1/bookings/{booking['id']}", headers=client.headers)
    ).status_code == 200


async def test_a_second_overlapping_request_cannot_be_confirmed(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, pro: Person, client: Person
) -> None:
    await add_slot(api, pro, day(5), "09:00", "14:00")
    other = await make_user(session, runtime)
    first = await requested(api, client, pro, day(5), "10:00", "12:00")
    second = await requested(api, other, pro, day(5), "11:00", "13:00")
    assert [c["type"] for c in second["conflicts"]] == ["overlap"]  # held by the first

    assert (
        await api.post(f"/v1/bookings/{first['id']}/confirm", headers=pro.headers)
    ).status_code == 200
    clash = await api.post(f"/v1/bookings/{second['id']}/confirm", headers=pro.headers)
    assert clash.status_code == 409
    problem = clash.json()
    assert problem["code"] == "slot_unavailable"
    assert problem["clashing_range"] == f"{day(5)} 10:00 to 12:00"
    assert "Rahul" not in clash.text
    flagged = (await api.get(f"/v1/bookings/{second['id']}", headers=pro.headers)).json()
    assert "double_booking" in [c["type"] for c in flagged["conflicts"]]


async def test_cancelling_gives_the_time_back(
    api: AsyncClient, pro: Person, client: Person
) -> None:
    await add_slot(api, pro, day(5), "09:00", "14:00")
    booking = await confirmed(api, client, pro, day(5), "10:00", "12:00")
    no_reason = await api.post(
        f"/v1/bookings/{booking['id']}/cancel", json={}, headers=client.headers
    )
    assert error_fields(no_reason) == {"reason": "required_field"}
    cancelled = await api.post(
        f"/v1/bookings/{booking['id']}/cancel",
        json={"reason": "Venue changed"},
        headers=client.headers,
    )
    assert cancelled.status_code == 200
    body = cancelled.json()
    assert (body["status"], body["cancelled_by"], body["cancel_reason"]) == (
        "cancelled",
        str(client.id),
        "Venue changed",
    )
    found = await calendar_day(api, pro, day(5))
    assert found["status"] == "available"
    assert {s["status"] for s in found["slots"]} == {"available"}
    again = await api.post(
        f"/v1/bookings/{booking['id']}/cancel", json={"reason": "again"}, headers=pro.headers
    )
    assert again.json()["code"] == "invalid_transition"


async def test_cancelling_a_booking_made_outside_free_time_leaves_nothing_behind(
    api: AsyncClient, pro: Person, client: Person
) -> None:
    booking = await confirmed(api, client, pro, day(5), "10:00", "12:00")
    await api.post(
        f"/v1/bookings/{booking['id']}/cancel", json={"reason": "Rain"}, headers=pro.headers
    )
    assert (await calendar_day(api, pro, day(5)))["slots"] == []


async def test_pending_requests_are_declined_or_withdrawn(
    api: AsyncClient, pro: Person, client: Person
) -> None:
    first = await requested(api, client, pro, day(5), "10:00", "12:00")
    by_pro = await api.post(
        f"/v1/bookings/{first['id']}/cancel", json={"reason": "busy"}, headers=pro.headers
    )
    assert by_pro.status_code == 409
    declined = await api.post(
        f"/v1/bookings/{first['id']}/decline", json={"reason": "Out of town"}, headers=pro.headers
    )
    assert (declined.json()["status"], declined.json()["decline_reason"]) == (
        "declined",
        "Out of town",
    )
    by_client = await api.post(
        f"/v1/bookings/{first['id']}/decline", json={}, headers=client.headers
    )
    assert by_client.status_code == 409

    second = await requested(api, client, pro, day(6), "10:00", "12:00")
    withdrawn = await api.post(
        f"/v1/bookings/{second['id']}/cancel",
        json={"reason": "Found someone"},
        headers=client.headers,
    )
    assert withdrawn.json()["status"] == "cancelled"


async def test_the_clock_moves_bookings_on(
    api: AsyncClient, session: AsyncSession, pro: Person, client: Person
) -> None:
    waiting = await requested(api, client, pro, day(5), "10:00", "12:00")
    booked = await confirmed(api, client, pro, day(6), "10:00", "12:00")
    ends = dt.datetime.fromisoformat(booked["ends_at_utc"])

    created = dt.datetime.fromisoformat(waiting["created_at"])
    assert await bookings.advance_due(session, now=created + dt.timedelta(hours=49)) == 1
    row = await session.get(Booking, uuid.UUID(waiting["id"]))
    assert row is not None
    assert row.status is BookingStatus.EXPIRED

    read = await bookings.get_booking(
        session,
        user=_principal(pro),
        booking_id=uuid.UUID(booked["id"]),
        now=ends - dt.timedelta(hours=1),
    )
    assert read.status is BookingStatus.IN_PROGRESS
    early = bookings.complete(
        session,
        user=_principal(client),
        booking_id=uuid.UUID(booked["id"]),
        now=ends - dt.timedelta(hours=1),
    )
    with pytest.raises(bookings.BookingTransition):
        await early
    done = await bookings.complete(
        session,
        user=_principal(client),
        booking_id=uuid.UUID(booked["id"]),
        now=ends + dt.timedelta(minutes=5),
    )
    assert done.status is BookingStatus.COMPLETED
    assert await bookings.completed_between(session, pro.id, client.id) != []


async def test_a_finished_booking_completes_itself_a_day_later(
    api: AsyncClient, session: AsyncSession, pro: Person, client: Person
) -> None:
    booked = await confirmed(api, client, pro, day(6), "10:00", "12:00")
    ends = dt.datetime.fromisoformat(booked["ends_at_utc"])
    assert await bookings.advance_due(session, now=ends + dt.timedelta(hours=23)) == 1  # started
    assert await bookings.advance_due(session, now=ends + dt.timedelta(hours=25)) == 1
    row = await session.get(Booking, uuid.UUID(booked["id"]))
    assert row is not None
    assert row.status is BookingStatus.COMPLETED
    assert await bookings.advance_due(session, now=ends + dt.timedelta(hours=26)) == 0


async def test_reminders_go_once_to_both_sides(
    api: AsyncClient, session: AsyncSession, pro: Person, client: Person
) -> None:
    booked = await confirmed(api, client, pro, day(6), "10:00", "12:00")
    starts = dt.datetime.fromisoformat(booked["starts_at_utc"])
    assert await bookings.remind_due(session, now=starts - dt.timedelta(hours=23)) == 1
    assert await bookings.remind_due(session, now=starts - dt.timedelta(hours=22)) == 0
    assert await bookings.remind_due(session, now=starts - dt.timedelta(hours=1)) == 1
    assert (
        await _count(session, "SELECT count(*) FROM notifications WHERE type = 'booking_reminder'")
        == 4
    )


async def test_travel_time_between_on_location_bookings(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, pro: Person, client: Person
) -> None:
    await add_slot(api, pro, day(5), "08:00", "20:00")
    await confirmed(api, client, pro, day(5), "08:00", "10:00", place=KOCHI)
    km = clock.great_circle_km(KOCHI["lat"], KOCHI["lng"], THRISSUR["lat"], THRISSUR["lng"])
    needed = clock.travel_time(km, 30)  # the default speed
    assert 60 < km < 75

    second = await make_user(session, runtime)
    tight = await requested(api, second, pro, day(5), "11:00", "13:00", place=THRISSUR)
    missing = int(needed.total_seconds() // 60) - 60
    [conflict] = tight["conflicts"]
    assert conflict["type"] == "overlap"
    assert conflict["detail"].startswith(f"{missing} more minutes are needed")
    refused = await api.post(f"/v1/bookings/{tight['id']}/confirm", headers=pro.headers)
    assert refused.status_code == 409
    assert refused.json()["missing_minutes"] == missing

    third = await make_user(session, runtime)
    roomy = await requested(api, third, pro, day(5), "13:00", "15:00", place=THRISSUR)
    assert roomy["conflicts"] == []
    assert (
        await api.post(f"/v1/bookings/{roomy['id']}/confirm", headers=pro.headers)
    ).status_code == 200


async def test_buffers_and_the_daily_cap(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, pro: Person, client: Person
) -> None:
    await settings(api, pro, buffer_after_minutes=60, daily_booking_cap=2)
    await add_slot(api, pro, day(5), "08:00", "20:00")
    await confirmed(api, client, pro, day(5), "08:00", "10:00")
    close = await requested(api, await make_user(session, runtime), pro, day(5), "10:30", "12:00")
    assert close["conflicts"][0]["detail"].startswith("30 more minutes")
    await confirmed(api, await make_user(session, runtime), pro, day(5), "11:00", "13:00")
    capped = await requested(api, await make_user(session, runtime), pro, day(5), "16:00", "18:00")
    assert "at most 2 bookings a day" in capped["conflicts"][0]["detail"]


async def test_blocked_time_cannot_be_confirmed(
    api: AsyncClient, pro: Person, client: Person
) -> None:
    await add_slot(api, pro, day(5), "10:00", "12:00", status="blocked")
    booking = await requested(api, client, pro, day(5), "10:00", "12:00")
    refused = await api.post(f"/v1/bookings/{booking['id']}/confirm", headers=pro.headers)
    assert refused.json()["code"] == "slot_unavailable"
    await api.put(f"/v1/me/calendar/days/{day(6)}", json={"blocked": True}, headers=pro.headers)
    other = await requested(api, client, pro, day(6), "10:00", "12:00")
    assert (
        await api.post(f"/v1/bookings/{other['id']}/confirm", headers=pro.headers)
    ).status_code == 409


async def test_a_reschedule_moves_the_booking_when_the_other_side_accepts(
    api: AsyncClient, pro: Person, client: Person
) -> None:
    await add_slot(api, pro, day(5), "09:00", "14:00")
    booking = await confirmed(api, client, pro, day(5), "10:00", "12:00")
    proposed = await api.post(
        f"/v1/bookings/{booking['id']}/reschedule",
        json={"day": day(7), "starts_at": "15:00", "ends_at": "17:00"},
        headers=client.headers,
    )
    assert proposed.json()["reschedule"]["day"] == day(7)
    assert proposed.json()["day"] == day(5)  # the original time stays booked until accepted
    own = await api.post(f"/v1/bookings/{booking['id']}/reschedule/accept", headers=client.headers)
    assert own.status_code == 409

    accepted = await api.post(
        f"/v1/bookings/{booking['id']}/reschedule/accept", headers=pro.headers
    )
    assert accepted.status_code == 200
    moved = accepted.json()
    assert (moved["day"], moved["starts_at"], moved["reschedule_count"]) == (day(7), "15:00:00", 1)
    assert (await calendar_day(api, pro, day(5)))["status"] == "available"
    assert (await calendar_day(api, pro, day(7)))["status"] == "booked"


async def test_reschedules_are_capped_at_three(
    api: AsyncClient, pro: Person, client: Person
) -> None:
    booking = await confirmed(api, client, pro, day(5), "10:00", "12:00")
    for n in range(3):
        await api.post(
            f"/v1/bookings/{booking['id']}/reschedule",
            json={"day": day(8 + n), "starts_at": "10:00", "ends_at": "12:00"},
            headers=pro.headers,
        )
        accepted = await api.post(
            f"/v1/bookings/{booking['id']}/reschedule/accept", headers=client.headers
        )
        assert accepted.status_code == 200, accepted.text
    fourth = await api.post(
        f"/v1/bookings/{booking['id']}/reschedule",
        json={"day": day(20), "starts_at": "10:00", "ends_at": "12:00"},
        headers=pro.headers,
    )
    assert fourth.json()["code"] == "reschedule_limit"


async def test_a_declined_reschedule_keeps_the_time(
    api: AsyncClient, pro: Person, client: Person
) -> None:
    booking = await confirmed(api, client, pro, day(5), "10:00", "12:00")
    await api.post(
        f"/v1/bookings/{booking['id']}/reschedule",
        json={"day": day(9), "starts_at": "10:00", "ends_at": "12:00"},
        headers=pro.headers,
    )
    kept = await api.post(
        f"/v1/bookings/{booking['id']}/reschedule/decline", headers=client.headers
    )
    assert (kept.json()["day"], kept.json()["reschedule"]) == (day(5), None)
    nothing = await api.post(
        f"/v1/bookings/{booking['id']}/reschedule/accept", headers=client.headers
    )
    assert nothing.status_code == 409


async def test_lists_by_role_soonest_first(api: AsyncClient, pro: Person, client: Person) -> None:
    later = await requested(api, client, pro, day(9), "10:00", "12:00")
    sooner = await requested(api, client, pro, day(4), "10:00", "12:00")
    mine = await api.get("/v1/me/bookings", params={"role": "client"}, headers=client.headers)
    assert [b["id"] for b in mine.json()["items"]] == [sooner["id"], later["id"]]
    theirs = await api.get(
        "/v1/me/bookings", params={"role": "professional", "limit": 1}, headers=pro.headers
    )
    assert [b["id"] for b in theirs.json()["items"]] == [sooner["id"]]
    page_two = await api.get(
        "/v1/me/bookings",
        params={"role": "professional", "limit": 1, "cursor": theirs.json()["next_cursor"]},
        headers=pro.headers,
    )
    assert [b["id"] for b in page_two.json()["items"]] == [later["id"]]
    none = await api.get(
        "/v1/me/bookings",
        params={"role": "professional", "status": "confirmed"},
        headers=pro.headers,
    )
    assert none.json()["items"] == []
    forged = await api.get("/v1/me/bookings", params={"cursor": "bm9wZQ"}, headers=pro.headers)
    assert forged.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"day": "2026-13-01", "starts_at": "10:00", "ends_at": "12:00"},
        {"day": "2026-12-20", "starts_at": "10:00", "ends_at": "12:00", "status": "confirmed"},
        {"day": "2026-12-20", "starts_at": "10:00", "ends_at": "12:00", "amount": 100},
        {"day": "2026-12-20", "starts_at": "10:00", "ends_at": "12:00", "message": "x" * 501},
        {
            "day": "2026-12-20",
            "starts_at": "10:00",
            "ends_at": "12:00",
            "place": {"lat": 51.5, "lng": 0},
        },
        ["2026-12-20"],
    ],
)
async def test_bad_requests_are_422_and_store_nothing(
    api: AsyncClient, session: AsyncSession, pro: Person, client: Person, body: Any
) -> None:
    response = await api.post(
        f"/v1/professionals/{pro.id}/bookings",
        json=body,
        headers=client.headers | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 422
    assert await _count(session, "SELECT count(*) FROM bookings") == 0


async def test_a_hire_books_the_jobs_slots(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await make_user(session, runtime, onboarded=True)
    professional = await make_professional(session, runtime)
    job = await post_job(api, owner)
    application = await apply(api, professional, job["id"])
    hired = await api.post(
        f"/v1/applications/{application['id']}/status",
        json={"status": "hired"},
        headers=owner.headers,
    )
    assert hired.status_code == 200, hired.text
    [booking] = (
        await session.scalars(select(Booking).where(Booking.job_id == uuid.UUID(job["id"])))
    ).all()
    assert (booking.status, booking.source) == (BookingStatus.CONFIRMED, "job_hire")
    assert (booking.professional_id, booking.client_id) == (professional.id, owner.id)
    assert (booking.starts_at, booking.ends_at) == (dt.time(16), dt.time(22))
    assert (await calendar_day(api, professional, job["job_date"]))["status"] == "booked"


async def test_a_hire_over_booked_time_changes_nothing(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await make_user(session, runtime, onboarded=True)
    professional = await make_professional(session, runtime)
    job = await post_job(api, owner)
    application = await apply(api, professional, job["id"])
    other_client = await make_user(session, runtime)
    await confirmed(api, other_client, professional, job["job_date"], "18:00", "20:00")

    hired = await api.post(
        f"/v1/applications/{application['id']}/status",
        json={"status": "hired"},
        headers=owner.headers,
    )
    assert hired.status_code == 409
    assert hired.json()["code"] == "slot_unavailable"
    status = await api.get(f"/v1/applications/{application['id']}", headers=owner.headers)
    assert status.json()["status"] == "pending"
    assert await _count(session, "SELECT count(*) FROM bookings WHERE job_id IS NOT NULL") == 0
