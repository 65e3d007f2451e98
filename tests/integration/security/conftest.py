"""Fixtures for attacks on a host: ``hostile`` is DZ with partner MR and hostile XX."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile import Hostile, build


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[Hostile]:
    h = build(tmp_path / "world")
    try:
        yield h
    finally:
        h.world.close()
