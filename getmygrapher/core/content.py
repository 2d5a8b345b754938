"""Automated screening of what users publish (JOB-7): text that is not refused outright but
should wait for a moderator before anyone else sees it."""

from __future__ import annotations

import re

# Scams and content the platform does not host; a match holds the item for review.
HELD_TERMS = (
    "registration fee",
    "registration charges",
    "processing fee",
    "security deposit",
    "advance payment to",
    "send money",
    "bitcoin",
    "crypto",
    "escort",
    "nude",
    "topless",
    "adult shoot",
    "gift card",
)
_TERMS = re.compile(
    r"\b(?:" + "|".join(re.escape(term) for term in HELD_TERMS) + r")\b", re.IGNORECASE
)
# Ways round the contact filter that are not contact details themselves.
_EVASION = re.compile(
    r"\b(?:call|ping|text|dm|message|reach)\s+me\s+(?:on|at|via)\b"
    r"|\b(?:telegram|signal|insta(?:gram)?)\s*(?:id|handle|me)?\s*[:@]"
    r"|\bcheck\s+(?:my\s+)?(?:bio|profile)\s+for\s+(?:number|contact)",
    re.IGNORECASE,
)


def held_reason(*texts: str | None) -> str | None:
    """Why these texts should wait for a moderator, or None when they may go live."""
    joined = " ".join(text for text in texts if text)
    if _TERMS.search(joined):
        return "held_term"
    if _EVASION.search(joined):
        return "contact_evasion"
    return None
