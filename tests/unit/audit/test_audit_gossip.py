"""Gossip: a partner's heads must extend each other; anything else raises an alarm and blocks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from audit_support import MakeEntries, open_db

from liaison.audit import Action, AuditLog, Gossip, SignedTreeHead, check_peer_head
from liaison.errors import ConflictError, InvalidInputError, NotFoundError
from liaison.signing import SigningKey

PEER = "node-ml"


@pytest.fixture
def peer_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def peer_log(tmp_path: Path, peer_key: SigningKey) -> AuditLog:
    """The partner's log, in the partner's own database."""
    return AuditLog(open_db(tmp_path / "peer.db"), signing_key=peer_key)


@pytest.fixture
def gossip(log: AuditLog) -> Gossip:
    return Gossip(log.connection, audit=log, actor="node-fr")


def test_pure_check_covers_every_case(
    peer_log: AuditLog, peer_key: SigningKey, make_entries: MakeEntries, tmp_path: Path
) -> None:
    pk = peer_key.public_key_b64
    peer_log.append_many(make_entries(5))
    h5 = peer_log.latest_head()
    assert h5 is not None
    assert check_peer_head(None, h5, [], pk).kind == "first-seen"
    assert check_peer_head(h5, h5, [], pk).kind == "unchanged"
    peer_log.append_many(make_entries(6, 5))
    h11 = peer_log.latest_head()
    assert h11 is not None
    proof = list(peer_log.consistency_proof(5, 11).path)
    ok = check_peer_head(h5, h11, proof, pk)
    assert ok.ok and ok.kind == "extended"
    assert check_peer_head(h11, h5, [], pk).kind == "rollback"
    assert check_peer_head(h5, h11, proof[:-1], pk).kind == "fork"
    assert check_peer_head(h5, h11, proof, SigningKey.generate().public_key_b64).kind == (
        "bad-signature"
    )
    # a second history signed with the same key: same size, other root
    other = AuditLog(open_db(tmp_path / "fork.db"), signing_key=peer_key)
    other.append_many(make_entries(5, 100))
    forked = other.latest_head()
    assert forked is not None
    fork = check_peer_head(h5, forked, [], pk)
    assert not fork.ok and fork.kind == "fork" and "forked" in fork.reason


def test_observe_keeps_good_heads(
    gossip: Gossip, peer_log: AuditLog, peer_key: SigningKey, make_entries: MakeEntries
) -> None:
    pk = peer_key.public_key_b64
    assert gossip.peer_head(PEER) is None
    for n in (3, 4, 0, 9):
        if n:
            peer_log.append_many(make_entries(n, peer_log.size()))
        head = peer_log.tree_head()
        old = gossip.peer_head(PEER)
        proof = list(peer_log.consistency_proof(old.size, head.size).path) if old else []
        result = gossip.observe(PEER, head, proof, pk)
        assert result.ok, result.reason
        assert gossip.peer_head(PEER) == head
    assert not gossip.peer_blocked(PEER) and gossip.open_alarms() == []


def test_rewritten_history_raises_an_alarm_that_blocks_until_acknowledged(
    gossip: Gossip,
    log: AuditLog,
    key: SigningKey,
    peer_log: AuditLog,
    peer_key: SigningKey,
    make_entries: MakeEntries,
    tmp_path: Path,
) -> None:
    pk = peer_key.public_key_b64
    peer_log.append_many(make_entries(8))
    first = peer_log.latest_head()
    assert first is not None
    gossip.observe(PEER, first, [], pk)
    # The partner rebuilds its log with entry 3 changed, then grows it and signs.
    rewritten = AuditLog(open_db(tmp_path / "rewritten.db"), signing_key=peer_key)
    entries = make_entries(12)
    rewritten.append_many([*entries[:3], *make_entries(1, 500), *entries[4:]])
    bad = rewritten.latest_head()
    assert bad is not None
    result = gossip.observe(PEER, bad, list(rewritten.consistency_proof(8, 12).path), pk)
    assert not result.ok and result.kind == "fork"
    assert gossip.peer_blocked(PEER)
    assert gossip.peer_head(PEER) == first  # the baseline is kept
    (alarm,) = gossip.open_alarms()
    assert alarm.peer == PEER and alarm.kind == "fork" and alarm.open
    assert alarm.evidence["received"] == bad.to_dict()
    assert alarm.evidence["previous"] == first.to_dict()
    # retrying the same bad head does not pile up alarms
    gossip.observe(PEER, bad, [], pk)
    assert len(gossip.open_alarms(PEER)) == 1
    # the alarm is in our own audit log, signed
    assert [r.entry.action for r in log.query(action=Action.PEER_HEAD_ALARM)] == [
        "audit.peer_alarm"
    ]
    # alarms survive a restart
    assert Gossip(log.connection).peer_blocked(PEER)

    done = gossip.acknowledge(alarm.id, "operator.dupont")
    assert not done.open and done.acknowledged_by == "operator.dupont"
    assert not gossip.peer_blocked(PEER)
    assert gossip.peer_head(PEER) == first  # not accepted: the fork is still a fork
    with pytest.raises(ConflictError):
        gossip.acknowledge(alarm.id, "operator.dupont")
    acks = log.query(action=Action.ALARM_ACKNOWLEDGED)
    assert [r.entry.actor for r in acks] == ["operator.dupont"]
    assert log.verify(key.public_key_b64).ok


def test_acknowledging_can_adopt_the_new_head(
    gossip: Gossip, peer_log: AuditLog, peer_key: SigningKey, make_entries: MakeEntries
) -> None:
    pk = peer_key.public_key_b64
    peer_log.append_many(make_entries(6))
    h6 = peer_log.latest_head()
    assert h6 is not None
    gossip.observe(PEER, h6, [], pk)
    peer_log.connection.execute("DELETE FROM audit_heads")
    peer_log.connection.execute("DELETE FROM audit_entries WHERE seq >= 4")
    peer_log.connection.execute("DELETE FROM audit_nodes WHERE key >= ?", (4 << 6,))
    shrunk = peer_log.tree_head()
    result = gossip.observe(PEER, shrunk, [], pk)
    assert result.kind == "rollback" and gossip.peer_blocked(PEER)
    (alarm,) = gossip.open_alarms(PEER)
    gossip.acknowledge(alarm.id, "operator", accept_head=True)
    assert gossip.peer_head(PEER) == shrunk and not gossip.peer_blocked(PEER)


def test_bad_signature_blocks_too(
    gossip: Gossip, peer_log: AuditLog, make_entries: MakeEntries
) -> None:
    peer_log.append_many(make_entries(2))
    head = peer_log.latest_head()
    assert head is not None
    impostor = SigningKey.generate().public_key_b64
    assert gossip.observe(PEER, head, [], impostor).kind == "bad-signature"
    assert gossip.peer_blocked(PEER) and not gossip.peer_blocked("someone-else")
    assert gossip.peer_head(PEER) is None


def test_manual_alarms_and_errors(gossip: Gossip, conn: sqlite3.Connection) -> None:
    alarm = gossip.raise_alarm(PEER, "receipts missing since 06:00", evidence={"n": 3})
    assert alarm.kind == "manual" and gossip.alarm(alarm.id) == alarm
    assert gossip.alarms(include_acknowledged=True) == [alarm]
    with pytest.raises(InvalidInputError):
        gossip.acknowledge(alarm.id, " ")
    with pytest.raises(InvalidInputError):
        gossip.acknowledge(alarm.id, "op", accept_head=True)  # no head in the evidence
    with pytest.raises(NotFoundError):
        gossip.acknowledge(999, "op")
    with pytest.raises(InvalidInputError):
        gossip.raise_alarm("", "x")
    other = sqlite3.connect(":memory:")
    with pytest.raises(InvalidInputError):
        Gossip(other, audit=AuditLog(conn))
    other.close()


def test_head_json_from_a_partner_round_trips(
    peer_log: AuditLog, peer_key: SigningKey, make_entries: MakeEntries
) -> None:
    peer_log.append_many(make_entries(4))
    head = peer_log.latest_head()
    assert head is not None
    received = SignedTreeHead.from_dict(head.to_dict())
    assert check_peer_head(None, received, [], peer_key.public_key_b64).ok
