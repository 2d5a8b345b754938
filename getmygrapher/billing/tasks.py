"""Background work of billing: webhook processing, receipts, period ends, reconciliation."""

from __future__ import annotations

import uuid

import structlog

from getmygrapher.billing import service as billing_service
from getmygrapher.core import outbox
from getmygrapher.core.tasks import periodic, runtime, task, task_unit_of_work

log = structlog.get_logger(__name__)


@task("billing.handle_provider_event")
async def handle_provider_event(event_id: uuid.UUID) -> None:
    async with task_unit_of_work() as session:
        await billing_service.handle_provider_event(session, runtime(), event_id=event_id)


@task("billing.send_receipt")
async def send_receipt(payment_id: uuid.UUID) -> None:
    async with task_unit_of_work() as session:
        await billing_service.send_receipt(session, runtime(), payment_id=payment_id)


@task("billing.send_billing_notice")
async def send_billing_notice(user_id: uuid.UUID, kind: str) -> None:
    async with task_unit_of_work() as session:
        await billing_service.send_billing_notice(session, runtime(), user_id=user_id, kind=kind)


@task("billing.settle_due")
async def settle_due(subscription_id: uuid.UUID) -> None:
    async with task_unit_of_work() as session:
        await billing_service.settle_due(session, runtime(), subscription_id=subscription_id)


@task("billing.reconcile_subscription", max_attempts=3)
async def reconcile_subscription(subscription_id: uuid.UUID) -> None:
    async with task_unit_of_work() as session:
        await billing_service.reconcile_subscription(
            session, runtime(), subscription_id=subscription_id
        )


@task("billing.reconcile_payment", max_attempts=3)
async def reconcile_payment(provider_payment_id: str) -> None:
    async with task_unit_of_work() as session:
        await billing_service.reconcile_payment(
            session, runtime(), provider_payment_id=provider_payment_id
        )


@periodic("billing.sweep", cron="*/5 * * * *")
async def sweep() -> None:
    """GEN-12: every five minutes, one job per thing that is due; each job is idempotent and
    holds its own locks, so two nodes sweeping at once do no harm."""
    async with task_unit_of_work() as session:
        ending, quiet, payments, events = await billing_service.due_work(session)
        configured = runtime().settings.billing_configured
        for subscription_id in ending:
            await outbox.add(
                session,
                "billing.settle_due",
                subscription_id=subscription_id,
                queueing_lock=f"end:{subscription_id}",
            )
        for event_id in events:
            await outbox.add(
                session,
                "billing.handle_provider_event",
                event_id=event_id,
                queueing_lock=f"event:{event_id}",
            )
        if configured:
            for subscription_id in quiet:
                await outbox.add(
                    session,
                    "billing.reconcile_subscription",
                    subscription_id=subscription_id,
                    queueing_lock=f"sync:{subscription_id}",
                )
            for payment_id in payments:
                await outbox.add(
                    session,
                    "billing.reconcile_payment",
                    provider_payment_id=payment_id,
                    queueing_lock=f"pay:{payment_id}",
                )
    log.info(
        "billing_sweep",
        ending=len(ending),
        quiet=len(quiet),
        payments=len(payments),
        events=len(events),
    )
