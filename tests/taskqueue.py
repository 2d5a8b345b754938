"""Run the jobs the code under test deferred, inside the test's transaction."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from getmygrapher.core.tasks import run_task

_NEXT = text(
    """
    DELETE FROM procrastinate_jobs WHERE id = (
        SELECT id FROM procrastinate_jobs
        WHERE status = 'todo' AND (:all OR scheduled_at IS NULL OR scheduled_at <= now())
        ORDER BY id LIMIT 1)
    RETURNING task_name, args
    """
)


async def run_jobs(
    connection: AsyncConnection, *, include_scheduled: bool = False, limit: int = 200
) -> list[str]:
    """Run deferred jobs in order (and the jobs they defer) until none is left."""
    ran: list[str] = []
    for _ in range(limit):
        row = (await connection.execute(_NEXT, {"all": include_scheduled})).one_or_none()
        if row is None:
            return ran
        await run_task(row.task_name, dict(row.args))
        ran.append(row.task_name)
    raise AssertionError(f"jobs keep coming: {ran[-10:]}")


async def pending_jobs(connection: AsyncConnection) -> list[str]:
    rows = await connection.execute(
        text("SELECT task_name FROM procrastinate_jobs WHERE status = 'todo' ORDER BY id")
    )
    return [row.task_name for row in rows]
