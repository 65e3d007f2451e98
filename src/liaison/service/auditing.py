"""The audit log and the partners' ledgers, as the outer layers may use them.

Who may see which head: a partner checks its own ledger (never the node's whole log,
ADR 0006), the node's own parties the whole log. The console's audit page, the CLI
and the Liaison endpoints ask here; none opens the log itself.
"""

from __future__ import annotations

from liaison.audit import AuditRecord, ConsistencyProof, InclusionProof, SignedTreeHead
from liaison.audit.report import VerifyReport
from liaison.errors import LiaisonError
from liaison.node import Node
from liaison.service.events import audit_log, partner_ledger
from liaison.service.integrity import retired_keys, stored_versions
from liaison.store import PartyRecord

__all__ = ["consistency_for", "head_for", "inclusion", "recent", "verify"]


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
    log's size (for a page that shows it when verification could not run)."""
    with audit_log(node) as log:
        try:
            keys = [node.key.public_key_b64, *retired_keys(node)]
            report = log.verify(keys, lambda: stored_versions(node.store))
        except LiaisonError as exc:
            report = VerifyReport()
            report.add("unreadable", str(exc))
            return report, log.size()
    with partner_ledger(node) as led:
        for problem in led.verify(keys):
            report.add("ledger", str(problem))
    return report, report.size
