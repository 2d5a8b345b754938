"""Periodic clean-up of core tables: spent rate-limit windows and day-old idempotency keys."""

from __future__ import annotations

from sqlalchemy import text

from getmygrapher.core.tasks import periodic, runtime, task_unit_of_work


@periodic("core.purge_expired", cron="*/10 * * * *")
async def purge_expired() -> None:
    await runtime().rate_limiter.purge_expired()
    async with task_unit_of_work() as session:
        await session.execute(
            text("DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'")
        )
