"""A profile's beginning (AUTH-11), its export (DATA-1) and its erasure (DATA-2)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core import outbox
from getmygrapher.profiles.models import Onboarding, Profile
from getmygrapher.profiles.repository import ProfileRepository


async def create_defaults(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """An empty profile (public, every section shown) and an onboarding record not yet started."""
    await session.execute(pg_insert(Profile).values(user_id=user_id).on_conflict_do_nothing())
    await session.execute(pg_insert(Onboarding).values(user_id=user_id).on_conflict_do_nothing())


async def erase_user(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """Profile, gear, portfolio (files removed by a job), saves, views and documents."""
    keys = await ProfileRepository(session).erase(user_id)
    if keys:
        await outbox.add(session, "profiles.delete_files", keys=keys)


async def export_user(session: AsyncSession, *, user_id: uuid.UUID) -> dict[str, Any]:
    repo = ProfileRepository(session)
    profile = await repo.get(user_id)
    onboarding = await repo.onboarding(user_id)
    columns = [c.key for c in Profile.__table__.columns if c.key != "point"]
    return {
        "profile": {key: getattr(profile, key) for key in columns} if profile else None,
        "onboarding": {
            "status": onboarding.status.value,
            "completed_steps": list(onboarding.completed_steps),
            "draft": onboarding.draft,
            "guides_seen": list(onboarding.guides_seen),
        }
        if onboarding
        else None,
        "preferred_locations": [
            {"city": p.city, "state": p.state, "pin_code": p.pin_code, "lat": p.lat, "lng": p.lng}
            for p in await repo.preferred_locations(user_id)
        ],
        "equipment": [
            {
                "category": e.category,
                "name": e.name,
                "brand": e.brand,
                "condition": e.condition,
                "description": e.description,
            }
            for e in await repo.equipment(user_id)
        ],
        "portfolio": [
            {
                "id": str(i.id),
                "title": i.title,
                "description": i.description,
                "category": i.category,
                "tags": list(i.tags),
                "visible": i.is_visible,
                "featured": i.is_featured,
                "camera": i.exif,
                "created_at": i.created_at,
            }
            for i in await repo.portfolio(user_id, visible_only=False)
        ],
        "saved_professionals": [
            {
                "professional_id": str(s.professional_id),
                "note": s.note,
                "collection": s.collection,
                "saved_at": s.created_at,
            }
            for s in await repo.list_saves(user_id, collection=None, after=None, limit=500)
        ],
    }
