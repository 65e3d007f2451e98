"""Correlation at ingest: every new object version is indexed against what we hold.

Runs inside the transaction that stores the objects (like the audit entries), on the
store's own connection. Correlations are local knowledge: they are read only by the
node's own (internal) parties -- see ``liaison.correlate``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import orjson

from liaison.correlate import LOCAL, CorrelationConfig, CorrelationIndex
from liaison.node import Node
from liaison.service._bound import on_store_connection
from liaison.store import NewObject, PartyRecord

__all__ = ["Correlator", "correlation_index"]


@contextlib.contextmanager
def correlation_index(node: Node) -> Iterator[CorrelationIndex]:
    config = CorrelationConfig(default_region=str(node.settings.country) or None)
    with on_store_connection(node, "correlation", lambda c: CorrelationIndex(c, config)) as ix:
        yield ix


class Correlator:
    def __init__(self, node: Node) -> None:
        self.node = node

    def stored(
        self, party: PartyRecord, objs: list[NewObject], results: list[tuple[str, bool]]
    ) -> None:
        source = LOCAL if party.internal else party.identity_id
        fresh: list[dict[str, Any]] = [
            orjson.loads(o.body) for o, (_, new) in zip(objs, results, strict=True) if new
        ]
        if not fresh:
            return
        with correlation_index(self.node) as index:
            for obj in fresh:
                index.add(obj, source)
