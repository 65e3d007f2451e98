"""``Admitted.of``: the write path's constructor, the same value as ``Admitted(...)``."""

from __future__ import annotations

import dataclasses

import pytest

from liaison.service.admission import Admitted


@pytest.mark.parametrize(
    "args",
    [
        ({"h": {}, "topics": [], "regions": []}, (), "", False, ()),
        ({"h": {"tlp": "green"}, "links": ["x--1"]}, ("identity--a",), "identity--b", True, ()),
        ({}, ("a", "b"), "", False, ("marking-definition--1",)),
    ],
)
def test_of_equals_the_constructor(args: tuple) -> None:  # type: ignore[type-arg]
    handling, origins, originator, copy_only, awaits = args
    fast = Admitted.of(handling, origins, originator, copy_only, awaits)
    slow = Admitted(
        handling=handling,
        origins=origins,
        originator=originator,
        copy_only=copy_only,
        awaits=awaits,
    )
    assert fast == slow
    assert repr(fast) == repr(slow)
    assert type(fast) is Admitted
    assert dataclasses.asdict(fast) == dataclasses.asdict(slow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.originator = "x"  # type: ignore[misc]
