"""What can go wrong with jobs and applications; each has a stable code."""

from __future__ import annotations

from getmygrapher.core.errors import Conflict, NotFound


class JobNotFound(NotFound):
    code = "job_not_found"


class ApplicationNotFound(NotFound):
    code = "application_not_found"


class JobNotOpen(Conflict):
    code = "job_not_open"


class JobLocked(Conflict):
    code = "job_locked"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class AlreadyApplied(Conflict):
    code = "already_applied"


class HasApplications(Conflict):
    code = "job_has_applications"


class TooManyDrafts(Conflict):
    code = "too_many_drafts"


class NoPositionLeft(Conflict):
    code = "no_position_left"
