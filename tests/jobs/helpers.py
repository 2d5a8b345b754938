"""Jobs made the way clients make them (through the API) or, for volume, straight in SQL."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from httpx import AsyncClient
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.time import IST, today_ist, utcnow
from getmygrapher.jobs.models import Job
from tests.factories import Person

KOCHI = (9.9312, 76.2673)


def job_body(**overrides: Any) -> dict[str, Any]:
    """A complete, publishable job in Kochi ten days from now."""
    body: dict[str, Any] = {
        "title": "Wedding photographer for a Kochi reception",
        "description": "Candid and traditional coverage of a 300-guest evening reception.",
        "category": "Photography",
        "professional_types": ["Wedding Photographer"],
        "positions": 1,
        "job_date": (today_ist() + dt.timedelta(days=10)).isoformat(),
        "time_slots": [{"start": "16:00", "end": "22:00"}],
        "address": "Bolgatty Palace, Mulavukad",
        "city": "Kochi",
        "state": "Kerala",
        "pin_code": "682504",
        "lat": KOCHI[0],
        "lng": KOCHI[1],
        "budget_min": 15000,
        "budget_max": 30000,
        "budget_type": "fixed",
        "negotiable": True,
        "urgency": "Normal",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not ...}


async def post_job(api: AsyncClient, person: Person, **overrides: Any) -> dict[str, Any]:
    response = await api.post("/v1/jobs", json=job_body(**overrides), headers=person.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def apply(api: AsyncClient, person: Person, job_id: str, **overrides: Any) -> dict[str, Any]:
    response = await api.post(
        f"/v1/jobs/{job_id}/applications",
        json={"message": "I shoot receptions every week; happy to help.", **overrides},
        headers=person.headers | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def job_row(client_id: uuid.UUID, lat: float, lng: float, **values: Any) -> dict[str, Any]:
    """A listed job as a plain row, for loading many at once."""
    date = today_ist() + dt.timedelta(days=20)
    starts = dt.datetime.combine(date, dt.time(10), tzinfo=IST).astimezone(dt.UTC)
    row: dict[str, Any] = {
        "client_id": client_id,
        "status": "active",
        "title": "Event photographer",
        "description": "Coverage of a corporate event.",
        "category": "Photography",
        "professional_types": ["Event Photographer"],
        "job_date": date,
        "time_slots": [{"start": "10:00", "end": "18:00"}],
        "starts_at": starts,
        "ends_at": starts + dt.timedelta(hours=8),
        "applications_close_at": starts,
        "city": "Somewhere",
        "state": "Kerala",
        "lat": lat,
        "lng": lng,
        "budget_min": 5000,
        "budget_max": 20000,
        "budget_type": "fixed",
        "published_at": utcnow(),
    }
    row.update(values)
    return row


async def insert_jobs(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await session.execute(insert(Job), rows)
    await session.commit()


async def make_pro(session: AsyncSession, person: Person, months: int = 1) -> None:
    """Pro straight from the billing service, as support grants it."""
    from getmygrapher.billing.service.lifecycle import grant_by_admin

    await grant_by_admin(
        session, actor_id=person.id, user_id=person.id, months=months, reason="tests"
    )
    await session.commit()


def error_fields(response: Any) -> dict[str, str]:
    """field → code of a 422 problem."""
    assert response.status_code == 422, response.text
    return {error["field"]: error["code"] for error in response.json()["errors"]}


async def used(api: AsyncClient, person: Person, feature: str) -> int:
    """Units of a monthly feature used so far, as the entitlements endpoint reports them."""
    features = (await api.get("/v1/me/entitlements", headers=person.headers)).json()["features"]
    [found] = [item for item in features if item["key"] == feature]
    return int(found["usage"]["used"])
