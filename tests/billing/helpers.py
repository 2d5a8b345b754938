"""Driving a purchase end to end: checkout through the API, payment at the fake Razorpay,
webhooks delivered to the API, jobs run."""

from __future__ import annotations

import uuid
from typing import Any

from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.factories import Person
from tests.fakes.razorpay import FakeRazorpay, Webhook
from tests.taskqueue import run_jobs


async def start(
    api: AsyncClient,
    person: Person,
    *,
    period: str = "monthly",
    kind: str = "subscriptions",
    key: str | None = None,
) -> dict[str, Any]:
    response = await api.post(
        f"/v1/billing/{kind}",
        json={"period": period},
        headers=person.headers | {"Idempotency-Key": key or uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def deliver(
    api: AsyncClient, connection: AsyncConnection, hooks: list[Webhook]
) -> list[Response]:
    """POST webhooks the way Razorpay does, then run the jobs they queued."""
    responses = [
        await api.post("/v1/webhooks/razorpay", content=hook.body, headers=hook.headers)
        for hook in hooks
    ]
    await run_jobs(connection)
    return responses


async def deliver_all(
    api: AsyncClient, connection: AsyncConnection, razorpay: FakeRazorpay
) -> list[Response]:
    hooks, razorpay.outbox[:] = list(razorpay.outbox), []
    return await deliver(api, connection, hooks)


async def subscribe(
    api: AsyncClient,
    connection: AsyncConnection,
    razorpay: FakeRazorpay,
    person: Person,
    *,
    period: str = "monthly",
) -> dict[str, Any]:
    """Checkout, pay, verify, deliver the webhooks: a running Pro subscription."""
    checkout = await start(api, person, period=period)
    proof = razorpay.pay_subscription(checkout["razorpay_subscription_id"])
    verified = await api.post(
        "/v1/billing/subscriptions/verify", json=proof, headers=person.headers
    )
    assert verified.status_code == 200, verified.text
    await deliver_all(api, connection, razorpay)
    return checkout


async def tier(api: AsyncClient, person: Person) -> str:
    return str((await api.get("/v1/me/entitlements", headers=person.headers)).json()["tier"])
