"""Parallel requests on a committed database: of many overlapping requests exactly one is ever
confirmed, and the calendar and the bookings agree afterwards (BKG-4)."""

from __future__ import annotations

import asyncio

import pytest

from tests.availability.helpers import add_slot, day, requested
from tests.conftest import LiveDatabase
from tests.factories import Person, make_user

pytestmark = pytest.mark.live


async def _person(live: LiveDatabase) -> Person:
    async with live.sessionmaker() as session:
        return await make_user(session, live.runtime)


async def test_fifty_parallel_confirmations_of_overlapping_requests_make_one(
    live: LiveDatabase,
) -> None:
    professional = await _person(live)
    await add_slot(live.api, professional, day(6), "08:00", "20:00")
    clients = await asyncio.gather(*[_person(live) for _ in range(50)])
    # Fifty requests, each overlapping the next by an hour: every pair of neighbours clashes.
    requests = []
    for n, client in enumerate(clients):
        start = 8 + n % 10
        requests.append(
            await requested(
                live.api, client, professional, day(6), f"{start:02}:00", f"{start + 2:02}:00"
            )
        )

    responses = await asyncio.gather(
        *[
            live.api.post(f"/v1/bookings/{booking['id']}/confirm", headers=professional.headers)
            for booking in requests
        ]
    )

    confirmed = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert {r.status_code for r in refused} == {409}
    assert {r.json()["code"] for r in refused} == {"slot_unavailable"}
    # Two-hour bookings starting on the hour from 08:00 to 17:00: at most five fit without
    # overlapping; which ones win depends on the race, that no two overlap does not.
    assert await live.scalar("SELECT count(*) FROM bookings WHERE status = 'confirmed'") == len(
        confirmed
    )
    assert (
        await live.scalar(
            "SELECT count(*) FROM bookings a JOIN bookings b ON a.id < b.id"
            " AND a.professional_id = b.professional_id AND a.period && b.period"
            " WHERE a.status = 'confirmed' AND b.status = 'confirmed'"
        )
        == 0
    )
    assert await live.scalar("SELECT count(*) FROM calendar_slots WHERE status = 'booked'") == len(
        confirmed
    )
    # Every refusal was for a real clash: each refused request overlaps a confirmed one.
    assert (
        await live.scalar(
            "SELECT count(*) FROM bookings p WHERE p.status = 'pending' AND NOT EXISTS ("
            " SELECT 1 FROM bookings c WHERE c.status = 'confirmed' AND c.period && p.period)"
        )
        == 0
    )
    assert 1 <= len(confirmed) <= 5


async def test_fifty_parallel_confirmations_of_the_same_time_make_exactly_one(
    live: LiveDatabase,
) -> None:
    professional = await _person(live)
    await add_slot(live.api, professional, day(6), "08:00", "20:00")
    clients = await asyncio.gather(*[_person(live) for _ in range(50)])
    requests = [
        await requested(live.api, client, professional, day(6), "10:00", "12:00")
        for client in clients
    ]

    responses = await asyncio.gather(
        *[
            live.api.post(f"/v1/bookings/{booking['id']}/confirm", headers=professional.headers)
            for booking in requests
        ]
    )

    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 49
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"slot_unavailable"}
    assert await live.scalar("SELECT count(*) FROM bookings WHERE status = 'confirmed'") == 1
    assert await live.scalar("SELECT count(*) FROM bookings WHERE status = 'pending'") == 49
    assert await live.scalar("SELECT count(*) FROM calendar_slots WHERE status = 'booked'") == 1
    free = await live.scalar(
        "SELECT string_agg(starts_at || '-' || ends_at, ',' ORDER BY starts_at)"
        " FROM calendar_slots WHERE status = 'available'"
    )
    assert free == "08:00:00-10:00:00,12:00:00-20:00:00"
