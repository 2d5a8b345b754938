"""HTTP endpoints of the availability area, one module per part."""

from getmygrapher.availability.routes.calendar import bookings_router, calendar_router
from getmygrapher.availability.routes.patterns import patterns_router
from getmygrapher.availability.routes.sharing import sharing_router

__all__ = ["bookings_router", "calendar_router", "patterns_router", "sharing_router"]
