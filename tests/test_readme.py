"""The README stays true: the two commands come first and every setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

from getmygrapher.core.config import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_the_two_commands_come_first() -> None:
    block = README.split("```")[1].split("\n", 1)[1]  # after the language tag
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert [c for c in commands if c][:2] == ["make run", "make test"]


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"^\| `([A-Z_0-9]+)` \|", README, flags=re.MULTILINE))
    assert documented == {name.upper() for name in Settings.model_fields}
