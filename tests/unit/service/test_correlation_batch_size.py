"""The correlator sizes its batches to their writes, fixed costs and all (issue #15)."""

from __future__ import annotations

import random
import time

import pytest

from liaison.service.correlations import (
    BATCH,
    FIRST,
    WALL_SLACK,
    WRITE_SECONDS,
    _Sizing,
    _write_cost,
)


def _settle(fixed: float, per_row: float, batches: int = 60, noise: float = 0.0) -> int:
    """The size the batches come to when writing ``rows`` takes
    ``fixed + per_row × rows`` seconds (give or take ``noise`` of it)."""
    rng = random.Random(3)
    sizing = _Sizing()
    for _ in range(batches):
        rows = sizing.size
        seconds = (fixed + per_row * rows) * (1 + noise * (2 * rng.random() - 1))
        sizing.update(rows, rows, seconds)
    return sizing.size


def test_lean_writes_fill_the_target() -> None:
    """A small fixed part (SQLite): writes take about ``WRITE_SECONDS``."""
    size = _settle(0.0005, 0.00005)
    assert 0.7 * WRITE_SECONDS <= 0.0005 + 0.00005 * size <= 1.3 * WRITE_SECONDS


def test_a_fixed_part_near_the_target_does_not_shrink_the_batches() -> None:
    """PostgreSQL under load: 9 ms a write whatever its rows. Sized on the total alone,
    batches shrank to a handful of rows; now a write may take twice the fixed part."""
    for noise in (0.0, 0.3):
        size = _settle(0.009, 0.00004, noise=noise)
        assert size >= 150, (noise, size)
        assert 0.009 + 0.00004 * size <= 3 * 0.009


def test_costly_rows_make_short_batches() -> None:
    """Objects that link to many others: a few rows fill the target."""
    size = _settle(0.001, 0.002)
    assert 1 <= size <= 8


def test_sizes_stay_within_bounds() -> None:
    assert 1 <= _settle(0.0, 1e-9) <= BATCH
    assert _settle(0.0, 1e-9) == BATCH
    sizing = _Sizing()
    assert sizing.size == FIRST
    sizing.update(FIRST, FIRST, 10.0)  # one very slow write: halved, no more
    assert sizing.size == FIRST // 2


def test_an_in_process_write_is_timed_by_its_cpu_within_a_bound_on_its_wall_time() -> None:
    """SQLite (the correlator holds the writers' lock, the engine runs in the process):
    a write is sized on its CPU time -- waiting for a core or the interpreter lock
    makes no batch shorter -- unless it lasted more than ``WALL_SLACK`` times that on
    the wall clock, which the storing requests wait for. Elsewhere (PostgreSQL) on the
    wall time: the write waits for the server."""
    assert _write_cost(True, 0.010, 0.012) == 0.010
    assert _write_cost(True, 0.010, 0.010 * WALL_SLACK) == 0.010
    assert _write_cost(True, 0.010, 0.090) == pytest.approx(0.090 / WALL_SLACK)
    assert _write_cost(False, 0.001, 0.050) == 0.050
    # and the clocks it is given: a sleep is wall time, not the thread's CPU time
    c0, w0 = time.thread_time(), time.perf_counter()
    time.sleep(0.05)
    assert time.thread_time() - c0 < 0.02
    assert time.perf_counter() - w0 >= 0.05


def test_one_costly_write_does_not_keep_the_batches_short() -> None:
    """A write that costs far more than its rows now and then (SQLite: the commit that
    checkpoints the WAL) halves the next batch, and the size comes back within a few
    batches: the fitted line once took its slope from that write alone, and batches
    stayed at a third of their size for 30 batches (issue #15)."""
    sizing = _Sizing()
    for _ in range(40):
        sizing.update(sizing.size, sizing.size, 0.0005 + 0.00003 * sizing.size)
    settled = sizing.size
    assert settled >= 250
    sizing.update(settled, settled, 0.1)  # the checkpoint
    assert sizing.size == settled // 2
    sizes = []
    for _ in range(6):
        sizing.update(sizing.size, sizing.size, 0.0005 + 0.00003 * sizing.size)
        sizes.append(sizing.size)
    assert sizes[-1] >= 0.8 * settled, sizes
