"""A long-running process collects garbage less often and never rescans start-up."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from liaison.service import runtime


@pytest.fixture
def restored_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_tune_gc_freezes_what_is_loaded_and_raises_the_thresholds(restored_gc: None) -> None:
    loaded = [[i] for i in range(1000)]  # tracked containers, as tables are
    assert all(gc.is_tracked(x) for x in loaded)
    runtime.tune_gc()
    assert gc.get_threshold() == runtime.GC_THRESHOLDS
    assert gc.get_freeze_count() >= len(loaded)  # in the permanent generation


def test_collections_still_run_after_tuning(restored_gc: None) -> None:
    runtime.tune_gc()
    cycle: list[object] = []
    cycle.append(cycle)  # cyclic garbage made after start-up is still collected
    del cycle
    assert gc.collect() >= 1
