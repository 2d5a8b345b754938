"""What can go wrong with calendars and bookings; each has a stable code."""

from __future__ import annotations

from getmygrapher.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
)


class SlotNotFound(NotFound):
    code = "slot_not_found"


class BookingNotFound(NotFound):
    code = "booking_not_found"


class PatternNotFound(NotFound):
    code = "pattern_not_found"


class SlotOverlap(Conflict):
    """Two slots of one calendar would overlap (AV-2)."""

    code = "slot_overlap"


class SlotBooked(Conflict):
    """Booked time is changed only by its booking (AV-2, BKG-4)."""

    code = "slot_booked"


class SlotUnavailable(Conflict):
    """The time clashes with an active booking, blocked time, a buffer or the travel time."""

    code = "slot_unavailable"


class BookingTransition(Conflict):
    code = "invalid_transition"


class DuplicateRequest(Conflict):
    code = "duplicate_booking_request"


class TooManyReschedules(Conflict):
    code = "reschedule_limit"


class TooManyPatterns(Conflict):
    code = "too_many_patterns"


class BookingsClosed(Forbidden):
    """The professional does not take booking requests (AV-8)."""

    code = "booking_requests_closed"


class PastDate(Conflict):
    """Past days are read-only (AV-6)."""

    code = "date_in_past"


class CalendarNotFound(NotFound):
    """Unknown, suspended, or blocked either way (GEN-15)."""

    code = "calendar_not_found"


class FeedNotFound(NotFound):
    """An unknown or revoked feed token: nothing tells the two apart (AV-11)."""

    code = "calendar_feed_not_found"


class InvalidCalendarFile(ValidationFailed):
    """Not an ICS or CSV calendar we can read, or more than 1,000 events (AV-11); the failed
    import is still logged."""

    code = "invalid_calendar_file"
    keeps_changes = True


class CalendarFileTooLarge(PayloadTooLarge):
    keeps_changes = True  # the failed import is logged
