"""The small HTML pages that links in e-mails open when no web app is configured (WEB_APP_URL).

Every value is escaped on the way in; the templates under templates/ hold the markup.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from functools import cache
from importlib import resources
from string import Template
from typing import Any

from fastapi.responses import HTMLResponse
from pydantic import ValidationError

VERIFIED = ("E-mail address verified", "Your e-mail address is verified. You can sign in now.")
ALREADY_VERIFIED = (
    "E-mail address already verified",
    "Your e-mail address was already verified. You can sign in now.",
)
LINK_EXPIRED = (
    "This link no longer works",
    "This link has expired or was already used. Request a new one from the app.",
)
EMAIL_TAKEN = (
    "E-mail address not changed",
    "Another account now uses this e-mail address, so your account keeps its current one.",
)
CHOOSE_PASSWORD = ("Choose a new password", "Choose a new password for your GetMyGrapher account.")
PASSWORD_CHANGED = (
    "Password changed",
    "Your password is changed and every session was signed out. "
    "You can sign in with your new password now.",
)
PASSWORDS_DIFFER = "The two passwords do not match."

_DESCRIPTIONS = {
    200: "An HTML page that says what happened.",
    400: "An HTML page: the link has expired, was already used or is not valid.",
    409: "An HTML page: another account now uses the address.",
    422: "The HTML form again, saying what is wrong with the new password.",
}


@cache
def _template(name: str) -> Template:
    source = resources.files("getmygrapher.accounts").joinpath(f"templates/{name}")
    return Template(source.read_text(encoding="utf-8"))


@cache
def _content_security_policy() -> str:
    """Nothing may load or run; only the page's own inline style (by its hash) applies."""
    match = re.search(r"<style>(.*?)</style>", _template("page.html").template, re.DOTALL)
    if match is None:
        raise RuntimeError("templates/page.html has no <style> block")
    digest = base64.b64encode(hashlib.sha256(match.group(1).encode()).digest()).decode()
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


def headers() -> dict[str, str]:
    # The reset link's token is in the URL: no cache keeps it, no referrer carries it away.
    return {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": _content_security_policy(),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
    }


def html_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the statuses a page answers with HTML rather than a problem."""
    return {
        status: {
            "description": _DESCRIPTIONS[status],
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
        for status in statuses
    }


def _page(status: int, heading: str, content: str) -> HTMLResponse:
    body = _template("page.html").substitute(
        title=html.escape(heading), heading=html.escape(heading), content=content
    )
    return HTMLResponse(body, status_code=status, headers=headers())


def message(status: int, heading: str, sentence: str) -> HTMLResponse:
    return _page(status, heading, f"<p>{html.escape(sentence)}</p>")


def reset_form(status: int, *, action: str, token: str, error: str | None = None) -> HTMLResponse:
    heading, intro = CHOOSE_PASSWORD
    content = _template("reset_form.html").substitute(
        message_attributes=' id="form-error" class="error" role="alert"' if error else "",
        message=html.escape(error or intro),
        action=html.escape(action),
        token=html.escape(token),
        described_by="form-error password-rules" if error else "password-rules",
        invalid=' aria-invalid="true"' if error else "",
    )
    return _page(status, heading, content)


def password_problem(error: ValidationError) -> str:
    """The first thing wrong with a new password, as a sentence."""
    first = error.errors()[0]
    if first["type"] in {"string_too_short", "string_too_long"}:
        return "Use 8 to 128 characters, with at least one letter and one digit."
    return sentence(str(first["msg"]))


def sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."
