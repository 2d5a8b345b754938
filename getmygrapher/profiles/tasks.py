"""Background work of profiles: files of deleted records, and old verification documents."""

from __future__ import annotations

from getmygrapher.core.tasks import periodic, runtime, task, task_unit_of_work
from getmygrapher.profiles import service as profiles_service


@task("profiles.delete_files")
async def delete_files(keys: list[str]) -> None:
    """STO-5: after the record is gone (this runs only if that committed)."""
    await runtime().storage.delete(keys)


@periodic("profiles.purge_documents", cron="41 * * * *")
async def purge_documents() -> None:
    async with task_unit_of_work() as session:
        await profiles_service.purge_documents(session)
