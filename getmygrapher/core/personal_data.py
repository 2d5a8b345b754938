"""Account export (DATA-1) and erasure (DATA-2), as each area declares them.

Every area that keeps rows about a person registers how it exports and erases them, and which of
its tables that covers (`registry.py` does the wiring). The accounts area erases an account and
the privacy area exports one by asking this registry, so neither imports the areas above it, and
a new area is covered by registering itself: a test compares the tables declared here with every
table that has a column referring to a user.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.models import IdempotencyRecord, RealtimeCursor, RealtimeEventRow


class Exporter(Protocol):
    def __call__(
        self, session: AsyncSession, *, user_id: uuid.UUID
    ) -> Awaitable[Mapping[str, Any]]: ...


class Eraser(Protocol):
    def __call__(self, session: AsyncSession, *, user_id: uuid.UUID) -> Awaitable[None]: ...


@dataclass(frozen=True)
class Area:
    name: str
    # Tables whose rows about the person the exporter or the eraser handles.
    tables: frozenset[str]
    export: Exporter | None = None
    erase: Eraser | None = None
    # Tables whose rows stay after erasure, each with the reason (a pseudonymous id remains).
    kept: Mapping[str, str] = field(default_factory=dict)


_AREAS: dict[str, Area] = {}


def register(
    name: str,
    *,
    tables: set[str] | frozenset[str],
    export: Exporter | None = None,
    erase: Eraser | None = None,
    kept: Mapping[str, str] | None = None,
) -> None:
    """Erasers run in the order their areas registered: register an area before the ones its
    rows refer to (the accounts area, whose user row every other refers to, last)."""
    if name in _AREAS:
        raise ValueError(f"{name} already registered its personal data")
    if export is None and erase is None and tables:
        raise ValueError(f"{name} declares tables but neither exports nor erases them")
    _AREAS[name] = Area(name, frozenset(tables), export, erase, dict(kept or {}))


def areas() -> list[Area]:
    return list(_AREAS.values())


async def export_user(session: AsyncSession, *, user_id: uuid.UUID) -> dict[str, Any]:
    """Each area's sections, in registration order; two areas never write the same key."""
    gathered: dict[str, Any] = {}
    for area in _AREAS.values():
        if area.export is None:
            continue
        sections = await area.export(session, user_id=user_id)
        if clash := gathered.keys() & sections.keys():
            raise ValueError(f"{area.name} exports sections another area did: {sorted(clash)}")
        gathered.update(sections)
    return gathered


async def erase_user(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """Every area's eraser, in one transaction (the caller's)."""
    for area in _AREAS.values():
        if area.erase is not None:
            await area.erase(session, user_id=user_id)


Hook = Callable[..., Awaitable[object]]
_ON_CREATED: list[Hook] = []
_ON_DELETION_REQUESTED: list[Hook] = []


def on_account_created(hook: Hook) -> None:
    """`hook(session, user_id=…)` runs in the transaction that creates an account: each area
    makes the defaults it needs (AUTH-11)."""
    _ON_CREATED.append(hook)


def on_deletion_requested(hook: Hook) -> None:
    """`hook(session, user_id=…)` runs when a person asks for erasure, before the cooling-off
    period: what must stop at once (open jobs closed, DATA-2)."""
    _ON_DELETION_REQUESTED.append(hook)


async def account_created(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    for hook in _ON_CREATED:
        await hook(session, user_id=user_id)


async def deletion_requested(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    for hook in _ON_DELETION_REQUESTED:
        await hook(session, user_id=user_id)


CORE_TABLES = frozenset({"idempotency_keys", "realtime_cursors", "realtime_events"})


async def erase_runtime_state(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """What the platform kept for the person's requests: replayable responses (which hold
    personal data) and undelivered realtime events."""
    for model in (IdempotencyRecord, RealtimeEventRow, RealtimeCursor):
        await session.execute(delete(model).where(model.user_id == user_id))
