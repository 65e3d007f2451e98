"""The documentation says what the code does."""

from __future__ import annotations

import re
from pathlib import Path

from liaison.cli import build_parser
from liaison.config import SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def test_settings_page_lists_every_setting_and_nothing_else() -> None:
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.M))
    assert documented == {s.name for s in SETTINGS}


def test_readme_commands_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    known = set(sub.choices)  # type: ignore[arg-type]
    used = set(re.findall(r"`liaison ([a-z]+)", readme))
    assert used, "the README shows no liaison command"
    assert used <= known, f"README mentions unknown commands: {used - known}"


def test_readme_gives_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "./scripts/demo" in readme and "./scripts/test" in readme
    assert (ROOT / "scripts" / "demo").exists() and (ROOT / "scripts" / "test").exists()
