"""Background work of notifications: nothing older than 90 days is kept (NOT-2)."""

from __future__ import annotations

from getmygrapher.core.tasks import periodic, task_unit_of_work
from getmygrapher.notifications import service as notifications_service


@periodic("notifications.purge_old", cron="23 3 * * *")
async def purge_old() -> None:
    async with task_unit_of_work() as session:
        await notifications_service.purge_old(session)
