"""What can go wrong with profiles; each has a stable code."""

from __future__ import annotations

from getmygrapher.core.errors import Conflict, NotFound


class ProfileNotFound(NotFound):
    code = "profile_not_found"


class EquipmentNotFound(NotFound):
    code = "equipment_not_found"


class PortfolioItemNotFound(NotFound):
    code = "portfolio_item_not_found"


class VerificationNotFound(NotFound):
    code = "verification_not_found"


class DuplicateEquipment(Conflict):
    code = "duplicate_equipment"


class LimitReached(Conflict):
    code = "limit_reached"


class VerificationPending(Conflict):
    code = "verification_pending"


class AlreadyDecided(Conflict):
    code = "already_decided"


class ReportOpen(Conflict):
    code = "report_already_open"
