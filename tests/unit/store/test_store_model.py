"""``ObjectRow.of`` (how the store builds the rows it reads) and ``NewObject.of`` (how the
write path builds what it stores) make what the constructors make: equal, frozen values
of the same class, with the same fields."""

from __future__ import annotations

import dataclasses

import pytest

from liaison.store import NewObject, ObjectRow

VALUES = (
    7,
    "9f6b1f5e-0000-4000-8000-000000000001",
    "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "indicator",
    "2.1",
    "2026-11-29T12:00:00.000Z",
    1_795_953_600_000_000,
    "2026-11-30T09:00:00.123456Z",
    1_796_029_200_123_456,
    b'{"id": "x"}',
    "0f" * 32,
    {"h": {"tlp": "green"}, "topics": [], "regions": ["ML"]},
    ("identity--0b5d2e8f-1c3a-4f6b-9e7d-2a8c4b6f1e30",),
    "",
)


def test_of_equals_the_constructor() -> None:
    a, b = ObjectRow(*VALUES), ObjectRow.of(*VALUES)
    assert type(b) is ObjectRow
    assert a == b and vars(a) == vars(b) and repr(a) == repr(b)
    assert dataclasses.astuple(b) == VALUES
    assert dataclasses.asdict(a) == dataclasses.asdict(b)
    assert dataclasses.replace(b, seq=8) == dataclasses.replace(a, seq=8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.seq = 9  # type: ignore[misc]


NEW = (
    "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "indicator",
    "2.1",
    None,
    None,
    b'{"id": "x"}',
    "0f" * 32,
    {"h": {}},
    (),
    "identity--0b5d2e8f-1c3a-4f6b-9e7d-2a8c4b6f1e30",
    "relais près de Kidal",
    "",
)


def test_new_object_of_equals_the_constructor() -> None:
    a, b = NewObject(*NEW), NewObject.of(*NEW)
    assert type(b) is NewObject
    assert a == b and vars(a) == vars(b) and repr(a) == repr(b)
    assert dataclasses.astuple(b) == NEW
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.id = "other"  # type: ignore[misc]
