"""Profiles: for now the records every account starts with (AUTH-11)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.profiles.models import Onboarding, Profile


async def create_defaults(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """An empty profile (public, every section shown) and an onboarding record not yet started."""
    await session.execute(pg_insert(Profile).values(user_id=user_id).on_conflict_do_nothing())
    await session.execute(pg_insert(Onboarding).values(user_id=user_id).on_conflict_do_nothing())


async def erase_user(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    await session.execute(delete(Onboarding).where(Onboarding.user_id == user_id))
    await session.execute(delete(Profile).where(Profile.user_id == user_id))
