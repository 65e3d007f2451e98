"""The source's ledger for the puller is tampered with: the puller raises an alarm and
stops syncing with that partner until an operator acknowledges it (``Gossip.acknowledge``).

A partner checks the ledger the source keeps for it (ADR 0006), not the source's whole
log: these tests rewrite, truncate and fork MR's ledger for DZ in MR's database."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import httpx
import pytest
from sync_world import World

from liaison import merkle as M
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
                _rebuild_tree(db, world["DZ"].node.identity_id)
    finally:
        db.close()
    mr.start()


def _rebuild_tree(db: sqlite3.Connection, party: str) -> None:
    """An insider who rewrote a row recomputes every stored tree node to match."""
    level = [
        bytes(r[0])
        for r in db.execute(
            "SELECT leaf FROM ledger_entries WHERE party = ? ORDER BY seq", (party,)
        )
    ]
    height = 0
    while len(level) > 1:
        height += 1
        level = [M.node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        for index, value in enumerate(level):
            db.execute(
                "UPDATE ledger_nodes SET hash = ? WHERE party = ? AND key = ?",
                (value, party, node_key(height, index)),
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
def test_truncated_ledger_is_a_rollback(synced: World) -> None:
    """The last ledger rows (and the heads that covered them) deleted to hide releases."""
    dz = synced["DZ"].node.identity_id
    with audit_log(synced["DZ"].node) as log:
        kept = Gossip(log.connection, log).peer_head("MR")
    assert kept is not None and kept.scope == dz and kept.size >= 3
    cut = kept.size - 2  # rows DZ saw covered by MR's signed head
    _tamper(
        synced,
        ("DELETE FROM ledger_entries WHERE party = ? AND seq >= ?", (dz, cut)),
        ("DELETE FROM ledger_heads WHERE party = ? AND size > ?", (dz, cut)),
        ("DELETE FROM ledger_nodes WHERE party = ? AND (key >> 6) >= ?", (dz, cut)),
    )
    _blocked_until_acknowledged(synced, "rollback")


@pytest.mark.slow
def test_rewritten_ledger_row_with_rebuilt_tree_is_a_fork(synced: World) -> None:
    """An old ledger entry rewritten and every hash recomputed: the next signed head forks."""
    dz = synced["DZ"].node.identity_id
    db = synced["MR"].node.home / "liaison.db"
    with sqlite3.connect(db) as c:
        seq, body = c.execute(
            "SELECT seq, body FROM ledger_entries WHERE party = ? AND action = ?"
            " ORDER BY seq LIMIT 1",
            (dz, "exchange.released"),
        ).fetchone()
        body = bytes(body)
    c.close()
    forged = body.replace(b"report--", b"report--0", 1)
    assert forged != body
    _tamper(
        synced,
        (
            "UPDATE ledger_entries SET body = ?, leaf = ? WHERE party = ? AND seq = ?",
            (forged, M.leaf_hash(forged), dz, seq),
        ),
    )
    # MR serves its stored, genuine head until it signs a new one for DZ's ledger (after
    # the next release to DZ), which cannot extend the head DZ kept.
    mr = synced["MR"]
    mr.post(synced.marked_reports("MR", 1, to=["DZ"], start=40)[2:])
    assert synced["DZ"].pull("MR").stored == 1
    _blocked_until_acknowledged(synced, "fork")


def test_the_ledger_grows_with_dz_s_exchanges_only(synced: World) -> None:
    """MR storing, refusing and releasing to others leaves DZ's ledger as it was."""
    dz, mr = synced["DZ"], synced["MR"]
    assert dz.pull("MR").stored == 0  # the kept head now covers every earlier exchange
    with audit_log(dz.node) as log:
        before = Gossip(log.connection, log).peer_head("MR")
    mr.post(synced.marked_reports("MR", 5, to=[], start=70))  # not releasable to DZ
    hidden = next(r.id for r in mr.rows() if r.type == "report" and not dz.held(r.id))
    base = f"http://127.0.0.1:{mr.port}/api/collections/{mr.collection_id}/objects/"
    for oid in (hidden, "report--00000000-0000-4000-8000-000000000000"):  # withheld, absent
        r = httpx.get(
            f"{base}{oid}/",
            auth=("DZ", mr.tokens["DZ"]),
            headers={"Accept": "application/taxii+json;version=2.1"},
            timeout=10,
        )
        assert r.status_code == 404
    assert dz.pull("MR").stored == 0
    with audit_log(dz.node) as log:
        after = Gossip(log.connection, log).peer_head("MR")
    assert before is not None and after is not None
    assert (after.size, after.root_hash) == (before.size, before.root_hash)
