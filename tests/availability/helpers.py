"""Calendars and bookings made the way people make them: through the API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from httpx import AsyncClient, Response

from getmygrapher.core.time import today_ist
from tests.factories import Person


def day(ahead: int) -> str:
    """A date `ahead` days after today in IST, as the API writes it."""
    return (today_ist() + dt.timedelta(days=ahead)).isoformat()


async def add_slot(
    api: AsyncClient,
    owner: Person,
    on: str,
    starts: str,
    ends: str,
    status: str = "available",
    **extra: Any,
) -> dict[str, Any]:
    response = await api.post(
        "/v1/me/calendar/slots",
        json={"day": on, "starts_at": starts, "ends_at": ends, "status": status, **extra},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def ask(
    api: AsyncClient,
    client: Person,
    professional: Person,
    on: str,
    starts: str,
    ends: str,
    **extra: Any,
) -> Response:
    return await api.post(
        f"/v1/professionals/{professional.id}/bookings",
        json={"day": on, "starts_at": starts, "ends_at": ends, **extra},
        headers=client.headers | {"Idempotency-Key": uuid.uuid4().hex},
    )


async def requested(
    api: AsyncClient,
    client: Person,
    professional: Person,
    on: str,
    starts: str,
    ends: str,
    **extra: Any,
) -> dict[str, Any]:
    response = await ask(api, client, professional, on, starts, ends, **extra)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def confirmed(
    api: AsyncClient,
    client: Person,
    professional: Person,
    on: str,
    starts: str,
    ends: str,
    **extra: Any,
) -> dict[str, Any]:
    booking = await requested(api, client, professional, on, starts, ends, **extra)
    response = await api.post(f"/v1/bookings/{booking['id']}/confirm", headers=professional.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def calendar_day(api: AsyncClient, owner: Person, on: str) -> dict[str, Any]:
    response = await api.get(
        "/v1/me/calendar", params={"from": on, "to": on}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["days"][0])


async def settings(api: AsyncClient, owner: Person, **changes: Any) -> dict[str, Any]:
    response = await api.patch("/v1/me/calendar/settings", json=changes, headers=owner.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())
