"""Parallel requests against a committed database: checkouts and webhooks stay single."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.conftest import LiveDatabase
from tests.factories import make_user
from tests.fakes.razorpay import FakeRazorpay
from tests.taskqueue import run_jobs

pytestmark = pytest.mark.live


async def test_twenty_parallel_checkouts_make_one_subscription(
    live: LiveDatabase, razorpay: FakeRazorpay
) -> None:
    async with live.sessionmaker() as session:
        person = await make_user(session, live.runtime)

    responses = await asyncio.gather(
        *[
            live.api.post(
                "/v1/billing/subscriptions",
                json={"period": "monthly"},
                headers=person.headers | {"Idempotency-Key": uuid.uuid4().hex},
            )
            for _ in range(20)
        ]
    )

    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["subscription"]["id"] for r in responses}) == 1
    assert len(razorpay.subscriptions) == 1
    assert len(razorpay.plans) == 1
    assert await live.scalar("SELECT count(*) FROM subscriptions") == 1


async def test_parallel_deliveries_of_the_same_webhooks_apply_once(
    live: LiveDatabase, razorpay: FakeRazorpay
) -> None:
    async with live.sessionmaker() as session:
        person = await make_user(session, live.runtime)
    checkout = (
        await live.api.post(
            "/v1/billing/subscriptions",
            json={"period": "monthly"},
            headers=person.headers | {"Idempotency-Key": "once"},
        )
    ).json()
    razorpay.pay_subscription(checkout["razorpay_subscription_id"])
    hooks = list(razorpay.outbox)

    responses = await asyncio.gather(
        *[
            live.api.post("/v1/webhooks/razorpay", content=hook.body, headers=hook.headers)
            for hook in hooks
            for _ in range(5)
        ]
    )
    async with live.engine.connect() as connection:
        await run_jobs(connection)
        await connection.commit()

    assert {r.status_code for r in responses} == {200}
    assert [r.json()["status"] for r in responses].count("accepted") == len(hooks)
    assert await live.scalar("SELECT count(*) FROM provider_events") == len(hooks)
    assert await live.scalar("SELECT count(*) FROM payments") == 1
    assert await live.scalar("SELECT count(*) FROM receipt_counters") == 1
    assert await live.scalar("SELECT status FROM subscriptions") == "active"
