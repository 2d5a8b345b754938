"""Every query on the job tables, except discovery (see discovery.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.jobs import discovery
from getmygrapher.jobs.models import (
    OPEN_APPLICATION,
    Application,
    ApplicationStatus,
    Job,
    JobStatus,
    JobView,
    SavedJob,
)

# Hired work completes a day after its last slot, as bookings do (BKG-3).
COMPLETION_DELAY = dt.timedelta(hours=24)


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Jobs ----------------------------------------------------------------------------------

    async def add(self, row: Job | Application) -> None:
        self.session.add(row)
        await self.session.flush()

    async def get(self, job_id: uuid.UUID, *, for_update: bool = False) -> Job | None:
        stmt = select(Job).where(Job.id == job_id, Job.deleted_at.is_(None))
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def many(self, job_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Job]:
        if not job_ids:
            return {}
        rows = await self.session.scalars(select(Job).where(Job.id.in_(job_ids)))
        return {row.id: row for row in rows}

    async def count_drafts(self, client_id: uuid.UUID) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(Job)
                .where(
                    Job.client_id == client_id,
                    Job.status == JobStatus.DRAFT,
                    Job.deleted_at.is_(None),
                )
            )
            or 0
        )

    async def lock_client(self, client_id: uuid.UUID) -> None:
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"jobs:{client_id}"},
        )

    async def discover(self, query: discovery.Query) -> Sequence[Any]:
        return await discovery.run(self.session, query)

    async def my_jobs(
        self,
        client_id: uuid.UUID,
        status: JobStatus,
        *,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Job]:
        stmt = select(Job).where(
            Job.client_id == client_id, Job.status == status, Job.deleted_at.is_(None)
        )
        if after is not None:
            stmt = stmt.where(func.row(Job.created_at, Job.id) < func.row(after[0], after[1]))
        stmt = stmt.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit + 1)
        return (await self.session.scalars(stmt)).all()

    async def tab_totals(self, client_id: uuid.UUID) -> dict[str, int]:
        rows = await self.session.execute(
            select(Job.status, func.count())
            .where(Job.client_id == client_id, Job.deleted_at.is_(None))
            .group_by(Job.status)
        )
        return {status.value: int(count) for status, count in rows}

    async def due_to_finish(self, now: dt.datetime, limit: int = 500) -> Sequence[uuid.UUID]:
        """Jobs whose applications have closed without a hire, or that are still active after
        their deadline with one, or whose hired work ended a day ago (JOB-5)."""
        live = Job.status.in_((JobStatus.ACTIVE, JobStatus.CLOSED))
        closing = select(Job.id).where(
            live,
            Job.applications_close_at <= now,
            (Job.hired_count == 0) | (Job.status == JobStatus.ACTIVE),
        )
        ended = select(Job.id).where(
            live, Job.hired_count > 0, Job.ends_at <= now - COMPLETION_DELAY
        )
        stmt = closing.union(ended).limit(limit)
        return (await self.session.scalars(stmt)).all()

    async def stale_drafts(self, before: dt.datetime, limit: int = 500) -> Sequence[Job]:
        stmt = (
            select(Job)
            .where(Job.status == JobStatus.DRAFT, Job.updated_at < before, Job.deleted_at.is_(None))
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def record_view(self, job_id: uuid.UUID, viewer_key: str, day: dt.date) -> bool:
        inserted = await self.session.scalar(
            pg_insert(JobView)
            .values(job_id=job_id, viewer_key=viewer_key, viewed_on=day)
            .on_conflict_do_nothing()
            .returning(JobView.job_id)
        )
        return inserted is not None

    async def view_counts(self, job_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not job_ids:
            return {}
        rows = await self.session.execute(
            select(JobView.job_id, func.count())
            .where(JobView.job_id.in_(job_ids))
            .group_by(JobView.job_id)
        )
        return {job_id: int(count) for job_id, count in rows}

    async def correct_words(self, words: Sequence[str]) -> tuple[set[str], dict[str, str]]:
        """The words some published job uses, and for each other word the nearest one some
        job does (pg_trgm), when there is one."""
        if not words:
            return set(), {}
        rows = await self.session.execute(
            text(
                "SELECT w.word, k.known, CASE WHEN NOT k.known THEN (SELECT t.term "
                "FROM search_terms t WHERE t.term % w.word "
                "ORDER BY t.term <-> w.word, t.term LIMIT 1) END AS best "
                "FROM unnest(CAST(:words AS text[])) AS w(word) CROSS JOIN LATERAL "
                "(SELECT EXISTS (SELECT 1 FROM search_terms t WHERE t.term = w.word) AS known) k"
            ),
            {"words": list(words)},
        )
        known: set[str] = set()
        fixes: dict[str, str] = {}
        for row in rows:
            if row.known:
                known.add(row.word)
            elif row.best is not None:
                fixes[row.word] = row.best
        return known, fixes

    # Applications ------------------------------------------------------------------------

    async def insert_application(self, **values: Any) -> Application | None:
        """None when this person already applied to this job (the unique constraint)."""
        stmt = (
            pg_insert(Application)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["job_id", "applicant_id"])
            .returning(Application)
        )
        return await self.session.scalar(stmt)

    async def application(
        self, application_id: uuid.UUID, *, for_update: bool = False
    ) -> Application | None:
        stmt = select(Application).where(Application.id == application_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def has_live_applications(self, job_id: uuid.UUID) -> bool:
        stmt = (
            select(func.count())
            .select_from(Application)
            .where(Application.job_id == job_id, Application.status != ApplicationStatus.WITHDRAWN)
        )
        return bool(await self.session.scalar(stmt))

    async def has_any_application(self, job_id: uuid.UUID) -> bool:
        stmt = select(func.count()).select_from(Application).where(Application.job_id == job_id)
        return bool(await self.session.scalar(stmt))

    async def applicant_ids(self, job_id: uuid.UUID) -> Sequence[uuid.UUID]:
        stmt = select(Application.applicant_id).where(
            Application.job_id == job_id, Application.status.in_(OPEN_APPLICATION)
        )
        return (await self.session.scalars(stmt)).all()

    async def hired_ids(self, job_id: uuid.UUID) -> list[uuid.UUID]:
        rows = await self.session.scalars(
            select(Application.applicant_id).where(
                Application.job_id == job_id, Application.status == ApplicationStatus.HIRED
            )
        )
        return list(rows.all())

    async def counts(self, job_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
        if not job_ids:
            return {}
        rows = await self.session.execute(
            select(Application.job_id, Application.status, func.count())
            .where(Application.job_id.in_(job_ids))
            .group_by(Application.job_id, Application.status)
        )
        counts: dict[uuid.UUID, dict[str, int]] = {job_id: {} for job_id in job_ids}
        for job_id, status, count in rows:
            counts[job_id][status.value] = int(count)
        return counts

    async def job_applications(
        self,
        job_id: uuid.UUID,
        *,
        status: ApplicationStatus | None,
        sort: str,
        after: tuple[Any, ...] | None,
        limit: int,
    ) -> Sequence[Application]:
        stmt = select(Application).where(Application.job_id == job_id)
        if status is not None:
            stmt = stmt.where(Application.status == status)
        if sort == "rate":
            rate = func.coalesce(Application.proposed_rate, 0)
            if after is not None:
                stmt = stmt.where(func.row(rate, Application.id) > func.row(after[0], after[1]))
            stmt = stmt.order_by(rate, Application.id)
        else:
            if after is not None:
                stmt = stmt.where(
                    func.row(Application.created_at, Application.id) < func.row(after[0], after[1])
                )
            stmt = stmt.order_by(Application.created_at.desc(), Application.id.desc())
        return (await self.session.scalars(stmt.limit(limit + 1))).all()

    async def open_applications(
        self, job_id: uuid.UUID, *, exclude: uuid.UUID | None = None
    ) -> Sequence[Application]:
        """Locked in id order (STYLE §12: jobs → applications)."""
        stmt = select(Application).where(
            Application.job_id == job_id, Application.status.in_(OPEN_APPLICATION)
        )
        if exclude is not None:
            stmt = stmt.where(Application.id != exclude)
        return (await self.session.scalars(stmt.order_by(Application.id).with_for_update())).all()

    async def open_applications_by(self, applicant_id: uuid.UUID) -> Sequence[Application]:
        stmt = (
            select(Application)
            .where(
                Application.applicant_id == applicant_id, Application.status.in_(OPEN_APPLICATION)
            )
            .order_by(Application.id)
            .with_for_update()
        )
        return (await self.session.scalars(stmt)).all()

    async def active_jobs_of(self, client_id: uuid.UUID) -> Sequence[Job]:
        stmt = (
            select(Job)
            .where(
                Job.client_id == client_id, Job.status == JobStatus.ACTIVE, Job.deleted_at.is_(None)
            )
            .order_by(Job.id)
            .with_for_update()
        )
        return (await self.session.scalars(stmt)).all()

    async def my_applications(
        self,
        applicant_id: uuid.UUID,
        *,
        status: ApplicationStatus | None,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Application]:
        stmt = select(Application).where(Application.applicant_id == applicant_id)
        if status is not None:
            stmt = stmt.where(Application.status == status)
        if after is not None:
            stmt = stmt.where(
                func.row(Application.created_at, Application.id) < func.row(after[0], after[1])
            )
        stmt = stmt.order_by(Application.created_at.desc(), Application.id.desc())
        return (await self.session.scalars(stmt.limit(limit + 1))).all()

    async def applied_to(
        self, applicant_id: uuid.UUID, job_ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        if not job_ids:
            return set()
        rows = await self.session.scalars(
            select(Application.job_id).where(
                Application.applicant_id == applicant_id, Application.job_id.in_(job_ids)
            )
        )
        return set(rows.all())

    # Saved jobs --------------------------------------------------------------------------

    async def save(self, user_id: uuid.UUID, job_id: uuid.UUID) -> None:
        await self.session.execute(
            pg_insert(SavedJob).values(user_id=user_id, job_id=job_id).on_conflict_do_nothing()
        )

    async def unsave(self, user_id: uuid.UUID, job_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(SavedJob).where(SavedJob.user_id == user_id, SavedJob.job_id == job_id)
        )

    async def count_saved(self, user_id: uuid.UUID) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).select_from(SavedJob).where(SavedJob.user_id == user_id)
            )
            or 0
        )

    async def saved_ids(self, user_id: uuid.UUID, job_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        if not job_ids:
            return set()
        rows = await self.session.scalars(
            select(SavedJob.job_id).where(SavedJob.user_id == user_id, SavedJob.job_id.in_(job_ids))
        )
        return set(rows.all())

    async def saved(
        self, user_id: uuid.UUID, *, after: tuple[dt.datetime, uuid.UUID] | None, limit: int
    ) -> Sequence[tuple[SavedJob, Job]]:
        """Newest first; deleted or removed jobs drop out (JOB-10)."""
        stmt = (
            select(SavedJob, Job)
            .join(Job, Job.id == SavedJob.job_id)
            .where(
                SavedJob.user_id == user_id,
                Job.deleted_at.is_(None),
                Job.moderation_status == "approved",
            )
        )
        if after is not None:
            stmt = stmt.where(
                func.row(SavedJob.created_at, SavedJob.job_id) < func.row(after[0], after[1])
            )
        stmt = stmt.order_by(SavedJob.created_at.desc(), SavedJob.job_id.desc())
        rows = await self.session.execute(stmt.limit(limit + 1))
        return [(row[0], row[1]) for row in rows]
