"""The correlator sizes its batches to their writes, fixed costs and all (issue #15)."""

from __future__ import annotations

import random
import time

from liaison.service.correlations import BATCH, FIRST, WRITE_SECONDS, _Sizing, _write_clock


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


def test_an_in_process_write_is_timed_by_its_cpu() -> None:
    """SQLite (the correlator holds the writers' lock, the engine runs in the process):
    a write is sized on its CPU time -- waiting for a core or the interpreter lock
    makes no batch shorter. Elsewhere (PostgreSQL) on the wall time: the write waits
    for the server."""
    cpu, wall = _write_clock(True), _write_clock(False)
    c0, w0 = cpu(), wall()
    time.sleep(0.05)
    assert cpu() - c0 < 0.02
    assert wall() - w0 >= 0.05
