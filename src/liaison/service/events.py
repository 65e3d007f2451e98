"""Security-relevant events of the exchange, appended to the node's audit log."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from liaison.audit import Action, AuditEntry, AuditLog, ObjectRef
from liaison.errors import InvalidInputError
from liaison.node import Node
from liaison.service._bound import on_store_connection
from liaison.service.exchange import Verdict
from liaison.store import NewObject, ObjectRow, PartyRecord

__all__ = ["AuditEvents", "audit_log"]


@contextlib.contextmanager
def audit_log(node: Node) -> Iterator[AuditLog]:
    """The node's audit log on this thread's store connection (same transactions)."""
    with on_store_connection(node, "audit", lambda c: AuditLog(c, signing_key=node.key)) as log:
        yield log


def _ref(obj: Any) -> tuple[ObjectRef, ...]:
    try:
        oid = obj.get("id") if isinstance(obj, dict) else None
        return (ObjectRef(str(oid), None, None),) if oid else ()
    except InvalidInputError:
        return ()


class AuditEvents:
    def __init__(self, node: Node) -> None:
        self.node = node

    def _append(self, entries: list[AuditEntry]) -> None:
        if entries:
            with audit_log(self.node) as log:
                log.append_many(entries)

    def stored(
        self,
        party: PartyRecord,
        collection_id: str,
        objs: list[NewObject],
        results: list[tuple[str, bool]],
    ) -> None:
        action = Action.OBJECT_CREATED if party.internal else Action.OBJECT_RECEIVED
        entries = [
            AuditEntry(
                action,
                party.name,
                objects=(ObjectRef.for_stored(o.id, o.version or date_added, o.body),),
                details={"collection": collection_id, "from": party.identity_id},
            )
            for o, (date_added, new) in zip(objs, results, strict=True)
            if new
        ]
        self._append(entries)

    def rejected(self, party: PartyRecord, obj: dict[str, Any], reason: str) -> None:
        self._append(
            [
                AuditEntry(
                    "object.rejected",
                    party.name,
                    objects=_ref(obj),
                    decision="deny",
                    reasons=(reason[:500],),
                )
            ]
        )

    def released(self, party: PartyRecord, items: list[tuple[ObjectRow, Verdict]]) -> None:
        self._append(
            [
                AuditEntry(
                    Action.OBJECT_RELEASED,
                    party.name,
                    objects=(ObjectRef(row.id, row.version, row.sha256),),
                    agreement=v.agreement_id,
                    recipient=party.identity_id,
                    decision="allow",
                    reasons=v.reasons[:8],
                )
                for row, v in items
            ]
        )

    def withheld(
        self, party: PartyRecord, items: list[tuple[ObjectRow, Verdict]], listing: bool = False
    ) -> None:
        """A refused read. A listing that skipped objects is one summary entry (partners
        poll: one entry per hidden object and poll would flood the log); a request for
        one object names it."""
        if listing:
            reasons = sorted({r for _, v in items for r in v.reasons})[:8]
            self._append(
                [
                    AuditEntry(
                        Action.READ_DENIED,
                        party.name,
                        recipient=party.identity_id,
                        decision="deny",
                        reasons=tuple(reasons),
                        details={"withheld": len(items)},
                    )
                ]
            )
            return
        self._append(
            [
                AuditEntry(
                    Action.READ_DENIED,
                    party.name,
                    objects=(ObjectRef(row.id, row.version, row.sha256),),
                    recipient=party.identity_id,
                    decision="deny",
                    reasons=v.reasons[:8],
                )
                for row, v in items
            ]
        )

    def deleted(self, party: PartyRecord, collection_id: str, rows: list[ObjectRow]) -> None:
        """Inside the deleting transaction: one entry per erased version, with its hash."""
        self._append(
            [
                AuditEntry(
                    Action.OBJECT_DELETED,
                    party.name,
                    objects=(ObjectRef.for_stored(row.id, row.version, row.body),),
                    details={"collection": collection_id},
                )
                for row in rows
            ]
        )
