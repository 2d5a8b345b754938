"""Engine, declarative base and the unit of work that owns each request's transaction."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, ClassVar

import structlog
from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, event, exc, func, text
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from getmygrapher.core.errors import DomainError

log = structlog.get_logger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        uuid.UUID: PG_UUID(as_uuid=True),
    }


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))


def now_column() -> Mapped[datetime]:
    return mapped_column(server_default=func.now())


def touched_column() -> Mapped[datetime]:
    return mapped_column(server_default=func.now(), onupdate=func.now())


def to_sqlalchemy_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the asyncpg driver."""
    for prefix in (
        "postgresql+asyncpg://",
        "postgresql+psycopg://",
        "postgresql://",
        "postgres://",
    ):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a postgresql:// URL")


def to_libpq_url(url: str) -> str:
    """The same database as a libpq URL, for psycopg (the job queue) and psql."""
    return "postgresql://" + to_sqlalchemy_url(url).removeprefix("postgresql+asyncpg://")


# A pooled connection is pinged before use only after this long unused. `pool_pre_ping` pings
# on every checkout, three round trips (BEGIN, an empty query, ROLLBACK) on asyncpg, which were a
# fifth of a nearby search's server time; a connection the server closed meanwhile is seen
# without any (asyncpg marks it closed when its socket does).
PING_AFTER_IDLE_SECONDS = 5.0
_CHECKED_IN = "checked_in_at"


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    engine = create_async_engine(
        to_sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=10,
        connect_args={"server_settings": {"application_name": "getmygrapher", "timezone": "UTC"}},
    )
    event.listen(engine.sync_engine, "checkout", _check_on_checkout)
    event.listen(engine.sync_engine, "checkin", _note_checkin)
    return engine


def _check_on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """A closed connection, or an idle one that fails a ping, is replaced (the pool retries)."""
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("the connection was closed")
    checked_in = record.info.get(_CHECKED_IN)
    if checked_in is not None and time.monotonic() - checked_in > PING_AFTER_IDLE_SECONDS:
        try:
            dbapi_connection.ping()
        except Exception as error:
            raise exc.DisconnectionError("the connection failed a ping") from error


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN] = time.monotonic()


def create_sessionmaker(
    bind: Any, *, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """`info` is copied into every session (the realtime broker travels that way)."""
    return async_sessionmaker(bind=bind, expire_on_commit=False, autoflush=True, info=info)


# Side effects registered during a transaction run only once it has committed.
AfterCommit = Callable[[], Awaitable[None]]
_AFTER_COMMIT = "after_commit"


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run `callback` once this session's transaction has committed; never if it rolls back."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


async def run_after_commit(session: AsyncSession) -> None:
    callbacks: list[AfterCommit] = session.info.pop(_AFTER_COMMIT, [])
    for callback in callbacks:
        try:
            await callback()
        except Exception:  # a failed notification must not turn a committed write into an error
            log.exception("after_commit_failed")


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit once at the end, roll back on any exception, then side effects."""
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except DomainError as error:
            if error.keeps_changes:
                await session.commit()
            else:
                await session.rollback()
            session.info.pop(_AFTER_COMMIT, None)
            raise
        except BaseException:
            await session.rollback()
            session.info.pop(_AFTER_COMMIT, None)
            raise
        await run_after_commit(session)


async def unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    async with transaction(request.app.state.sessionmaker) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed commit is a 5xx.
DbSession = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]
