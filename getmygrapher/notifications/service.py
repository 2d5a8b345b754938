"""Notifications: for now the preferences every account starts with (AUTH-11, NOT-3)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.notifications.models import DEFAULT_CHANNELS, NotificationPreferences


async def create_defaults(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    await session.execute(
        pg_insert(NotificationPreferences)
        .values(user_id=user_id, channels=DEFAULT_CHANNELS)
        .on_conflict_do_nothing()
    )


async def erase_user(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    await session.execute(
        delete(NotificationPreferences).where(NotificationPreferences.user_id == user_id)
    )
