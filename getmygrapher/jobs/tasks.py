"""Background work of jobs: the clock's moves (JOB-5) and old drafts (JOB-2)."""

from __future__ import annotations

from getmygrapher.core.tasks import periodic, task_unit_of_work
from getmygrapher.jobs import service as jobs_service

BATCH = 200
MAX_BATCHES = 25


@periodic("jobs.finish_due", cron="*/5 * * * *")
async def finish_due() -> None:
    """Readers never wait for this: they compare the deadline with the clock themselves."""
    for _ in range(MAX_BATCHES):  # short transactions; a backlog drains over a few ticks
        async with task_unit_of_work() as session:
            moved = await jobs_service.finish_due(session, batch=BATCH)
        if moved < BATCH:
            break


@periodic("jobs.delete_stale_drafts", cron="17 4 * * *")
async def delete_stale_drafts() -> None:
    async with task_unit_of_work() as session:
        await jobs_service.delete_stale_drafts(session)
