"""Helpers that live on the store's connection: one instance per thread and connection."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from liaison.node import Node

__all__ = ["on_store_connection"]

T = TypeVar("T")
_CACHE = threading.local()


@contextlib.contextmanager
def on_store_connection(node: Node, kind: str, make: Callable[[Any], T]) -> Iterator[T]:
    """``make(conn)`` for this thread's store connection, built once and reused.

    Inside a store write (``add_objects(within=…)``) the connection is that of the
    write's transaction, so what the helper writes commits or rolls back with it.
    """
    with node.store.connection() as conn:
        cache: dict[tuple[str, int], tuple[Any, T]] = getattr(_CACHE, "items", None) or {}
        _CACHE.items = cache
        entry = cache.get((kind, id(conn)))
        if entry is None or entry[0] is not conn:
            entry = cache[(kind, id(conn))] = (conn, make(conn))
        yield entry[1]
