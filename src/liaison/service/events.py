"""Security-relevant events of the exchange, appended to the node's audit log.

What changes stored intelligence (objects stored, deleted; releases) is appended in
the same transaction as the change. Refused reads are the node's private security
record: they are queued and appended by a background writer, for a withheld object
and an absent one alike, so that the answer to the party costs the same whether or
not the node holds what it asked for (ADR 0006).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Iterator
from typing import Any

from liaison.audit import Action, AuditEntry, AuditLog, ObjectRef
from liaison.audit.binding import binding
from liaison.audit.ledger import Ledger
from liaison.audit.verify import OBJECT_REHANDLED
from liaison.errors import InvalidInputError
from liaison.markings.handling import Handling
from liaison.node import Node
from liaison.service._bound import on_store_connection
from liaison.service.exchange import Verdict
from liaison.store import NewObject, ObjectRow, PartyRecord, Rehandled

__all__ = ["AuditEvents", "audit_log", "partner_ledger"]

log = logging.getLogger("liaison.audit")


@contextlib.contextmanager
def audit_log(node: Node) -> Iterator[AuditLog]:
    """The node's audit log on this thread's store connection (same transactions)."""
    with on_store_connection(node, "audit", lambda c: AuditLog(c, signing_key=node.key)) as log:
        log.use_key(node.key)  # the node's current key, also after a rotation
        yield log


@contextlib.contextmanager
def partner_ledger(node: Node) -> Iterator[Ledger]:
    """The partners' ledgers on this thread's store connection (same transactions)."""
    with on_store_connection(node, "ledger", lambda c: Ledger(c, signing_key=node.key)) as led:
        led.use_key(node.key)
        yield led


_LEDGER_BATCH = 1000  # object references per ledger entry


def _for_ledger(
    party: PartyRecord, action: str, refs: list[ObjectRef]
) -> tuple[str, list[AuditEntry]] | None:
    """The ledger entries (one per batch of references) for ``party``'s ledger."""
    if not refs:
        return None
    entries = [
        AuditEntry.build(action, "node", tuple(refs[i : i + _LEDGER_BATCH]),
                         recipient=party.identity_id)
        for i in range(0, len(refs), _LEDGER_BATCH)
    ]  # fmt: skip
    return party.identity_id, entries


def _ref(obj: Any) -> tuple[ObjectRef, ...]:
    try:
        oid = obj.get("id") if isinstance(obj, dict) else None
        return (ObjectRef(str(oid), None, None),) if oid else ()
    except InvalidInputError:
        return ()


class _Deferred:
    """A background writer of audit entries nobody waits for (refused reads)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._queue: queue.Queue[list[AuditEntry] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        node.on_close(self.stop)

    def put(self, entries: list[AuditEntry]) -> None:
        if not entries:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="liaison-audit-deferred", daemon=True
                )
                self._thread.start()
            self._idle.clear()
            self._queue.put(entries)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every queued entry is in the log."""
        self._idle.wait(timeout)

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = list(first)
            stop = False
            while True:  # everything queued meanwhile goes in the same transaction
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.extend(more)
            try:
                with audit_log(self.node) as audit:
                    audit.append_many(batch)
            except Exception:  # the log must not take the server down
                log.exception("could not append %d refused-read entries", len(batch))
            if self._queue.empty():
                self._idle.set()
            if stop:
                return


