"""Every query on the profile tables."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.profiles.models import (
    EquipmentItem,
    Onboarding,
    PortfolioItem,
    PreferredLocation,
    Profile,
    ProfileView,
    SavedProfessional,
    VerificationRequest,
    VerificationStatus,
)


class ProfileRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Profiles ---------------------------------------------------------------------------------

    async def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> Profile | None:
        stmt = select(Profile).where(Profile.user_id == user_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def many(self, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Profile]:
        if not user_ids:
            return {}
        rows = await self.session.scalars(select(Profile).where(Profile.user_id.in_(user_ids)))
        return {row.user_id: row for row in rows}

    async def onboarding(
        self, user_id: uuid.UUID, *, for_update: bool = False
    ) -> Onboarding | None:
        stmt = select(Onboarding).where(Onboarding.user_id == user_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def preferred_locations(self, user_id: uuid.UUID) -> Sequence[PreferredLocation]:
        stmt = (
            select(PreferredLocation)
            .where(PreferredLocation.user_id == user_id)
            .order_by(PreferredLocation.position)
        )
        return (await self.session.scalars(stmt)).all()

    async def replace_preferred_locations(
        self, user_id: uuid.UUID, rows: Sequence[dict[str, Any]]
    ) -> None:
        await self.session.execute(
            delete(PreferredLocation).where(PreferredLocation.user_id == user_id)
        )
        if rows:
            await self.session.execute(
                pg_insert(PreferredLocation).values(
                    [
                        {"user_id": user_id, "position": index, **row}
                        for index, row in enumerate(rows)
                    ]
                )
            )

    # Equipment --------------------------------------------------------------------------------

    async def equipment(self, user_id: uuid.UUID) -> Sequence[EquipmentItem]:
        stmt = (
            select(EquipmentItem)
            .where(EquipmentItem.user_id == user_id)
            .order_by(EquipmentItem.category, EquipmentItem.created_at, EquipmentItem.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def equipment_item(
        self, item_id: uuid.UUID, *, for_update: bool = False
    ) -> EquipmentItem | None:
        stmt = select(EquipmentItem).where(EquipmentItem.id == item_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def count_equipment(self, user_id: uuid.UUID) -> int:
        stmt = (
            select(func.count()).select_from(EquipmentItem).where(EquipmentItem.user_id == user_id)
        )
        return int(await self.session.scalar(stmt) or 0)

    async def insert_equipment(
        self, user_id: uuid.UUID, values: dict[str, Any]
    ) -> EquipmentItem | None:
        """None when the same item (category and normalised name) is already listed."""
        stmt = (
            pg_insert(EquipmentItem)
            .values(user_id=user_id, **values)
            .on_conflict_do_nothing()
            .returning(EquipmentItem)
        )
        return await self.session.scalar(stmt)

    async def delete_equipment(self, user_id: uuid.UUID, item_id: uuid.UUID) -> bool:
        result = await self.session.execute(
            delete(EquipmentItem).where(
                EquipmentItem.id == item_id, EquipmentItem.user_id == user_id
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def clear_equipment(self, user_id: uuid.UUID) -> None:
        await self.session.execute(delete(EquipmentItem).where(EquipmentItem.user_id == user_id))

    # Portfolio --------------------------------------------------------------------------------

    async def portfolio(
        self,
        user_id: uuid.UUID,
        *,
        visible_only: bool,
        limit: int | None = None,
        after: tuple[int, int, uuid.UUID] | None = None,
    ) -> Sequence[PortfolioItem]:
        """Featured first, then display order (PF-2); positions are unique per owner, so the
        newest-first tie-break of the spec never has to decide. Keyset: (not featured, position,
        id)."""
        rank = case((PortfolioItem.is_featured, 0), else_=1)
        stmt = select(PortfolioItem).where(PortfolioItem.user_id == user_id)
        if visible_only:
            stmt = stmt.where(PortfolioItem.is_visible.is_(True))
        if after is not None:
            stmt = stmt.where(
                func.row(rank, PortfolioItem.position, PortfolioItem.id)
                > func.row(after[0], after[1], after[2])
            )
        stmt = stmt.order_by(rank, PortfolioItem.position, PortfolioItem.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        return (await self.session.scalars(stmt)).all()

    async def portfolio_item(
        self, item_id: uuid.UUID, *, for_update: bool = False
    ) -> PortfolioItem | None:
        stmt = select(PortfolioItem).where(PortfolioItem.id == item_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def owned_item_ids(
        self, user_id: uuid.UUID, item_ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        rows = await self.session.scalars(
            select(PortfolioItem.id).where(
                PortfolioItem.user_id == user_id, PortfolioItem.id.in_(item_ids)
            )
        )
        return set(rows.all())

    async def count_portfolio(self, user_id: uuid.UUID, *, featured: bool = False) -> int:
        stmt = (
            select(func.count()).select_from(PortfolioItem).where(PortfolioItem.user_id == user_id)
        )
        if featured:
            stmt = stmt.where(PortfolioItem.is_featured.is_(True))
        return int(await self.session.scalar(stmt) or 0)

    async def count_visible_portfolio(self, user_id: uuid.UUID) -> int:
        stmt = (
            select(func.count())
            .select_from(PortfolioItem)
            .where(PortfolioItem.user_id == user_id, PortfolioItem.is_visible.is_(True))
        )
        return int(await self.session.scalar(stmt) or 0)

    async def lock_portfolio(self, user_id: uuid.UUID) -> None:
        """Serialise portfolio changes of one owner, so counting and inserting cannot
        interleave with a parallel upload (the held-items limit)."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"portfolio:{user_id}"},
        )

    async def next_position(self, user_id: uuid.UUID) -> int:
        stmt = select(func.coalesce(func.max(PortfolioItem.position), -1) + 1).where(
            PortfolioItem.user_id == user_id
        )
        return int(await self.session.scalar(stmt) or 0)

    async def add(self, row: PortfolioItem | VerificationRequest) -> None:
        self.session.add(row)
        await self.session.flush()

    async def set_positions(self, user_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
        await self.session.execute(
            text(
                "UPDATE portfolio_items p SET position = o.position, updated_at = now() "
                "FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS o(id, position) "
                "WHERE p.id = o.id AND p.user_id = :user_id"
            ),
            {"ids": list(ids), "user_id": user_id},
        )

    async def delete_portfolio_item(self, item: PortfolioItem) -> None:
        await self.session.delete(item)
        await self.session.flush()

    # Verification ---------------------------------------------------------------------------

    async def pending_verification(self, user_id: uuid.UUID) -> VerificationRequest | None:
        return await self.session.scalar(
            select(VerificationRequest).where(
                VerificationRequest.user_id == user_id,
                VerificationRequest.status == VerificationStatus.PENDING,
            )
        )

    async def latest_verification(self, user_id: uuid.UUID) -> VerificationRequest | None:
        return await self.session.scalar(
            select(VerificationRequest)
            .where(VerificationRequest.user_id == user_id)
            .order_by(VerificationRequest.created_at.desc())
            .limit(1)
        )

    async def verification(
        self, request_id: uuid.UUID, *, for_update: bool = False
    ) -> VerificationRequest | None:
        stmt = select(VerificationRequest).where(VerificationRequest.id == request_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def verification_queue(
        self, status: VerificationStatus, *, after: tuple[dt.datetime, uuid.UUID] | None, limit: int
    ) -> Sequence[VerificationRequest]:
        stmt = select(VerificationRequest).where(VerificationRequest.status == status)
        if after is not None:
            stmt = stmt.where(
                func.row(VerificationRequest.created_at, VerificationRequest.id)
                > func.row(after[0], after[1])
            )
        stmt = stmt.order_by(VerificationRequest.created_at, VerificationRequest.id)
        return (await self.session.scalars(stmt.limit(limit + 1))).all()

    async def documents_to_delete(
        self, decided_before: dt.datetime, limit: int = 100
    ) -> Sequence[VerificationRequest]:
        stmt = (
            select(VerificationRequest)
            .where(
                VerificationRequest.decided_at < decided_before,
                VerificationRequest.document_key.is_not(None),
            )
            .with_for_update(skip_locked=True)
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    # Saves --------------------------------------------------------------------------------------

    async def saved(
        self, saver_id: uuid.UUID, professional_id: uuid.UUID
    ) -> SavedProfessional | None:
        return await self.session.get(SavedProfessional, (saver_id, professional_id))

    async def insert_save(
        self,
        saver_id: uuid.UUID,
        professional_id: uuid.UUID,
        note: str | None,
        collection: str | None,
    ) -> bool:
        stmt = (
            pg_insert(SavedProfessional)
            .values(
                saver_id=saver_id, professional_id=professional_id, note=note, collection=collection
            )
            .on_conflict_do_nothing()
            .returning(SavedProfessional.saver_id)
        )
        return await self.session.scalar(stmt) is not None

    async def delete_save(self, saver_id: uuid.UUID, professional_id: uuid.UUID) -> bool:
        result = await self.session.execute(
            delete(SavedProfessional).where(
                SavedProfessional.saver_id == saver_id,
                SavedProfessional.professional_id == professional_id,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def count_saves_by(self, saver_id: uuid.UUID) -> int:
        stmt = (
            select(func.count())
            .select_from(SavedProfessional)
            .where(SavedProfessional.saver_id == saver_id)
        )
        return int(await self.session.scalar(stmt) or 0)

    async def bump_saves(self, professional_id: uuid.UUID, delta: int) -> None:
        await self.session.execute(
            update(Profile)
            .where(Profile.user_id == professional_id)
            .values(saves_count=Profile.saves_count + delta)
        )

    async def list_saves(
        self,
        saver_id: uuid.UUID,
        *,
        collection: str | None,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[SavedProfessional]:
        stmt = select(SavedProfessional).where(SavedProfessional.saver_id == saver_id)
        if collection is not None:
            stmt = stmt.where(SavedProfessional.collection == collection)
        if after is not None:
            stmt = stmt.where(
                func.row(SavedProfessional.created_at, SavedProfessional.professional_id)
                < func.row(after[0], after[1])
            )
        stmt = stmt.order_by(
            SavedProfessional.created_at.desc(), SavedProfessional.professional_id.desc()
        )
        return (await self.session.scalars(stmt.limit(limit + 1))).all()

    # Views ------------------------------------------------------------------------------------

    async def record_view(
        self,
        *,
        profile_id: uuid.UUID,
        viewer_key: str,
        viewed_on: dt.date,
        source: str | None,
        device: str | None,
    ) -> bool:
        stmt = (
            pg_insert(ProfileView)
            .values(
                profile_id=profile_id,
                viewer_key=viewer_key,
                viewed_on=viewed_on,
                source=source,
                device=device,
            )
            .on_conflict_do_nothing()
            .returning(ProfileView.profile_id)
        )
        return await self.session.scalar(stmt) is not None

    # Deletion ---------------------------------------------------------------------------------

    async def erase(self, user_id: uuid.UUID) -> list[str]:
        """Remove everything personal of the user here; returns storage keys to delete."""
        keys: list[str] = []
        for item in await self.portfolio(user_id, visible_only=False):
            keys += list(item.media_keys.values())
        for request in (
            await self.session.scalars(
                select(VerificationRequest).where(VerificationRequest.user_id == user_id)
            )
        ).all():
            if request.document_key:
                keys.append(request.document_key)
        for model in (PortfolioItem, EquipmentItem, PreferredLocation, VerificationRequest):
            await self.session.execute(delete(model).where(model.user_id == user_id))
        await self.session.execute(
            delete(SavedProfessional).where(SavedProfessional.saver_id == user_id)
        )
        await self.session.execute(
            delete(SavedProfessional).where(SavedProfessional.professional_id == user_id)
        )
        await self.session.execute(delete(ProfileView).where(ProfileView.profile_id == user_id))
        await self.session.execute(
            delete(ProfileView).where(ProfileView.viewer_key == f"u:{user_id}")
        )
        await self.session.execute(delete(Onboarding).where(Onboarding.user_id == user_id))
        await self.session.execute(delete(Profile).where(Profile.user_id == user_id))
        return keys
