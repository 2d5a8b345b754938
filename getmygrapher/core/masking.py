"""Contact details hidden in free text: phone numbers (also spaced out or spelled), e-mail
addresses, UPI IDs and "WhatsApp me" invitations (MSG-10, JOB-1, BEY-1)."""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDER = "[contact hidden]"

_WORDS = "zero|oh|one|two|three|four|five|six|seven|eight|nine"
_DIGIT = rf"(?:\d|(?:{_WORDS})(?![a-z]))"
_FIRST = r"(?:[6-9]|(?:six|seven|eight|nine)(?![a-z]))"
_SEPARATOR = r"[\s\-.()/_,*]{0,3}"
# Ten digits starting 6-9 (Indian mobiles), optionally +91 or 0 first, with any of the usual
# separators or spelled-out digits between them: "98 47 0 12345", "nine eight four ...".
_PHONE = re.compile(
    rf"(?<![\dA-Za-z])(?:(?:\+|00)?\s*91{_SEPARATOR}|0{_SEPARATOR})?"
    rf"{_FIRST}(?:{_SEPARATOR}{_DIGIT}){{9}}(?![\dA-Za-z])",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Spelled out ("meera at gmail dot com") only with a real top-level domain, so "meet at
# the hotel dot entrance" stays as it is.
_SPELLED_EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]+\s*(?:\(at\)|\[at\]|\sat\s)\s*[A-Za-z0-9\-]+\s*"
    r"(?:\.|\(dot\)|\[dot\]|\sdot\s)\s*(?:com|in|org|net|co|edu|gov|io|me|info|biz|app)\b",
    re.IGNORECASE,
)
# Landlines: an STD code starting 0 and the number, eleven digits in all ("0484 2345678").
_LANDLINE = re.compile(r"(?<![\dA-Za-z])0\d{2,4}[\s\-]?\d{6,8}(?![\dA-Za-z])")
# UPI handles: name@bank with no top-level domain (ybl, okaxis, paytm, upi, …).
_UPI = re.compile(r"\b[A-Za-z0-9.\-_]{2,256}@[A-Za-z]{2,64}\b(?!\s*(?:\.|\(dot\)|\[dot\]))")
_WHATSAPP = re.compile(
    r"\b(?:whats\s*app|wa\.me|w\.a\.?)\s*(?:me|us|at|on|no|number)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Finding:
    kind: str  # "phone" | "email" | "upi" | "whatsapp"
    start: int
    end: int


def find_contact_details(text: str) -> list[Finding]:
    findings: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, match: re.Match[str]) -> None:
        span = match.span()
        if any(span[0] < end and start < span[1] for start, end in taken):
            return
        taken.append(span)
        findings.append(Finding(kind, *span))

    for pattern in (_EMAIL, _SPELLED_EMAIL):
        for match in pattern.finditer(text):
            add("email", match)
    for match in _UPI.finditer(text):
        add("upi", match)
    for pattern in (_PHONE, _LANDLINE):
        for match in pattern.finditer(text):
            if sum(ch.isdigit() for ch in match.group()) >= 10 or pattern is _PHONE:
                add("phone", match)
    for match in _WHATSAPP.finditer(text):
        add("whatsapp", match)
    return sorted(findings, key=lambda f: f.start)


def has_contact_details(text: str | None) -> bool:
    return bool(text) and bool(find_contact_details(text or ""))


def mask_contact_details(text: str) -> tuple[str, list[str]]:
    """The text with each finding replaced by a placeholder, and the kinds found."""
    findings = find_contact_details(text)
    if not findings:
        return text, []
    parts, cursor = [], 0
    for finding in findings:
        parts += [text[cursor : finding.start], PLACEHOLDER]
        cursor = finding.end
    parts.append(text[cursor:])
    return "".join(parts), sorted({f.kind for f in findings})
