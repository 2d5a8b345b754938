"""Availability: for now the calendar settings every account starts with (AUTH-11, ONB-8)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.availability.models import CalendarSettings


async def create_defaults(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    await session.execute(
        pg_insert(CalendarSettings).values(user_id=user_id).on_conflict_do_nothing()
    )


async def erase_user(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    await session.execute(delete(CalendarSettings).where(CalendarSettings.user_id == user_id))
