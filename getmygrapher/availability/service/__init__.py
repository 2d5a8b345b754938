"""Availability: calendar settings, slots, patterns, bookings; one module per use-case."""

from getmygrapher.availability.service.bookings import (
    HireSlot,
    book_from_hire,
    cancel_for_erasure,
    completed_between,
    on_booking_message,
)
from getmygrapher.availability.service.personal import TABLES, erase_user, export_user
from getmygrapher.availability.service.settings import create_defaults, save_setup
from getmygrapher.availability.service.viewing import (
    register_contact_check,
    register_professional_check,
)

__all__ = [
    "TABLES",
    "HireSlot",
    "book_from_hire",
    "cancel_for_erasure",
    "completed_between",
    "create_defaults",
    "erase_user",
    "export_user",
    "on_booking_message",
    "register_contact_check",
    "register_professional_check",
    "save_setup",
]
