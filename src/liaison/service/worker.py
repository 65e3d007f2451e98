"""Background workers that keep derived indexes in step with the store.

A store commits only what must be durable; what can be derived from it afterwards --
the full-text index (SQLite), the correlation index -- is built by a worker thread
that the storing request wakes after its commit. Readers never depend on the worker
being done: each derived index has a watermark; a search matches the rows past it
directly (and writes nothing), a correlation read first catches up
(``correlations.catch_up``). ADR 0009.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from liaison.errors import LiaisonError
from liaison.node import Node

__all__ = ["Worker", "search_indexer"]

log = logging.getLogger(__name__)


class Worker:
    """A daemon thread that runs ``step`` until it returns 0, each time it is woken
    (``kick``) and every ``idle`` seconds (work left by another process or a restart).

    ``step`` does one bounded transaction and returns how much it did; the write lock
    is free between two steps. ``warm`` runs once when the thread starts. The worker
    stops with its node.
    """

    def __init__(
        self,
        node: Node,
        name: str,
        step: Callable[[], int],
        *,
        idle: float = 5.0,
        warm: Callable[[], object] | None = None,
    ) -> None:
        self.name = name
        self._warm = warm
        self._store = node.store
        self._step = step
        self._idle = idle
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        node.on_close(self.stop)

    def kick(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        self._store.derived_writer()  # this thread's commits: derived data only
        if self._warm is not None:
            try:
                self._warm()  # what the first step would load (tables, models)
            except Exception:
                log.exception("%s: warming up failed", self.name)
        while not self._stop.is_set():
            self._wake.wait(timeout=self._idle)
            self._wake.clear()
            try:
                while not self._stop.is_set() and self._step():
                    pass
            except LiaisonError as exc:  # the store is busy or closing: try again later
                log.warning("%s deferred: %s", self.name, exc)
            except Exception:  # a bug must not kill the worker
                log.exception("%s error", self.name)


def search_indexer(node: Node) -> Worker:
    """The worker that adds stored rows to the full-text index (SQLite)."""
    return Worker(node, "liaison-search-index", node.store.index_search)
