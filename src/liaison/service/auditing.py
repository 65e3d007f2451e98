"""The audit log and the partners' ledgers, as the outer layers may use them.

Who may see which head: a partner checks its own ledger (never the node's whole log,
ADR 0006), the node's own parties the whole log. The console's audit page, the CLI
and the Liaison endpoints ask here; none opens the log itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from liaison.audit import (
    Alarm,
    AuditLog,
    AuditRecord,
    ConsistencyProof,
    Gossip,
    GossipResult,
    InclusionProof,
    SignedTreeHead,
)
from liaison.audit.ledger import Ledger
from liaison.audit.report import VerifyReport
from liaison.config import SETTINGS_FILE
from liaison.db import Db
from liaison.errors import ConfigError, LiaisonError
from liaison.node import KEY_FILE, Node
from liaison.service.events import audit_log, partner_ledger
from liaison.service.integrity import retired_keys, stored_versions
from liaison.signing import SigningKey, load_or_create_key
from liaison.store import PartyRecord, Store
from liaison.store.db import SqliteDb
from liaison.store.sqlite import open_existing, read_snapshot

__all__ = [
    "AuditedHome",
    "consistency_for",
    "head_for",
    "inclusion",
    "observe",
    "open_alarms",
    "open_home",
    "peer_head",
    "recent",
    "verify",
]


def head_for(node: Node, party: PartyRecord) -> SignedTreeHead:
    """The signed head ``party`` may check: its ledger, or (own parties) the whole log."""
    if not party.internal:
        with partner_ledger(node) as led:
            return led.head(party.identity_id)
    with audit_log(node) as log:
        head = log.latest_head()
        return head if head is not None and head.size == log.size() else log.tree_head()


def consistency_for(node: Node, party: PartyRecord, first: int, second: int) -> ConsistencyProof:
    if not party.internal:
        with partner_ledger(node) as led:
            return led.consistency_proof(party.identity_id, first, second)
    with audit_log(node) as log:
        return log.consistency_proof(first, second)


def inclusion(node: Node, seq: int, size: int) -> InclusionProof:
    """An inclusion proof in the whole log (the node's own auditors only)."""
    with audit_log(node) as log:
        return log.inclusion_proof(seq, size)


def recent(node: Node, limit: int = 200) -> list[AuditRecord]:
    with audit_log(node) as log:
        return log.query(limit=limit, newest_first=True)


def verify(node: Node) -> tuple[VerifyReport, int]:
    """Verify the whole log, the stored objects against it and every ledger; also the
    log's size (for a page that shows it when verification could not run).

    Everything compared is read in one snapshot of the store (``Store.snapshot``): on a
    live node, entries, objects and ledger rows written meanwhile are not half seen."""
    failed: LiaisonError | None = None
    with node.store.snapshot():
        with audit_log(node) as log:
            try:
                keys = [node.key.public_key_b64, *retired_keys(node)]
                report = log.verify(keys, lambda: stored_versions(node.store))
            except LiaisonError as exc:
                failed = exc
        if failed is None:
            with partner_ledger(node) as led:
                for problem in led.verify(keys):
                    report.add("ledger", str(problem))
    if failed is not None:
        report = VerifyReport()
        report.add("unreadable", str(failed))
        with audit_log(node) as log:
            return report, log.size()
    return report, report.size


# --- gossip: the partners' heads this node keeps ---------------------------------------------
def open_alarms(node: Node, peer: str) -> list[Alarm]:
    """Unacknowledged alarms about ``peer`` (sync with it stops while there are any)."""
    with audit_log(node) as log:
        return Gossip(log.connection, log).open_alarms(peer)


def peer_head(node: Node, peer: str) -> SignedTreeHead | None:
    """The last good head of ``peer``'s ledger for us that this node kept."""
    with audit_log(node) as log:
        return Gossip(log.connection, log).peer_head(peer)


def observe(
    node: Node, peer: str, head: SignedTreeHead, proof: tuple[bytes, ...], public_key: str
) -> GossipResult:
    """Check a new head of the ledger ``peer`` keeps for this node; an alarm if it lies."""
    with audit_log(node) as log:
        return Gossip(log.connection, log, actor="sync").observe(
            peer, head, proof, public_key, scope=node.identity_id
        )


# --- an audited home, for the operator's commands ---------------------------------------------
@dataclass
class AuditedHome:
    """A node home's audit log, gossip records and ledgers, for ``liaison audit``.

    ``open_home`` opens a full node home (its store: SQLite or PostgreSQL) or a bare
    directory with ``liaison.db`` and ``node.key`` (forensics on a copied database:
    the stored objects and the ledgers are then not checked).
    """

    key: SigningKey
    names: dict[str, str] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)
    store: Store | None = None
    bare: SqliteDb | None = None

    @contextlib.contextmanager
    def _db(self) -> Iterator[Db]:
        if self.store is not None:
            with self.store.connection() as db:
                yield db
        elif self.bare is not None:
            yield self.bare
        else:
            raise ConfigError("no database open")

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Db]:
        if self.store is not None:
            with self.store.snapshot() as db:
                yield db
        elif self.bare is not None:
            with read_snapshot(self.bare) as db:
                yield db
        else:
            raise ConfigError("no database open")

    def verify(self, trusted: Sequence[str] = ()) -> VerifyReport:
        """Everything compared is read in one snapshot (a live node writes meanwhile)."""
        keys = [self.key.public_key_b64, *trusted]
        with self._snapshot() as db:
            stored = None if self.store is None else (lambda s=self.store: stored_versions(s))
            report = AuditLog(db).verify(keys, stored)
            if self.store is not None:
                for problem in Ledger(db).verify([*keys, *self.retired]):
                    report.add("ledger", str(problem))
        return report

    def query(self, **filters: Any) -> list[AuditRecord]:
        with self._db() as db:
            return AuditLog(db).query(**filters)

    def alarms(self, *, include_acknowledged: bool = False) -> list[Alarm]:
        with self._db() as db:
            return Gossip(db).alarms(include_acknowledged=include_acknowledged)

    def acknowledge(self, alarm_id: int, operator: str, *, accept_head: bool) -> tuple[Alarm, bool]:
        """Close an alarm (logged); also whether its peer is still blocked."""
        with self._db() as db:
            log = AuditLog(db, signing_key=self.key)
            gossip = Gossip(db, audit=log)
            alarm = gossip.acknowledge(alarm_id, operator, accept_head=accept_head)
            return alarm, gossip.peer_blocked(alarm.peer)


@contextlib.contextmanager
def open_home(home: Path) -> Iterator[AuditedHome]:
    """See ``AuditedHome``."""
    if (home / SETTINGS_FILE).exists():
        with Node.open(home) as node:
            yield AuditedHome(node.key, node.names(), retired_keys(node), node.store)
        return
    db_file, key_path = home / "liaison.db", home / KEY_FILE
    if not db_file.exists():
        raise ConfigError(
            f"{home}: not a Liaison node home ({SETTINGS_FILE} or liaison.db missing)"
        )
    if not key_path.exists():
        raise ConfigError(f"{key_path}: node key missing")
    key = load_or_create_key(key_path)
    bare = open_existing(db_file)
    try:
        yield AuditedHome(key, bare=bare)
    finally:
        bare.close()
