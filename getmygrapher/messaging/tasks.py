"""Background work of messaging: files of deleted things, old realtime logs, unsent uploads."""

from __future__ import annotations

from getmygrapher.core.tasks import periodic, runtime, task, task_unit_of_work
from getmygrapher.messaging import service as messaging_service


@task("messaging.delete_files")
async def delete_files(keys: list[str]) -> None:
    """After the rows are gone (this runs only if that committed)."""
    await runtime().storage.delete(keys)


@periodic("messaging.purge", cron="37 * * * *")
async def purge() -> None:
    async with task_unit_of_work() as session:
        await messaging_service.purge_events(
            session, keep_days=runtime().settings.realtime_retention_days
        )
        await messaging_service.purge_unsent_attachments(session)
