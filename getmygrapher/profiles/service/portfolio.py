"""Portfolio images: cleaned on the server, capped by plan, ordered by their owner (PF-1…PF-4)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.billing import service as billing_service
from getmygrapher.core import outbox
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.images import ProcessedImage, process_image
from getmygrapher.core.pagination import Page, decode_cursor, encode_cursor
from getmygrapher.core.runtime import Runtime
from getmygrapher.profiles.errors import LimitReached, PortfolioItemNotFound
from getmygrapher.profiles.models import PortfolioItem
from getmygrapher.profiles.repository import ProfileRepository
from getmygrapher.profiles.schemas import PortfolioItemRead, PortfolioUpdate
from getmygrapher.profiles.service.common import own_profile, recompute_completion

SAFETY_CAP = 1000  # PF-1: "unlimited" on Pro still stops somewhere
PORTFOLIO_MAX_PIXELS = 40_000_000  # portfolio images: at most 40 megapixels
MAX_FEATURED = 6
EXTENSIONS = {"image/webp": "webp", "image/jpeg": "jpg", "image/png": "png"}


async def held_portfolio_images(session: AsyncSession, user_id: uuid.UUID) -> int:
    """For the entitlements view: hidden items count towards the cap too (PF-1)."""
    return await ProfileRepository(session).count_portfolio(user_id)


async def owns_portfolio_items(
    session: AsyncSession, *, user_id: uuid.UUID, item_ids: Sequence[uuid.UUID]
) -> bool:
    """Whether every id names one of this user's own portfolio items (JOB-13 attachments)."""
    wanted = set(item_ids)
    return wanted <= await ProfileRepository(session).owned_item_ids(user_id, list(wanted))


def _camera(item: PortfolioItem) -> dict[str, Any]:
    return {key: value for key, value in item.exif.items() if value is not None}


async def portfolio_reads(
    runtime: Runtime, items: Sequence[PortfolioItem]
) -> list[PortfolioItemRead]:
    storage = runtime.storage
    return [
        PortfolioItemRead(
            id=item.id,
            title=item.title,
            description=item.description,
            category=item.category,
            tags=list(item.tags),
            is_visible=item.is_visible,
            is_featured=item.is_featured,
            position=item.position,
            width=item.width,
            height=item.height,
            urls={
                name: storage.url(key, public=False)
                for name, key in item.media_keys.items()
                if name != "original"
            },
            camera=_camera(item),
            created_at=item.created_at,
        )
        for item in items
    ]


async def add_item(
    session: AsyncSession,
    runtime: Runtime,
    *,
    user_id: uuid.UUID,
    data: bytes,
    filename: str | None,
    title: str | None,
    description: str | None,
    category: str | None,
    tags: list[str],
    hidden: bool,
) -> PortfolioItemRead:
    """Decode and re-encode the image (no GPS or private metadata survives), store its
    renditions, and add it last — within the plan's cap, checked under the owner's lock in the
    same transaction as the insert, so parallel uploads cannot pass it."""
    profile = await own_profile(session, user_id)
    if category is not None and category not in profile.specializations:
        raise ValidationFailed.field(
            "category", "not_allowed", "Use one of your specializations as the category."
        )
    processed: ProcessedImage = await anyio.to_thread.run_sync(
        lambda: process_image(data, field="file", max_pixels=PORTFOLIO_MAX_PIXELS)
    )
    repo = ProfileRepository(session)
    await repo.lock_portfolio(user_id)
    held = await repo.count_portfolio(user_id)
    await billing_service.check_held(
        session, user_id=user_id, feature="portfolio_images", held=held
    )
    if held >= SAFETY_CAP:
        raise LimitReached(f"A portfolio holds at most {SAFETY_CAP} images.", limit=SAFETY_CAP)
    item_id = uuid.uuid4()
    keys: dict[str, str] = {}
    for name, rendition in processed.renditions.items():
        key = f"portfolio/{user_id}/{item_id}/{name}.{EXTENSIONS[rendition.content_type]}"
        await runtime.storage.put(
            key, rendition.data, content_type=rendition.content_type, public=False
        )
        keys[name] = key
    title = title or _title_from(filename)
    item = PortfolioItem(
        id=item_id,
        user_id=user_id,
        title=title,
        description=description,
        category=category,
        tags=tags,
        is_visible=not hidden,
        position=await repo.next_position(user_id),
        media_keys=keys,
        width=processed.width,
        height=processed.height,
        size_bytes=len(data),
        exif=_exif(processed),
        phash=processed.phash,
    )
    try:
        await repo.add(item)
    except BaseException:
        await runtime.storage.delete(keys.values())
        raise
    await recompute_completion(session, profile)
    [read] = await portfolio_reads(runtime, [item])
    return read