class AuditEvents:
    def __init__(self, node: Node) -> None:
        self.node = node
        self._deferred = _Deferred(node)

    def flush(self) -> None:
        """Wait for the refused-read entries still queued (tests, shutdown)."""
        self._deferred.flush()

    def _append(
        self, entries: list[AuditEntry], ledger: tuple[str, list[AuditEntry]] | None = None
    ) -> None:
        """Append to the log -- and to a partner's ledger -- in one transaction."""
        if not entries:
            return
        with audit_log(self.node) as log:
            if ledger is None:
                log.append_many(entries)
                return
            with log.connection.transaction(), partner_ledger(self.node) as led:
                log.append_many(entries)
                led.append(*ledger)

    def stored(
        self,
        party: PartyRecord,
        collection_id: str,
        objs: list[NewObject],
        results: list[tuple[str, bool]],
    ) -> None:
        """Inside the storing transaction: one entry per new version, binding its bytes,
        handling, provenance and originator; a partner's ledger gets the batch."""
        action = Action.OBJECT_CREATED if party.internal else Action.OBJECT_RECEIVED
        fresh = [o for o, (_, is_new) in zip(objs, results, strict=True) if is_new]
        # Checked as ``ObjectRef.build`` checks each, over the batch at once.
        refs = ObjectRef.build_all(
            [o.id for o in fresh],
            [o.version or d for o, (d, is_new) in zip(objs, results, strict=True) if is_new],
            [o.sha256 for o in fresh],  # sha256 of o.body
        )
        sender = party.identity_id
        # The details of each distinct (handling, provenance, sender, originator): the
        # versions of a batch mostly share their stored handling (the same value,
        # ``Admission``), so the binding is made -- and the details checked and encoded
        # (``build_each``) -- once for them. Keyed by the handling's identity: ``objs``
        # holds every one of them for the whole call. A version with the very values
        # of the one before it takes its details without a key made and looked up.
        bound: dict[tuple[int, tuple[str, ...], str, str], dict[str, str]] = {}
        items = []
        last: NewObject | None = None
        details: dict[str, str] = {}
        for o, ref in zip(fresh, refs, strict=True):
            if (
                last is None
                or o.handling is not last.handling
                or o.origins is not last.origins
                or o.received_from != last.received_from
                or o.originator != last.originator
            ):
                origins = o.origins if o.origins.__class__ is tuple else tuple(o.origins)
                key = (id(o.handling), origins, o.received_from, o.originator)
                found = bound.get(key)
                if found is None:
                    found = bound[key] = {
                        "collection": collection_id,
                        "from": sender,
                        "originator": o.originator,
                        "binding": binding(
                            collection_id, o.handling, o.origins, o.received_from, o.originator
                        ),
                    }
                details, last = found, o
            items.append((ref, details))
        entries = AuditEntry.build_each(action, party.name, items)
        self._append(
            entries, None if party.internal else _for_ledger(party, "exchange.received", refs)
        )

    def rehandled(self, party: PartyRecord, items: list[Rehandled]) -> None:
        """Inside the storing transaction: one entry per stored version whose handling
        was recomputed because a marking-definition it awaited arrived, binding the new
        handling (``audit verify`` then checks the version against the latest binding)."""
        entries = []
        for r in items:
            row = r.row
            h = Handling.from_json(r.handling.get("h") or {})
            if h.marking_problem:
                why = f"markings cannot be read: {h.marking_problem}"
            elif h.unresolved_markings:
                why = "still awaiting " + ", ".join(sorted(h.unresolved_markings))
            else:
                why = "every marking-definition it cites is now held"
            entries.append(
                AuditEntry(
                    OBJECT_REHANDLED,
                    party.name,
                    objects=(ObjectRef.for_stored(row.id, row.version, row.body),),
                    reasons=(why,),
                    details={
                        "collection": row.collection_id,
                        "originator": r.originator,
                        "binding": binding(
                            row.collection_id,
                            r.handling,
                            row.origins,
                            row.received_from,
                            r.originator,
                        ),
                    },
                )
            )
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
        """Each release in the log; the page, with the hash of the bytes sent, in the
        partner's ledger.

        The versions of a page released under the same agreement for the same reasons
        share one entry (up to ``_LEDGER_BATCH`` references each, in page order): it
        says of each what an entry of its own would, and ``AuditLog.query(object_id=)``
        finds it by any of them. An entry a version made most of a partner's read.
        """
        build, actor, recipient = AuditEntry.build, party.name, party.identity_id
        refs = [ObjectRef.build(row.id, row.version, row.sha256) for row, _ in items]
        groups: dict[tuple[str | None, tuple[str, ...]], list[ObjectRef]] = {}
        for ref, (_, v) in zip(refs, items, strict=True):
            groups.setdefault((v.agreement_id, tuple(v.reasons[:8])), []).append(ref)
        entries = [
            build(
                Action.OBJECT_RELEASED,
                actor,
                tuple(grouped[i : i + _LEDGER_BATCH]),
                agreement=agreement,
                recipient=recipient,
                decision="allow",
                reasons=reasons,
            )
            for (agreement, reasons), grouped in groups.items()
            for i in range(0, len(grouped), _LEDGER_BATCH)
        ]
        # the partner's ledger: the hash of the bytes sent (a redacted copy's, if one)
        sent = [ref.hashing(v.body or b"") for ref, (_, v) in zip(refs, items, strict=True)]
        self._append(entries, _for_ledger(party, "exchange.released", sent))

    def withheld(
        self,
        party: PartyRecord,
        items: list[tuple[ObjectRow, Verdict]],
        listing: bool = False,
        asked: str | None = None,
    ) -> None:
        """A refused read, queued (see the module docstring). A listing that skipped
        objects is one summary entry (partners poll: one entry per hidden object and
        poll would flood the log); a request for one object names it -- held or not."""
        if listing:
            if not items:
                return
            reasons = sorted({r for _, v in items for r in v.reasons})[:8]
            self._deferred.put(
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
        entries = [
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
        if not entries and asked is not None:
            entries = [
                AuditEntry(
                    Action.READ_DENIED,
                    party.name,
                    objects=_ref({"id": asked}),
                    recipient=party.identity_id,
                    decision="deny",
                    reasons=("not held here",),
                )
            ]
        self._deferred.put(entries)

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
