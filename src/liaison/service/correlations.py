"""Correlation of arriving objects, just after they are stored.

The storing transaction writes nothing for correlation: rows after the correlation
watermark (``Store.pending_correlation``) are pending. A worker thread
(woken after each store) indexes them against what the node holds, a small batch at a
time, in two steps (issue #15):

1. *plan*, without the write lock: read the oldest pending rows and match their names
   against the index (``CorrelationIndex.plan``: read-only queries; SQLite's WAL
   readers do not block the writer). Planning stops after ``BATCH`` objects or
   ``SECONDS`` of work;
2. *apply*, in one short write transaction: write what the plan found and mark the rows
   done -- the watermark moves past them (``Store.mark_correlated``) -- only if every
   planned row is still pending.

Nothing is correlated twice or forgotten, even across a crash: the writes of a batch
and its watermark commit together, and a crash before that leaves the rows pending.
A plan is applied only on the state it was read from: every correlator plans the
oldest pending rows, and rows commit in ``seq`` order, so a batch applied by someone
else meanwhile must share rows with this one -- which are then no longer pending, and
the batch is planned again. Correlators take turns -- within a process a lock, across
processes ``Store.correlator_turn`` (on PostgreSQL a session advisory lock; ``serve``'s
child leaves the rows to whoever has it) -- so that work is rarely wasted.

Every read of correlations first brings them up to date (``correlation_index``,
``settle``: waiting for a correlator that is making progress, else catching up
itself): it sees every stored object -- the watermark is "no row pending". Correlations are local
knowledge: only the node's own (internal) parties read them -- see
``liaison.correlate``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from liaison.correlate import LOCAL, CorrelationConfig, CorrelationIndex
from liaison.correlate.aliases import load_aliases
from liaison.correlate.index import Planned
from liaison.correlate.model import lean_object
from liaison.node import Node
from liaison.service._bound import on_store_connection
from liaison.service.worker import Worker
from liaison.store import PendingRow

__all__ = [
    "BATCH",
    "FIRST",
    "PATIENCE",
    "PLAN_WALL_SECONDS",
    "SECONDS",
    "WRITE_SECONDS",
    "Batch",
    "backlog",
    "catch_up",
    "correlate_batch",
    "correlation_index",
    "correlations",
    "correlator",
    "settle",
]


#: A reader waits this long for another correlator's progress before it works itself:
#: well above the time between two of its commits (planning stops after ``SECONDS``,
#: writing takes about ``WRITE_SECONDS``, ``serve``'s child indexes text between two).
#: Shorter, a reader next to a busy child thought it idle and correlated too, in the
#: server's process: twice the memory, and half the plans thrown away.
PATIENCE = 0.5
#: How often a waiting reader looks at the backlog (one cheap count): its answer comes
#: at most this long after the correlator's last commit. (A tenth of ``PATIENCE`` made
#: every correlation read after a store 25 ms later on average.)
POLL = 0.005
#: At most this many objects per write transaction of the correlator ...
BATCH = 500
#: ... planning stops after this many seconds of the correlator's CPU time (one object
#: at least), or ``PLAN_WALL_SECONDS`` on the clock ...
SECONDS = 0.05
#: (On the clock alone, ``serve``'s child -- at a lower priority, on a busy machine --
#: planned 36 to 150 of the 300-500 rows it asked for, each batch's write then
#: rewriting nearly as many pages as a full one's: issue #15.)
PLAN_WALL_SECONDS = 0.1
#: ... and the number of rows a batch plans adapts, so that writing it takes about this
#: long (the write lock is held meanwhile): from ``FIRST`` rows, at most doubling (or
#: halving) from one batch to the next. Objects that link to many others make short
#: batches, lean ones long batches (a commit and a plan's fixed costs shared by more
#: rows). A write costs a part per row and a fixed part -- the watermark, the commit, a
#: few round trips: 5-10 ms on PostgreSQL under load, about this target. Where the fixed
#: part is more than half of it, a batch may take twice the fixed part: sized on the
#: total alone, batches shrank to 6 rows on PostgreSQL, 2 ms of planning and 9 of
#: writing each, and correlated 320 objects a second instead of 3,000 (issue #15).
WRITE_SECONDS = 0.01
#: The same where a batch's writing keeps no storing request waiting (PostgreSQL:
#: ``Store.correlator_blocks_writers``): longer batches share a commit, a plan's reads
#: and their statements' fixed costs among more rows, and the storing requests do
#: not wait for them. Planning (``SECONDS``) bounds them too.
UNLOCKED_WRITE_SECONDS = 0.05
FIRST = 50
#: Where a batch's write holds the writers' lock (SQLite), a batch takes every pending
#: row when they are no more than this much above its size (up to ``BATCH``): the rest
#: would make a short batch of its own, and a batch's write costs a part that hardly
#: depends on its rows -- the index pages its random keys touch, rewritten into the WAL
#: at each commit (1.7 KB written an object in batches of 500, 5.1 KB in batches of
#: 150; ``bench_catchup``, 10,000 objects). Storing envelopes of 500 while the child
#: wrote batches of ~400, every other batch was the envelope's remaining ~100 rows
#: (20,000 objects over TAXII: 83 batches, 20 of them under 110 rows; issue #15).
STRETCH = 0.5

#: A write that costs more than this many times what its rows were expected to is
#: an outlier (``_Sizing.update``).
OUTLIER = 5.0

_TURNS: dict[str, threading.Lock] = {}
_TURNS_LOCK = threading.Lock()


class _Sizing:
    """The rows the next batch of one store plans, from the write times of the last
    ones: ``seconds ≈ fixed + per_row × rows``, fitted by least squares over recent
    batches (each older one weighs ``DECAY`` times less)."""

    DECAY = 0.8

    def __init__(self) -> None:
        self.size = FIRST
        # Weighted sums: 1, rows, rows², seconds, rows × seconds.
        self._sums = [0.0] * 5
        #: An outlier's (rows, seconds), left out of the fit while it stays alone.
        self._held_back: tuple[int, float] | None = None

    def _line(self) -> tuple[float, float] | None:
        """(fixed, per_row) seconds, or None while the sizes seen vary too little."""
        n, r, rr, t, rt = self._sums
        var = n * rr - r * r  # n² × the weighted variance of rows
        if var <= (0.1 * r) ** 2:  # a standard deviation under 10 % of the mean
            return None
        per_row = (n * rt - r * t) / var
        if per_row <= 0:
            return None
        return max(0.0, (t - per_row * r) / n), per_row

    def _add(self, rows: int, seconds: float) -> None:
        new = (1, rows, rows * rows, seconds, rows * seconds)
        self._sums = [self.DECAY * s + x for s, x in zip(self._sums, new, strict=True)]

    def _expected(self, rows: int) -> float | None:
        """What writing ``rows`` rows should cost, from the writes seen (None: none)."""
        n, r, _, t, _ = self._sums
        if n <= 0 or r <= 0:
            return None
        line = self._line()
        if line is None:
            return rows * t / r
        return line[0] + line[1] * rows

    def update(self, size: int, rows: int, seconds: float, target: float = WRITE_SECONDS) -> None:
        seconds = max(seconds, 1e-6)
        expected = self._expected(rows)
        outlier = expected is not None and seconds > OUTLIER * expected
        if outlier and self._held_back is None:
            # A write now and then costs far more than its rows (SQLite: the commit
            # that checkpoints the WAL, 64 MiB: ~0.1 s). Fitted, one such write set the
            # slope alone while the sizes since varied too little, and batches stayed
            # at 70-90 rows for 30 batches (issue #15). So the next batch is halved,
            # and the write is left out of the fit -- unless the next one costs as
            # much too: then the cost grew, and both count.
            self._held_back = (rows, seconds)
            self.size = max(1, size // 2)
            return
        if outlier and self._held_back is not None:
            self._add(*self._held_back)
        self._held_back = None
        self._add(rows, seconds)
        line = self._line()
        if line is None:  # the total alone
            want = int(target * rows / seconds)
        else:
            fixed, per_row = line
            want = int((max(target, 2 * fixed) - fixed) / per_row)
        self.size = max(1, min(BATCH, 2 * size, max(size // 2, want)))


#: How each store's batches are sized (``WRITE_SECONDS``).
_SIZES: dict[str, _Sizing] = {}


@dataclass(frozen=True)
class Batch:
    """One batch the correlator applied: how many rows, and how long each step took."""

    rows: int
    plan_seconds: float
    write_seconds: float


@contextlib.contextmanager
def _index(node: Node) -> Iterator[CorrelationIndex]:
    config = CorrelationConfig(default_region=node.settings.country or None)
    with on_store_connection(node, "correlation", lambda c: CorrelationIndex(c, config)) as ix:
        yield ix


def _apply(node: Node, planned: list[Planned]) -> None:
    # Run by ``mark_correlated`` once it has checked that the rows are still pending:
    # no other batch was applied since they were planned. Its transaction is the
    # batch's: a failure rolls the whole of it back (no savepoint needed).
    with _index(node) as index:
        index.apply(planned, as_planned=True, savepoint=False)


def _read(row: PendingRow) -> Mapping[str, Any]:
    """What correlating a pending row reads of its object: its id, type and version
    alone when it holds nothing else to correlate (``lean_object``), else the object."""
    return lean_object(row.id, row.type, row.version, row.body) or orjson.loads(row.body)


#: How many times its CPU time a SQLite correlator's write may last on the wall clock
#: before the wall time sizes its batches instead (``_write_cost``).
WALL_SLACK = 3.0


def _write_cost(in_process: bool, cpu: float, wall: float) -> float:
    """What a batch's write cost, to size the next one (``_Sizing``), from its thread's
    CPU time and its wall time.

    Where the write is this thread's own work -- a store whose correlator holds the
    writers' lock while it writes (SQLite: the database engine runs in the process) --
    its CPU time: the wall time also counts the time the thread waited for the
    interpreter lock or for a core (``serve``'s child runs at a lower priority), which
    no smaller batch shortens. Sized on the wall time, the child's batches shrank on a
    busy machine (load 4-5 on 2 cores) to 110-150 rows, each commit rewriting nearly
    every leaf of the correlation indexes (keyed by object id or value): 20,000 objects
    over TAXII cost the child 102-143 µs of CPU an object (median 124 over 8 runs),
    102-122 sized on CPU time (median 113; issue #15). But the storing requests wait
    for the lock on the wall clock: a write that lasts more than ``WALL_SLACK`` times
    its CPU time is sized on its wall time divided by that, so that on a busy machine
    the lock is still held for a bounded time (``bench_cliff``'s write p99: 33-93 ms
    in three runs sized on CPU time alone, 36-43 in four with this bound).
    Elsewhere the wall time: the write waits for the database server, whose work is
    not this thread's."""
    return max(cpu, wall / WALL_SLACK) if in_process else wall


def _turn(node: Node) -> threading.Lock:
    """The lock correlators of one store take turns with, in this process."""
    with _TURNS_LOCK:
        return _TURNS.setdefault(node.store.description, threading.Lock())


def catch_up(
    node: Node,
    batch: int | None = None,
    seconds: float = SECONDS,
    on_batch: Callable[[Batch], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Correlate every stored object not yet correlated (or until ``stop`` is set); the
    number done.

    Each batch -- at most ``batch`` rows (by default as many as are written in about
    ``WRITE_SECONDS``, at most ``BATCH``), planned in about ``seconds`` -- is written in
    one transaction; ``on_batch`` hears of each.
    """
    done = 0
    while stop is None or not stop.is_set():
        n = correlate_batch(node, batch, seconds, on_batch)
        if n == 0:
            return done
        done += max(n, 0)
    return done


def correlate_batch(
    node: Node,
    batch: int | None = None,
    seconds: float = SECONDS,
    on_batch: Callable[[Batch], None] | None = None,
    *,
    wait: bool = True,
) -> int:
    """Correlate one batch of pending objects (at most ``batch`` rows; by default an
    adaptive size): the rows done, 0 when none is pending, -1 when another correlator
    took some of them first (plan again) -- or, with ``wait=False``, when another
    process's correlator has the turn (leave the rows to it)."""
    key = node.store.description
    with _turn(node), node.store.correlator_turn(wait=wait) as mine:
        if not mine:
            return -1
        sizing = _SIZES.setdefault(key, _Sizing())
        size = batch if batch is not None else sizing.size
        blocks = node.store.correlator_blocks_writers
        stretch = 0 if batch is not None or not blocks else min(int(size * STRETCH), BATCH - size)
        rows = node.store.pending_correlation(size, stretch)
        if not rows:
            return 0
        t0 = time.perf_counter()
        items = [(_read(r), r.received_from or LOCAL) for r in rows]
        with _index(node) as index:
            planned = index.plan(items, seconds=seconds, wall=max(seconds, PLAN_WALL_SECONDS))
        rows = rows[: len(planned)]
        t1 = time.perf_counter()
        # The write's cost, from when it began (the lock's wait is no cost of it).
        locked: list[tuple[float, float]] = []  # (thread CPU, wall) when it began

        def write() -> None:
            locked.append((time.thread_time(), time.perf_counter()))
            _apply(node, planned)

        if not node.store.mark_correlated([r.seq for r in rows], write):
            return -1
        t2 = time.perf_counter()
        if batch is None:
            target = WRITE_SECONDS if blocks else UNLOCKED_WRITE_SECONDS
            cpu, wall = time.thread_time() - locked[0][0], time.perf_counter() - locked[0][1]
            sizing.update(size, len(rows), _write_cost(blocks, cpu, wall), target)
    if on_batch is not None:
        on_batch(Batch(len(rows), t1 - t0, t2 - t1))
    return len(rows)


def settle(node: Node, patience: float = PATIENCE) -> int:
    """Bring the correlations up to date for a reader; the versions it correlated itself.

    While another correlator -- a worker thread, ``serve``'s indexing child, another
    server on the same database -- makes progress (the watermark moves), the reader
    waits for it rather than plan the same rows (one of the two plans would be thrown
    away); once nobody has made progress for ``patience`` seconds, it catches up itself.
    """
    mark, pending = node.store.correlation_progress()
    if not pending:
        return 0
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        time.sleep(min(POLL, patience / 10))
        now, pending = node.store.correlation_progress()
        if not pending:
            return 0
        if now > mark:  # somebody else is at it: give them another while
            mark, deadline = now, time.monotonic() + patience
    return catch_up(node)


@contextlib.contextmanager
def correlation_index(node: Node, *, complete: bool = True) -> Iterator[CorrelationIndex]:
    """The correlation index, complete: pending objects are correlated first -- unless
    ``complete`` is False (a read that must write nothing: see ``backlog``)."""
    if complete:
        settle(node)
    with _index(node) as index:
        yield index


def backlog(node: Node) -> int:
    """How many stored versions are not correlated yet (the worker's to-do list)."""
    return node.store.correlation_backlog()


def correlator(node: Node) -> Worker:
    """The worker that correlates what was stored, one short batch at a time (woken
    after each store; the write lock is free between two batches)."""
    return Worker(node, "liaison-correlate", lambda: correlate_batch(node), warm=load_aliases)


def correlations(node: Node, object_id: str | None, limit: int = 100) -> list[dict[str, Any]]:
    """Correlations of one object (or the newest ones), as JSON: local knowledge."""
    with correlation_index(node) as index:
        found = index.correlations_for(object_id) if object_id else index.list(limit=limit)
        return [c.as_dict() for c in found]
