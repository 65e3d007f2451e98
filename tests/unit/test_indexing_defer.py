"""serve's indexing child leaves correlation to a correlator that took the rows first."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from liaison.service import indexing


def _node(indexed: list[int]) -> Any:
    return SimpleNamespace(store=SimpleNamespace(index_search=lambda: indexed.pop(0)))


def test_a_child_defers_to_the_correlator_that_took_its_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    results = [5, -1, 7]
    monkeypatch.setattr(indexing, "correlate_batch", lambda node, **_: results.pop(0))
    # The child (``follow``): correlated 5, then lost the race with nothing left to
    # index -- it stops until its next wake instead of planning the same rows again.
    assert indexing.catch_up_indexes(_node([0, 0, 0]), defer=True) == 1
    assert results == [7]


def test_catching_up_once_plans_again_after_losing_a_race(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    results = [5, -1, 7, 0]
    monkeypatch.setattr(indexing, "correlate_batch", lambda node, **_: results.pop(0))
    # ``liaison index HOME``: up to date when it returns.
    assert indexing.catch_up_indexes(_node([0, 0, 0, 0])) == 3
    assert results == []


def test_a_deferring_child_still_indexes_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(indexing, "correlate_batch", lambda node, **_: -1)
    assert indexing.catch_up_indexes(_node([2000, 300, 0]), defer=True) == 2


def test_only_a_deferring_child_declines_to_wait_for_the_turn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another process's correlator has the turn: the child leaves the rows to it
    (``wait=False``); ``liaison index HOME``, which must finish, waits for it."""
    asked: list[bool] = []

    def batch(node: Any, *, wait: bool) -> int:
        asked.append(wait)
        return 0

    monkeypatch.setattr(indexing, "correlate_batch", batch)
    indexing.catch_up_indexes(_node([0]), defer=True)
    indexing.catch_up_indexes(_node([0]))
    assert asked == [False, True]
