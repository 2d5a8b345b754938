"""What can go wrong with contact sharing; each has a stable code."""

from __future__ import annotations

from getmygrapher.core.errors import Conflict, NotFound


class ContactRequestNotFound(NotFound):
    code = "contact_request_not_found"


class ContactRequestPending(Conflict):
    code = "contact_request_pending"


class ContactRequestClosed(Conflict):
    code = "contact_request_closed"


class ContactRequestExpired(Conflict):
    code = "contact_request_expired"
    keeps_changes = True  # the expiry found on the way is recorded, with its event
