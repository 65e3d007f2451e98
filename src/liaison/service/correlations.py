"""Correlation of arriving objects, just after they are stored.

The storing transaction only marks new rows as not yet correlated; a worker thread
(woken after each store) indexes them against what the node holds, in batches, each
batch and its "done" marks in one transaction -- so nothing is correlated twice or
forgotten, even across a crash. Every read of correlations first catches up, so it
sees every stored object. Correlations are local knowledge: only the node's own
(internal) parties read them -- see ``liaison.correlate``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

import orjson

from liaison.correlate import LOCAL, CorrelationConfig, CorrelationIndex
from liaison.errors import LiaisonError
from liaison.node import Node
from liaison.service._bound import on_store_connection
from liaison.store import ObjectRow

__all__ = ["Correlator", "catch_up", "correlation_index", "correlations"]

log = logging.getLogger("liaison.correlate")


@contextlib.contextmanager
def _index(node: Node) -> Iterator[CorrelationIndex]:
    config = CorrelationConfig(default_region=node.settings.country or None)
    with on_store_connection(node, "correlation", lambda c: CorrelationIndex(c, config)) as ix:
        yield ix


def catch_up(node: Node, batch: int = 500) -> int:
    """Correlate every stored object not yet correlated; the number done."""

    def work(rows: list[ObjectRow]) -> None:
        with _index(node) as index:
            for row in rows:
                index.add(orjson.loads(row.body), row.received_from or LOCAL)

    done = 0
    while n := node.store.correlate_pending(work, batch):
        done += n
    return done


@contextlib.contextmanager
def correlation_index(node: Node) -> Iterator[CorrelationIndex]:
    """The correlation index, complete: pending objects are correlated first."""
    catch_up(node)
    with _index(node) as index:
        yield index


class Correlator:
    """Wakes a worker thread after each store; the thread catches up."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        node.on_close(self.stop)

    def kick(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="liaison-correlate", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=5.0)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                catch_up(self.node)
            except LiaisonError as exc:  # the store is busy or closing: try again later
                log.warning("correlation deferred: %s", exc)
            except Exception:  # a bug must not kill the worker
                log.exception("correlation worker error")


def correlations(node: Node, object_id: str | None, limit: int = 100) -> list[dict[str, Any]]:
    """Correlations of one object (or the newest ones), as JSON: local knowledge."""
    with correlation_index(node) as index:
        found = index.correlations_for(object_id) if object_id else index.list(limit=limit)
        return [c.as_dict() for c in found]
