"""What can go wrong with reports; each has a stable code."""

from __future__ import annotations

from getmygrapher.core.errors import Conflict


class ReportAlreadyOpen(Conflict):
    code = "report_already_open"