def _exif(processed: ProcessedImage) -> dict[str, Any]:
    exif = asdict(processed.exif)
    if exif.get("taken_at") is not None:
        exif["taken_at"] = exif["taken_at"].isoformat()
    return exif


def _title_from(filename: str | None) -> str:
    stem = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0].strip()
    cleaned = "".join(ch for ch in stem if ch.isprintable())[:100]
    return cleaned or "Untitled"


async def list_items(
    session: AsyncSession,
    runtime: Runtime,
    *,
    owner_id: uuid.UUID,
    include_hidden: bool,
    limit: int,
    cursor: str | None,
) -> Page[PortfolioItemRead]:
    after = decode_cursor(cursor, arity=3, types=(int, int, uuid.UUID))
    key = (int(after[0]), int(after[1]), uuid.UUID(str(after[2]))) if after else None
    repo = ProfileRepository(session)
    rows = list(
        await repo.portfolio(owner_id, visible_only=not include_hidden, limit=limit + 1, after=key)
    )
    if not include_hidden and (cap := await limit_for_others(session, owner_id)) is not None:
        first = {row.id for row in await repo.portfolio(owner_id, visible_only=True, limit=cap)}
        rows = [row for row in rows if row.id in first]
    items = list(rows[:limit])
    next_cursor = None
    if len(rows) > limit and items:
        last = items[-1]
        next_cursor = encode_cursor((0 if last.is_featured else 1, last.position, last.id))
    return Page(items=await portfolio_reads(runtime, items), next_cursor=next_cursor)


async def limit_for_others(session: AsyncSession, owner_id: uuid.UUID) -> int | None:
    """PAY-16: how many of a portfolio's first visible items others may see (None: all).
    Past the owner's plan limit (after Pro ends) only that many show, in the owner's order;
    the owner keeps all and chooses which stay by reordering or hiding; Pro again shows all."""
    cap = await billing_service.feature_value(session, user_id=owner_id, feature="portfolio_images")
    return None if cap < 0 else cap


async def _own_item(session: AsyncSession, user_id: uuid.UUID, item_id: uuid.UUID) -> PortfolioItem:
    item = await ProfileRepository(session).portfolio_item(item_id, for_update=True)
    if item is None or item.user_id != user_id:
        raise PortfolioItemNotFound("No portfolio item of yours has this id.")
    return item


async def update_item(
    session: AsyncSession,
    runtime: Runtime,
    *,
    user_id: uuid.UUID,
    item_id: uuid.UUID,
    data: PortfolioUpdate,
) -> PortfolioItemRead:
    repo = ProfileRepository(session)
    await repo.lock_portfolio(user_id)
    item = await _own_item(session, user_id, item_id)
    sent = data.model_fields_set
    if "category" in sent and data.category is not None:
        profile = await own_profile(session, user_id)
        if data.category not in profile.specializations:
            raise ValidationFailed.field(
                "category", "not_allowed", "Use one of your specializations as the category."
            )
    if (
        data.is_featured
        and not item.is_featured
        and await repo.count_portfolio(user_id, featured=True) >= MAX_FEATURED
    ):
        raise LimitReached("At most 6 featured items.", limit=MAX_FEATURED)
    for name in ("title", "description", "category", "tags", "is_visible", "is_featured"):
        if name in sent:
            value = getattr(data, name)
            if value is None and name in {"title", "is_visible", "is_featured", "tags"}:
                raise ValidationFailed.field(name, "required_field", "This cannot be empty.")
            setattr(item, name, value)
    await session.flush()
    await recompute_completion(session, await own_profile(session, user_id))
    [read] = await portfolio_reads(runtime, [item])
    return read


async def reorder(
    session: AsyncSession, runtime: Runtime, *, user_id: uuid.UUID, ids: list[uuid.UUID]
) -> Page[PortfolioItemRead]:
    """PF-3: the full list of the owner's items, exactly; positions written in one statement."""
    repo = ProfileRepository(session)
    await repo.lock_portfolio(user_id)
    current = await repo.portfolio(user_id, visible_only=False)
    if sorted(ids) != sorted(item.id for item in current) or len(set(ids)) != len(ids):
        raise ValidationFailed.field(
            "ids", "invalid_format", "Send every one of your portfolio items, each once."
        )
    if ids:
        await repo.set_positions(user_id, ids)
    return await list_items(
        session, runtime, owner_id=user_id, include_hidden=True, limit=100, cursor=None
    )


async def delete_item(session: AsyncSession, *, user_id: uuid.UUID, item_id: uuid.UUID) -> None:
    """The record goes now; its files are removed by a job once this commits (STO-5)."""
    repo = ProfileRepository(session)
    await repo.lock_portfolio(user_id)
    item = await _own_item(session, user_id, item_id)
    keys = list(item.media_keys.values())
    await repo.delete_portfolio_item(item)
    await outbox.add(session, "profiles.delete_files", keys=keys)
    await recompute_completion(session, await own_profile(session, user_id))
