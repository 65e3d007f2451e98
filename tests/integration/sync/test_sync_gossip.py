"""The source's audit log is tampered with: the puller raises an alarm and stops syncing
with that partner until an operator acknowledges it (``Gossip.acknowledge``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from sync_world import World

from liaison.audit import merkle as M
from liaison.audit.gossip import Alarm, Gossip
from liaison.audit.log import node_key
from liaison.service.events import audit_log
from liaison.sync import PeerError


@pytest.fixture
def synced(two_nodes: World) -> Iterator[World]:
    """DZ has synced twice from MR: MR's head is known and has been extended once."""
    dz, mr = two_nodes["DZ"], two_nodes["MR"]
    mr.post(two_nodes.marked_reports("MR", 4, to=["DZ"]))
    assert dz.pull("MR").stored == 6
    mr.post(two_nodes.marked_reports("MR", 3, to=["DZ"], start=10)[2:])
    assert dz.pull("MR").stored == 3
    yield two_nodes


def _tamper(world: World, *statements: tuple[str, tuple[object, ...]]) -> None:
    """Run SQL on MR's database while MR's server is stopped, then restart it."""
    mr = world["MR"]
    mr.stop()
    db = sqlite3.connect(mr.node.home / "liaison.db")
    try:
        with db:
            for sql, args in statements:
                db.execute(sql, args)
            if any("leaf" in sql for sql, _ in statements):
                _rebuild_tree(db)
    finally:
        db.close()
    mr.start()


def _rebuild_tree(db: sqlite3.Connection) -> None:
    """An insider who rewrote a row recomputes every stored tree node to match."""
    level = [bytes(r[0]) for r in db.execute("SELECT leaf FROM audit_entries ORDER BY seq")]
    height = 0
    while len(level) > 1:
        height += 1
        level = [M.node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        for index, value in enumerate(level):
            db.execute(
                "UPDATE audit_nodes SET hash = ? WHERE key = ?", (value, node_key(height, index))
            )


def _alarms(world: World) -> list[Alarm]:
    with audit_log(world["DZ"].node) as log:
        return Gossip(log.connection, log).open_alarms("MR")


def _acknowledge(world: World, alarm_id: int) -> None:
    with audit_log(world["DZ"].node) as log:
        Gossip(log.connection, log).acknowledge(alarm_id, "duty officer DZ", accept_head=True)


def _blocked_until_acknowledged(world: World, kind: str) -> None:
    dz, mr = world["DZ"], world["MR"]
    fresh = world.marked_reports("MR", 2, to=["DZ"], start=50)[2:]
    mr.post(fresh)
    before = len(dz.rows())
    with pytest.raises(PeerError, match=f"audit alarm \\({kind}\\)"):
        dz.pull("MR")
    alarms = _alarms(world)
    assert [a.kind for a in alarms] == [kind]
    assert len(dz.rows()) == before  # nothing taken from a partner whose log lies

    # still stopped on the next attempt, with a clear instruction
    with pytest.raises(PeerError, match=f"stopped by audit alarm {alarms[0].id}.*audit ack"):
        dz.pull("MR")
    assert len(_alarms(world)) == 1  # the same head does not raise a second alarm
    with audit_log(dz.node) as log:
        assert [e.entry.action for e in log.query(action="audit.peer_alarm")] == [
            "audit.peer_alarm"
        ]

    _acknowledge(world, alarms[0].id)
    report = dz.pull("MR")
    assert report.stored == 2 and report.rejected == 0
    assert all(dz.held(o["id"]) == mr.held(o["id"]) for o in fresh)
    assert _alarms(world) == []


@pytest.mark.slow
def test_truncated_log_is_a_rollback(synced: World) -> None:
    """The last rows (and the heads that covered them) deleted to hide recent releases."""
    with audit_log(synced["DZ"].node) as log:
        kept = Gossip(log.connection, log).peer_head("MR")
    assert kept is not None and kept.size > 8
    cut = kept.size - 8  # rows DZ saw covered by MR's signed head
    _tamper(
        synced,
        ("DELETE FROM audit_entries WHERE seq >= ?", (cut,)),
        ("DELETE FROM audit_refs WHERE seq >= ?", (cut,)),
        ("DELETE FROM audit_heads WHERE size > ?", (cut,)),
        ("DELETE FROM audit_nodes WHERE (key >> 6) >= ?", (cut,)),  # subtrees past the cut
    )
    _blocked_until_acknowledged(synced, "rollback")


@pytest.mark.slow
def test_rewritten_row_with_rebuilt_tree_is_a_fork(synced: World) -> None:
    """An old entry rewritten and every hash recomputed: the next signed head forks."""
    db = synced["MR"].node.home / "liaison.db"
    with sqlite3.connect(db) as c:
        seq, body = c.execute(
            "SELECT seq, body FROM audit_entries WHERE actor = 'analyst' ORDER BY seq LIMIT 1"
        ).fetchone()
        body = bytes(body)
    c.close()
    forged = body.replace(b"analyst", b"analyzt")
    assert forged != body
    _tamper(
        synced,
        (
            "UPDATE audit_entries SET body = ?, leaf = ?, actor = 'analyzt' WHERE seq = ?",
            (forged, M.leaf_hash(forged), seq),
        ),
    )
    # MR serves its stored, genuine head until it signs a new one (after the next post),
    # which cannot extend the head DZ kept.
    _blocked_until_acknowledged(synced, "fork")
