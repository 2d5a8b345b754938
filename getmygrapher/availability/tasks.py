"""Background work of calendars and bookings: the clock's moves (BKG-3), reminders (BKG-8), and
recurring patterns kept filled to the booking horizon (AV-4)."""

from __future__ import annotations

from getmygrapher.availability.service import bookings, patterns
from getmygrapher.core.tasks import periodic, task_unit_of_work

BATCH = 200
MAX_BATCHES = 25


@periodic("availability.advance_bookings", cron="*/5 * * * *")
async def advance_bookings() -> None:
    """Readers never wait for this: they compare the stored times with the clock themselves."""
    for _ in range(MAX_BATCHES):
        async with task_unit_of_work() as session:
            moved = await bookings.advance_due(session, limit=BATCH)
        if moved < BATCH:
            break


@periodic("availability.remind_bookings", cron="*/5 * * * *")
async def remind_bookings() -> None:
    for _ in range(MAX_BATCHES):
        async with task_unit_of_work() as session:
            sent = await bookings.remind_due(session, limit=BATCH)
        if sent < BATCH:
            break


@periodic("availability.extend_patterns", cron="*/5 * * * *")
async def extend_patterns() -> None:
    """AV-4: each active pattern's slots reach its owner's booking horizon, which moves one day
    each IST midnight; between midnights a run finds nothing due. Each pattern is its own unit
    of work, under its calendar's lock, so nodes running this at once share the work safely."""
    for _ in range(MAX_BATCHES):
        async with task_unit_of_work() as session:
            due = await patterns.due_patterns(session, limit=BATCH)
        for pattern_id in due:
            async with task_unit_of_work() as session:
                await patterns.extend_pattern(session, pattern_id=pattern_id)
        if len(due) < BATCH:
            break
