"""Contact details in free text: found however they are written, and nothing else is."""

from __future__ import annotations

import pytest

from getmygrapher.core.content import held_reason
from getmygrapher.core.masking import PLACEHOLDER, find_contact_details, mask_contact_details


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Call 9847012345", "phone"),
        ("call +91 98470 12345 now", "phone"),
        ("ph: 0091-98470-12345", "phone"),
        ("my number is 98 47 0 1 2 3 4 5", "phone"),
        ("nine eight four seven zero one two three four five", "phone"),
        ("9 8 4 7 oh 1 2 3 4 5", "phone"),
        ("office 0484 2345678", "phone"),
        ("meera.nair@gmail.com", "email"),
        ("meera at gmail dot com", "email"),
        ("meera [at] yahoo (dot) in", "email"),
        ("pay to meera@okaxis", "upi"),
        ("UPI: 9847012345@ybl", "upi"),
        ("WhatsApp me for rates", "whatsapp"),
        ("wa.me us", "whatsapp"),
    ],
)
def test_contact_details_are_found(text: str, kind: str) -> None:
    findings = find_contact_details(text)

    assert [finding.kind for finding in findings] == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "Budget ₹15,000 for 2 days, 10:00 to 18:00 on 12/12/2026",
        "Shot 1,200 photos at 1/250 s, f/2.8, ISO 400",
        "Meet at the hotel dot entrance",
        "Reception for 300 guests at 7 pm",
        "PIN 682042, Kakkanad",
        "We need 5 photographers and 2 drones",
        "",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert find_contact_details(text) == []
    assert mask_contact_details(text) == (text, [])


def test_masking_replaces_each_finding_and_keeps_the_rest() -> None:
    masked, kinds = mask_contact_details(
        "Hi! Mail meera@example.in or call 98470 12345, ₹20,000 is fine."
    )

    assert masked == f"Hi! Mail {PLACEHOLDER} or call {PLACEHOLDER}, ₹20,000 is fine."
    assert kinds == ["email", "phone"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Pay the registration fee before the shoot", "held_term"),
        ("Send money for the props first", "held_term"),
        ("Payment in CRYPTO only", "held_term"),
        ("DM me on insta for details", "contact_evasion"),
        ("telegram: @shootskochi", "contact_evasion"),
        ("check my bio for number", "contact_evasion"),
        ("Candid wedding coverage, two days", None),
        ("Cryptography conference keynote photos", None),
    ],
)
def test_screening_holds_scams_and_ways_round_the_filter(text: str, reason: str | None) -> None:
    assert held_reason("Title", text, None) == reason
