"""Side effects that must survive a crash: a job row written in the caller's transaction."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.tasks import REGISTRY

_DEFER = text(
    """
    SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(
        CAST(:queue AS varchar), CAST(:task AS varchar), CAST(:priority AS integer),
        CAST(:lock AS text), CAST(:queueing_lock AS text), CAST(:args AS jsonb),
        CAST(:scheduled_at AS timestamptz)
    )::procrastinate_job_to_defer_v1])
    """
)


def _json_default(value: Any) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"task arguments must be IDs and plain values, not {type(value).__name__}")


async def add(
    session: AsyncSession,
    task_name: str,
    *,
    queue: str | None = None,
    scheduled_at: datetime | None = None,
    queueing_lock: str | None = None,
    priority: int = 0,
    **arguments: Any,
) -> None:
    """Record a job that runs only if the current transaction commits (at least once)."""
    if task_name not in REGISTRY:
        raise KeyError(f"unknown task {task_name!r}")
    params = {
        "queue": queue or REGISTRY[task_name].queue,
        "task": task_name,
        "priority": priority,
        "lock": None,
        "queueing_lock": queueing_lock,
        "args": json.dumps(arguments, default=_json_default),
        "scheduled_at": scheduled_at,
    }
    if queueing_lock is None:
        await session.execute(_DEFER, params)
        return
    # A job with the same queueing lock already waiting makes this one redundant.
    try:
        async with session.begin_nested():
            await session.execute(_DEFER, params)
    except IntegrityError:
        return
