"""Tamper-evident audit log: RFC 9162 Merkle tree, signed tree heads, proofs, gossip.

Usage::

    import sqlite3
    from liaison.audit import Action, AuditEntry, AuditLog, ObjectRef
    from liaison.signing import SigningKey

    key = SigningKey.generate()
    conn = sqlite3.connect("liaison.db")
    log = AuditLog(conn, signing_key=key)        # signs a tree head per batch
    log.append(AuditEntry(Action.OBJECT_CREATED, "analyst@fr",
                          objects=(ObjectRef.for_stored(obj_id, modified, stored_bytes),)))
    head = log.latest_head()
    proof = log.inclusion_proof(0, head.size)
    assert proof.verify(head.root_hash)
    report = log.verify(key.public_key_b64)      # report.ok, report.problems

    gossip = Gossip(conn, audit=log)             # partners' heads, alarms
    result = gossip.observe("peer-ml", their_head, their_proof, their_public_key)
    gossip.peer_blocked("peer-ml")               # True until `liaison audit ack`
"""

from liaison.audit.entry import Action, AuditEntry, AuditRecord, ObjectRef
from liaison.audit.gossip import Alarm, Gossip, GossipResult, check_peer_head
from liaison.audit.heads import SignedTreeHead, sign_tree_head
from liaison.audit.log import AuditLog
from liaison.audit.proofs import ConsistencyProof, InclusionProof
from liaison.audit.verify import Problem, StoredObjects, VerifyReport

__all__ = [
    "Action",
    "Alarm",
    "AuditEntry",
    "AuditLog",
    "AuditRecord",
    "ConsistencyProof",
    "Gossip",
    "GossipResult",
    "InclusionProof",
    "ObjectRef",
    "Problem",
    "SignedTreeHead",
    "StoredObjects",
    "VerifyReport",
    "check_peer_head",
    "sign_tree_head",
]
