"""Background work of contact sharing: pending requests expire after seven days."""

from __future__ import annotations

from getmygrapher.contacts import service as contacts_service
from getmygrapher.core.tasks import periodic, task_unit_of_work


@periodic("contacts.expire_requests", cron="*/5 * * * *")
async def expire_requests() -> None:
    async with task_unit_of_work() as session:
        await contacts_service.expire_due(session)
