"""Saved professionals with private notes and collections (SAV-1)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts import service as accounts_service
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.pagination import Page, clamp_limit, decode_cursor, to_page
from getmygrapher.core.security import Principal
from getmygrapher.profiles.errors import LimitReached
from getmygrapher.profiles.repository import ProfileRepository
from getmygrapher.profiles.schemas import SavedRead, SaveIn, SaveState
from getmygrapher.profiles.service.viewing import access_profile

MAX_SAVED = 500


async def save_professional(
    session: AsyncSession, *, saver: Principal, professional_id: uuid.UUID, data: SaveIn
) -> SaveState:
    """Idempotent: saving again updates the note and collection; the count moves once."""
    if saver.id == professional_id:
        raise ValidationFailed.field("professional_id", "not_allowed", "You cannot save yourself.")
    await access_profile(session, viewer=saver, profile_id=professional_id)
    repo = ProfileRepository(session)
    await repo.lock_portfolio(saver.id)  # serialises one saver's saves: the 500 cap holds
    existing = await repo.saved(saver.id, professional_id)
    if existing is not None:
        if "note" in data.model_fields_set:
            existing.note = data.note
        if "collection" in data.model_fields_set:
            existing.collection = data.collection
        await session.flush()
        return SaveState(saved=True, note=existing.note, collection=existing.collection)
    if await repo.count_saves_by(saver.id) >= MAX_SAVED:
        raise LimitReached("You can save at most 500 professionals.", limit=MAX_SAVED)
    if await repo.insert_save(saver.id, professional_id, data.note, data.collection):
        await repo.bump_saves(professional_id, 1)
    return SaveState(saved=True, note=data.note, collection=data.collection)


async def unsave_professional(
    session: AsyncSession, *, saver: Principal, professional_id: uuid.UUID
) -> SaveState:
    repo = ProfileRepository(session)
    if await repo.delete_save(saver.id, professional_id):
        await repo.bump_saves(professional_id, -1)
    return SaveState(saved=False)


async def list_saved(
    session: AsyncSession,
    *,
    saver: Principal,
    collection: str | None,
    limit: int | None,
    cursor: str | None,
) -> Page[SavedRead]:
    size = clamp_limit(limit)
    after = decode_cursor(cursor, arity=2)
    repo = ProfileRepository(session)
    rows = await repo.list_saves(
        saver.id, collection=collection, after=(after[0], after[1]) if after else None, limit=size
    )
    page = to_page(rows, limit=size, key=lambda row: (row.created_at, row.professional_id))
    ids = [row.professional_id for row in page.items]
    accounts = await accounts_service.account_summaries(session, user_ids=ids)
    profiles = await repo.many(ids)
    return Page(
        items=[
            SavedRead(
                professional_id=row.professional_id,
                full_name=accounts[row.professional_id].full_name
                if row.professional_id in accounts
                else None,
                professional_type=profiles[row.professional_id].professional_type
                if row.professional_id in profiles
                else None,
                city=profiles[row.professional_id].city
                if row.professional_id in profiles
                else None,
                note=row.note,
                collection=row.collection,
                saved_at=row.created_at,
            )
            for row in page.items
        ],
        next_cursor=page.next_cursor,
    )
