"""Gossip: keep each partner's latest signed tree head and check every new one against it.

On every sync the caller (``liaison.sync``)::

    gossip = Gossip(conn, audit=log)            # tables audit_peer_heads, audit_alarms
    if gossip.peer_blocked(peer):
        ...stop: an operator must run `liaison audit ack`
    head = SignedTreeHead.from_dict(fetched_head_json)
    old = gossip.peer_head(peer)
    proof = fetch_consistency_proof(old.size, head.size) if old else []
    result = gossip.observe(peer, head, proof, peer_public_key)
    if not result.ok:
        ...stop: an alarm was raised and the peer is now blocked

A head that does not extend the previous one (history rewritten, truncated or forked) or
does not carry the partner's signature raises an alarm; the partner stays blocked until
every alarm for it is acknowledged. Acknowledging can adopt the offending head as the
new baseline (``accept_head=True``) -- the operator's explicit decision, logged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from liaison.audit.entry import Action, AuditEntry, normalise_time
from liaison.audit.heads import SignedTreeHead
from liaison.audit.log import AuditLog
from liaison.db import Db
from liaison.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    SignatureError,
)
from liaison.merkle import verify_consistency

__all__ = ["Alarm", "Gossip", "GossipResult", "check_peer_head"]


@dataclass(frozen=True)
class GossipResult:
    """``kind``: first-seen, unchanged, extended (ok) or bad-signature, rollback, fork."""

    ok: bool
    kind: str
    reason: str
    head: SignedTreeHead


def check_peer_head(
    previous: SignedTreeHead | None,
    new: SignedTreeHead,
    proof: Sequence[bytes],
    peer_public_key: str,
    scope: str = "",
) -> GossipResult:
    """Is ``new`` a head the peer signed, consistent with the ``previous`` one we kept?

    ``scope``: the ledger the peer keeps for us (our identity). A head of another
    partner's ledger, or a return from our ledger to an unscoped head, is an alarm; the
    first scoped head after an unscoped one (a peer that started keeping ledgers) starts
    a new baseline.
    """
    try:
        new.verify(peer_public_key)
    except SignatureError as exc:
        return GossipResult(False, "bad-signature", f"tree head not signed by the peer: {exc}", new)
    if scope and new.scope not in ("", scope):
        return GossipResult(
            False, "wrong-ledger", "the head is of a ledger kept for another party", new
        )
    if previous is not None and previous.scope != new.scope:
        if previous.scope:
            return GossipResult(
                False, "rollback", "the peer stopped serving the ledger it keeps for us", new
            )
        previous = None  # the peer now serves our ledger: a new baseline
    if previous is None:
        return GossipResult(True, "first-seen", f"first tree head seen (size {new.size})", new)
    if new.size < previous.size:
        return GossipResult(
            False,
            "rollback",
            f"the peer's log shrank from {previous.size} to {new.size} entries: history "
            "was rewritten or truncated",
            new,
        )
    if new.size == previous.size:
        if new.root_hash == previous.root_hash:
            return GossipResult(True, "unchanged", f"no new entries (size {new.size})", new)
        return GossipResult(
            False,
            "fork",
            f"two different roots signed for size {new.size}: the peer's log was forked",
            new,
        )
    if verify_consistency(previous.size, new.size, previous.root_hash, new.root_hash, proof):
        return GossipResult(
            True, "extended", f"log grew from {previous.size} to {new.size} entries", new
        )
    return GossipResult(
        False,
        "fork",
        f"the head for {new.size} entries does not extend the one for {previous.size}: "
        "history was rewritten or forked (consistency proof fails)",
        new,
    )


@dataclass(frozen=True)
class Alarm:
    id: int
    peer: str
    time: str
    kind: str
    reason: str
    evidence: Mapping[str, Any]
    acknowledged_by: str | None
    acknowledged_at: str | None

    @property
    def open(self) -> bool:
        return self.acknowledged_by is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "peer": self.peer,
            "time": self.time,
            "kind": self.kind,
            "reason": self.reason,
            "evidence": dict(self.evidence),
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": self.acknowledged_at,
        }


def _now() -> str:
    return normalise_time(datetime.now(UTC))


class Gossip:
    """Peer heads and alarms in the node's database; alarms go into ``audit`` if given."""

    def __init__(self, conn: Db, audit: AuditLog | None = None, actor: str = "node") -> None:
        if audit is not None and audit.connection is not conn:
            raise InvalidInputError("the gossip tables and the audit log must share a connection")
        self._conn = conn
        self._audit = audit
        self._actor = actor

    # --- peer heads -------------------------------------------------------------------
    def peer_head(self, peer: str) -> SignedTreeHead | None:
        row = self._conn.execute(
            "SELECT head FROM audit_peer_heads WHERE peer = ?", (peer,)
        ).fetchone()
        return None if row is None else SignedTreeHead.from_dict(orjson.loads(row[0]))

    def _keep(self, peer: str, head: SignedTreeHead) -> None:
        self._conn.execute(
            "INSERT INTO audit_peer_heads (peer, head, received_at) VALUES (?, ?, ?)"
            " ON CONFLICT(peer) DO UPDATE SET head = excluded.head,"
            " received_at = excluded.received_at",
            (peer, orjson.dumps(head.to_dict()).decode(), _now()),
        )

    def observe(
        self,
        peer: str,
        new: SignedTreeHead,
        proof: Sequence[bytes],
        peer_public_key: str,
        scope: str = "",
    ) -> GossipResult:
        """Check ``new`` against the kept head; keep it if good, raise an alarm if not."""
        _peer(peer)
        with self._conn.transaction():
            previous = self.peer_head(peer)
            result = check_peer_head(previous, new, proof, peer_public_key, scope)
            if result.ok:
                self._keep(peer, new)  # the latest good head, even if unchanged
            elif not self._already_raised(peer, new):
                evidence = {
                    "previous": previous.to_dict() if previous else None,
                    "received": new.to_dict(),
                    "proof": [h.hex() for h in proof],
                }
                self._raise(peer, result.kind, result.reason, evidence)
        return result

    # --- alarms -----------------------------------------------------------------------
    def _already_raised(self, peer: str, head: SignedTreeHead) -> bool:
        """An open alarm already holds this very head (a blocked sync retried)."""
        signature = head.signature
        return any(
            isinstance(a.evidence.get("received"), Mapping)
            and a.evidence["received"].get("signature") == signature
            for a in self.open_alarms(peer)
        )

    def raise_alarm(
        self,
        peer: str,
        reason: str,
        kind: str = "manual",
        evidence: Mapping[str, Any] | None = None,
    ) -> Alarm:
        _peer(peer)
        if not isinstance(reason, str) or not reason:
            raise InvalidInputError("an alarm needs a reason")
        with self._conn.transaction():
            alarm_id = self._raise(peer, kind, reason, dict(evidence or {}))
        return self.alarm(alarm_id)

    def _raise(self, peer: str, kind: str, reason: str, evidence: Mapping[str, Any]) -> int:
        alarm_id = self._conn.insert_id(
            "INSERT INTO audit_alarms (peer, time, kind, reason, evidence) VALUES (?, ?, ?, ?, ?)"
            " RETURNING id",
            (peer, _now(), kind, reason, orjson.dumps(evidence).decode()),
        )
        if self._audit is not None:
            self._audit.append(
                AuditEntry(
                    Action.PEER_HEAD_ALARM,
                    self._actor,
                    recipient=peer,
                    decision="deny",
                    reasons=(reason[:512],),
                    details={"alarm_id": alarm_id, "kind": kind},
                )
            )
        return alarm_id

    def alarm(self, alarm_id: int) -> Alarm:
        row = self._conn.execute(
            "SELECT id, peer, time, kind, reason, evidence, acknowledged_by, acknowledged_at"
            " FROM audit_alarms WHERE id = ?",
            (alarm_id,),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no audit alarm {alarm_id}")
        return _alarm(row)

    def alarms(self, *, include_acknowledged: bool = False, peer: str | None = None) -> list[Alarm]:
        sql = (
            "SELECT id, peer, time, kind, reason, evidence, acknowledged_by, acknowledged_at"
            " FROM audit_alarms WHERE (? OR acknowledged_by IS NULL) AND (? IS NULL OR peer = ?)"
            " ORDER BY id"
        )
        return [_alarm(r) for r in self._conn.execute(sql, (include_acknowledged, peer, peer))]

    def open_alarms(self, peer: str | None = None) -> list[Alarm]:
        return self.alarms(peer=peer)

    def peer_blocked(self, peer: str) -> bool:
        """True while ``peer`` has an unacknowledged alarm: do not sync with it."""
        row = self._conn.execute(
            "SELECT 1 FROM audit_alarms WHERE peer = ? AND acknowledged_by IS NULL LIMIT 1",
            (peer,),
        ).fetchone()
        return row is not None

    def acknowledge(self, alarm_id: int, operator: str, *, accept_head: bool = False) -> Alarm:
        """Close an alarm. ``accept_head`` adopts the offending head as the new baseline."""
        if not isinstance(operator, str) or not operator.strip():
            raise InvalidInputError("acknowledging an alarm needs the operator's name")
        with self._conn.transaction():
            alarm = self.alarm(alarm_id)
            if not alarm.open:
                raise ConflictError(
                    f"alarm {alarm_id} was already acknowledged by {alarm.acknowledged_by}"
                )
            received = alarm.evidence.get("received")
            if accept_head:
                if not isinstance(received, Mapping):
                    raise InvalidInputError(f"alarm {alarm_id} carries no head to accept")
                self._keep(alarm.peer, SignedTreeHead.from_dict(received))
            self._conn.execute(
                "UPDATE audit_alarms SET acknowledged_by = ?, acknowledged_at = ? WHERE id = ?",
                (operator, _now(), alarm_id),
            )
            if self._audit is not None:
                self._audit.append(
                    AuditEntry(
                        Action.ALARM_ACKNOWLEDGED,
                        operator,
                        recipient=alarm.peer,
                        details={"alarm_id": alarm_id, "accepted_head": accept_head},
                    )
                )
        return self.alarm(alarm_id)


def _peer(peer: object) -> None:
    if not isinstance(peer, str) or not peer or len(peer) > 256:
        raise InvalidInputError("peer must be a non-empty string")


def _alarm(row: tuple[Any, ...]) -> Alarm:
    evidence = orjson.loads(row[5]) if row[5] else {}
    return Alarm(int(row[0]), row[1], row[2], row[3], row[4], evidence, row[6], row[7])
