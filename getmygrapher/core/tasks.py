"""Background tasks: a registry of ID-taking coroutines run by procrastinate workers.

Tasks are declared with `@task("<domain>.<verb_noun>")` and deferred with `outbox.add`, which
writes the job row in the caller's transaction, so a job exists only if the change commits.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import procrastinate
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.db import to_libpq_url, transaction
from getmygrapher.core.runtime import Runtime

log = structlog.get_logger(__name__)

TaskFunction = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class TaskSpec:
    name: str
    function: TaskFunction
    queue: str
    max_attempts: int
    cron: str | None = None


REGISTRY: dict[str, TaskSpec] = {}


def task(
    name: str, *, queue: str = "default", max_attempts: int = 8
) -> Callable[[TaskFunction], TaskFunction]:
    """Register a task; its keyword arguments must be IDs and plain values (JSON)."""

    def register(function: TaskFunction) -> TaskFunction:
        if name in REGISTRY and REGISTRY[name].function is not function:
            raise ValueError(f"task {name!r} is registered twice")
        REGISTRY[name] = TaskSpec(name, function, queue, max_attempts)
        return function

    return register


def periodic(name: str, *, cron: str) -> Callable[[TaskFunction], TaskFunction]:
    """Register a task that every worker schedules on `cron`; runs once per tick across nodes."""

    def register(function: TaskFunction) -> TaskFunction:
        REGISTRY[name] = TaskSpec(name, function, "periodic", 1, cron=cron)
        return function

    return register


_runtime: Runtime | None = None


def set_runtime(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("no runtime: start the app or the worker first")
    return _runtime


@asynccontextmanager
async def task_unit_of_work() -> AsyncIterator[AsyncSession]:
    """A task's own transaction, committed once at the end like a request's."""
    async with transaction(runtime().sessionmaker) as session:
        yield session


def _coerce_arguments(function: TaskFunction, arguments: dict[str, Any]) -> dict[str, Any]:
    """Job arguments travel as JSON; turn the ones annotated as UUID back into UUIDs."""
    hints = inspect.get_annotations(function, eval_str=True)
    return {
        key: uuid.UUID(value) if hints.get(key) is uuid.UUID and isinstance(value, str) else value
        for key, value in arguments.items()
    }


async def run_task(name: str, arguments: dict[str, Any]) -> None:
    spec = REGISTRY[name]
    if spec.cron:
        arguments = {}  # periodic jobs carry only procrastinate's tick timestamp
    await spec.function(**_coerce_arguments(spec.function, arguments))


def build_worker_app(database_url: str) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(
        conninfo=to_libpq_url(database_url), min_size=1, max_size=4
    )
    app = procrastinate.App(connector=connector)
    for spec in REGISTRY.values():
        _bind(app, spec)
    return app


def _bind(app: procrastinate.App, spec: TaskSpec) -> None:
    async def run(**arguments: Any) -> None:
        structlog.contextvars.bind_contextvars(task=spec.name)
        try:
            await run_task(spec.name, arguments)
        finally:
            structlog.contextvars.unbind_contextvars("task")

    retry = (
        procrastinate.RetryStrategy(max_attempts=spec.max_attempts, exponential_wait=2)
        if spec.max_attempts > 1
        else False
    )
    bound = app.task(name=spec.name, queue=spec.queue, retry=retry)(run)
    if spec.cron:
        # Periodic jobs get procrastinate's `timestamp` keyword, which `run` accepts and drops.
        app.periodic(cron=spec.cron, periodic_id=spec.name)(bound)  # type: ignore[arg-type]
