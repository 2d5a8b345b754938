"""Calendars and bookings in the account export (DATA-1) and at deletion (DATA-2): bookings
ahead are cancelled when deletion is asked for, with notice to the other side; the calendar
goes after the cooling-off; past bookings stay in the other side's history without what the
erased person wrote."""

from __future__ import annotations

import datetime as dt

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.core.runtime import Runtime
from tests.availability.helpers import add_slot, confirmed, day, requested
from tests.availability.pattern_helpers import create_pattern, hours, weekly
from tests.factories import make_user
from tests.taskqueue import run_jobs

DELETE = {"confirm": "DELETE"}
OWN_TABLES = (
    "calendar_settings",
    "calendar_slots",
    "calendar_days",
    "availability_patterns",
    "calendar_operations",
)


async def _count(session: AsyncSession, table: str, user_id: object) -> int:
    return int(
        await session.scalar(
            text(f"SELECT count(*) FROM {table} WHERE user_id = :u"),
            {"u": user_id},
        )
        or 0
    )


async def test_the_export_holds_the_calendar_and_both_sides_of_bookings(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_user(session, runtime, full_name="Asha Menon")
    client = await make_user(session, runtime, full_name="Rahul Iyer")
    await add_slot(api, pro, day(3), "10:00", "14:00", note="Studio A")
    await create_pattern(api, pro, **weekly({"monday": hours(("09:00", "12:00"))}))
    await requested(
        api, client, pro, day(3), "10:00", "12:00", message="Pre-wedding shoot, bring reflectors"
    )

    mine = (await api.get("/v1/me/export", headers=pro.headers)).json()
    theirs = (await api.get("/v1/me/export", headers=client.headers)).json()

    assert mine["calendar_settings"]["visibility"] == "public"
    assert {"day": day(3), "note": "Studio A"}.items() <= next(
        s for s in mine["calendar"]["slots"] if s["day"] == day(3)
    ).items()
    assert [p["rrule"] for p in mine["calendar"]["patterns"]] == ["FREQ=WEEKLY;BYDAY=MO"]
    [as_pro] = mine["bookings"]
    [as_client] = theirs["bookings"]
    assert as_pro["role"] == "professional"
    assert as_pro["with_user_id"] == str(client.id)
    assert as_pro["message"] is None  # the client's words are the client's
    assert as_client["role"] == "client"
    assert as_client["message"] == "Pre-wedding shoot, bring reflectors"
    assert theirs["calendar"]["slots"] == []


async def test_deletion_cancels_bookings_ahead_then_erases_the_calendar(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, runtime: Runtime
) -> None:
    pro = await make_user(session, runtime, full_name="Asha Menon")
    client = await make_user(session, runtime, full_name="Rahul Iyer")
    other = await make_user(session, runtime, full_name="Meera Das")
    await add_slot(api, pro, day(4), "09:00", "17:00")
    await create_pattern(api, pro, **weekly({"friday": hours(("09:00", "12:00"))}))
    booking = await confirmed(
        api, client, pro, day(4), "10:00", "12:00", message="Call me on 9812345678"
    )
    waiting = await requested(api, other, pro, day(4), "14:00", "15:00")

    response = await api.request("DELETE", "/v1/me", headers=client.headers, json=DELETE)
    assert response.status_code == 202

    state = (
        await session.execute(
            text("SELECT status::text, cancelled_by, cancel_reason FROM bookings WHERE id = :b"),
            {"b": booking["id"]},
        )
    ).one()
    assert state[0] == "cancelled"
    assert state[1] is None  # the system's doing
    assert "deleting their account" in state[2]
    # The professional's booked time is free again and they were told.
    slots = (
        await session.execute(
            text(
                "SELECT status::text FROM calendar_slots WHERE user_id = :u AND day = :d "
                "ORDER BY starts_at"
            ),
            {"u": pro.id, "d": dt.date.fromisoformat(booking["day"])},
        )
    ).scalars()
    assert "booked" not in list(slots)
    told = await session.scalar(
        text(
            "SELECT count(*) FROM notifications WHERE user_id = :u AND target_id = :b "
            "AND title LIKE '%account is being deleted%'"
        ),
        {"u": pro.id, "b": booking["id"]},
    )
    assert told == 1
    other_request = await session.scalar(
        text("SELECT status::text FROM bookings WHERE id = :b"), {"b": waiting["id"]}
    )
    assert other_request == "pending"  # between two other people: untouched

    # The professional leaves too; after the cooling-off their calendar goes.
    await api.request("DELETE", "/v1/me", headers=pro.headers, json=DELETE)
    assert (
        await session.scalar(
            text("SELECT status::text FROM bookings WHERE id = :b"), {"b": waiting["id"]}
        )
        == "cancelled"
    )
    await session.execute(
        text(
            "UPDATE users SET deletion_requested_at = now() - interval '31 days' "
            "WHERE id IN (:a, :b)"
        ),
        {"a": pro.id, "b": client.id},
    )
    await session.commit()
    await run_jobs(connection, include_scheduled=True)

    for table in OWN_TABLES:
        assert await _count(session, table, pro.id) == 0, table
    kept = (
        await session.execute(
            text("SELECT status::text, message, location FROM bookings WHERE id = :b"),
            {"b": booking["id"]},
        )
    ).one()
    assert tuple(kept) == ("cancelled", None, None)
    assert await _count(session, "calendar_settings", other.id) == 1
