"""The derived indexes (full-text search, correlations) built in a process of their own.

Inside one Python process the storing requests and the derived-index workers share one
interpreter lock: while the correlator plans a batch, a request storing the next
envelope waits, and a node uses one core however many it has. ``liaison serve``
therefore builds its derived indexes in a child process (``liaison index HOME
--follow``), which it wakes after each store by writing a byte to the child's standard
input; the child catches up (search index, then correlations, one bounded transaction
at a time) and waits for the next byte -- or, every ``IDLE`` seconds, looks for work
another process left. End of input (the server stopped or was killed) ends the child.

Nothing depends on the child for correctness: each index has a watermark, and a reader
catches up itself before it reads (``correlations.catch_up``, the store's search
backlog). Several correlators -- two ``serve`` processes on one PostgreSQL database, a
reader catching up, this child -- never correlate a row twice (``mark_correlated``).
ADR 0009.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO

from liaison.correlate.aliases import load_aliases
from liaison.errors import LiaisonError
from liaison.node import Node
from liaison.service.correlations import correlate_batch
from liaison.service.runtime import tune_gc
from liaison.service.worker import search_indexer

__all__ = ["IDLE", "IndexerProcess", "backlogs", "catch_up_indexes", "follow"]

log = logging.getLogger(__name__)

#: Seconds between two looks for work nobody woke the child for.
IDLE = 5.0
#: A child that died is started again at most this often (seconds).
RESPAWN = 5.0
#: The following indexer's scheduling priority, below the server's: on a busy machine
#: the requests (storing, reading, a sync's verification) get the CPU first and the
#: derived indexes catch up in what is left. A reader never waits on it for long: one
#: that sees no progress for ``correlations.PATIENCE`` catches up itself.
NICENESS = 5


def _step(node: Node, defer: bool = False, search: bool = True) -> int:
    """One bounded transaction of each index; how much was done (0: all caught up).

    ``defer``: when another correlator took the rows first, leave correlating to it
    until the next wake (``follow``). Two ``serve`` processes on one database have two
    children, which otherwise plan the same oldest rows over and over while one of them
    writes: with two clients, one child threw away 173 of its 206 plans (issue #15).
    ``search=False``: the correlations alone (``follow`` indexes text in a thread).
    """
    indexed = node.store.index_search() if search else 0
    # -1: another correlator took the rows -- or, deferring, has the turn
    correlated = correlate_batch(node, wait=not defer)
    if correlated < 0 and defer:
        return indexed
    return indexed + abs(correlated)


def backlogs(node: Node) -> tuple[int, int]:
    """Stored versions not yet in the search index, and not yet correlated."""
    return node.store.search_backlog(), node.store.correlation_backlog()


def catch_up_indexes(
    node: Node,
    stop: Callable[[], bool] | None = None,
    *,
    defer: bool = False,
    search: bool = True,
) -> int:
    """Bring the search index and the correlations up to date; the steps that did work.

    ``defer``: stop correlating once another correlator takes the rows first (``_step``):
    then the correlations are up to date only once that one is done. ``search=False``:
    the correlations alone."""
    steps = 0
    while (stop is None or not stop()) and _step(node, defer, search):
        steps += 1
    return steps


def follow(node: Node, wake: IO[bytes], idle: float = IDLE) -> None:
    """The child's loop: catch up, then wait for a byte on ``wake`` (or ``idle`` seconds);
    return at the end of ``wake``'s input.

    The text index is built by a thread of its own (its own connection, woken with this
    loop), beside the correlations: on PostgreSQL its work is the database's (three
    ``to_tsvector`` a row, ~110 µs), which then runs while the correlator plans in
    Python, not between two of its batches (issue #15: the child was the ingest's
    critical path)."""
    node.store.derived_writer()  # this process's commits: derived data only
    with contextlib.suppress(OSError):  # lower priority than the server's requests
        os.nice(NICENESS)
    load_aliases()
    tune_gc()  # the alias tables loaded: never rescanned, collections less often
    text = search_indexer(node)  # stops with the node
    text.kick()
    fd = wake.fileno()
    ended = False

    def woken(timeout: float) -> bool:
        """Wait up to ``timeout`` for a wake; True as well at the end of input."""
        nonlocal ended
        readable, _, _ = select.select([fd], [], [], timeout)
        if readable and not os.read(fd, 65536):
            ended = True  # the server is gone
        if readable and not ended:
            text.kick()
        return bool(readable)

    while not ended:
        try:
            catch_up_indexes(node, stop=lambda: woken(0) and ended, defer=True, search=False)
        except LiaisonError as exc:  # the store is busy or closing: try again later
            log.warning("derived indexes deferred: %s", exc)
        if not ended:
            woken(idle)


class IndexerProcess:
    """The server's handle on its indexing child: ``kick`` after a store, ``stop`` at the
    end (with the node). The child is started at the first kick, and again (at most
    every ``RESPAWN`` seconds) if it died."""

    name = "liaison-index"

    def __init__(self, node: Node, argv: list[str] | None = None) -> None:
        self._argv = argv or [
            sys.executable, "-m", "liaison", "index", str(node.home), "--follow",
        ]  # fmt: skip
        self._proc: subprocess.Popen[bytes] | None = None
        self._started = 0.0
        self._stopped = False
        self._lock = threading.Lock()
        node.on_close(self.stop)

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return None if proc is None or proc.poll() is not None else proc.pid

    def _spawn(self) -> subprocess.Popen[bytes] | None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            return proc
        if proc is not None:
            if time.monotonic() - self._started < RESPAWN:
                return None
            log.warning("%s exited with %s: starting it again", self.name, proc.returncode)
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
        self._started = time.monotonic()
        # A session of its own: ^C in the server's terminal reaches the server, which
        # then ends the child by closing its input (after the step in hand).
        proc = subprocess.Popen(
            self._argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,
        )
        assert proc.stdin is not None
        os.set_blocking(proc.stdin.fileno(), False)
        self._proc = proc
        return proc

    def kick(self) -> None:
        with self._lock:
            if self._stopped:
                return
            proc = self._spawn()
            if proc is None or proc.stdin is None:
                return
            # Full pipe: the child has wakes pending already. Broken: it died; the next
            # kick starts it again.
            with contextlib.suppress(BlockingIOError, BrokenPipeError):
                os.write(proc.stdin.fileno(), b".")

    def stop(self, timeout: float = 30.0) -> None:
        with self._lock:
            self._stopped = True
            proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # end of input: the child finishes its step and exits
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
