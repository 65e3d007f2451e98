"""``liaison audit verify`` and the console's verification on a LIVE node: objects are
stored and refused reads logged (by the real background writer) while verify runs, on
SQLite and on PostgreSQL. Whatever is written meanwhile, verify reads one snapshot and
reports no problem -- a false "tampered" would scare the operator.

The first test is deterministic: the writes land between two of verify's reads (after
the entries and heads were walked, before the object index totals, the stored objects
and the ledgers are read). The second is the race itself.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import liaison.audit.verify as verify_module
from liaison.audit.ledger import Ledger
from liaison.audit.report import VerifyReport
from liaison.errors import StorageError
from liaison.node import Node
from liaison.service import auditing, build_exchange
from liaison.service.exchange import Exchange, Verdict
from liaison.store import PartyRecord, SqliteStore
from liaison.taxii.status import ingest as taxii_ingest

PARTNER = "identity--00000000-0000-4000-8000-00000000000b"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Node, Exchange]]:
    home = tmp_path / "node"
    if request.param == "sqlite":
        node = Node.init(home, org="DZ", country="DZ")
    else:
        import psycopg

        url = request.getfixturevalue("pg_database")
        with psycopg.connect(url, autocommit=True) as conn:  # a clean slate
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
        node = Node.init(home, org="DZ", country="DZ", store=url)
    node.add_party("analyst", internal=True)
    node.add_party("partner", identity_id=PARTNER)
    ex = build_exchange(node)
    try:
        yield node, ex
    finally:
        node.close()


def _write(node: Node, ex: Exchange, party: PartyRecord, stix: Any, n: int = 2) -> None:
    """Objects stored (with their entries, atomically), the last released to the
    partner (an entry and the partner's ledger, atomically) and a refused read queued
    for the background writer; returns once all are committed."""
    objs = stix.many(n)
    status = taxii_ingest(ex, party, node.default_collection_id, {"objects": objs})
    assert status["success_count"] == n
    row = next(r for r, _ in node.store.iter_versions() if r.id == objs[-1]["id"])
    verdict = Verdict(row.body, ("test",), "agreement--test")
    ex.events.released(node.store.party("partner"), [(row, verdict)])
    ex.events.withheld(party, [], asked=f"indicator--{uuid.uuid4()}")
    ex.events.flush()


def _verifiers(node: Node) -> list[Callable[[], VerifyReport]]:
    """The console's verification and the CLI's (``open_home``), on the same home."""

    def cli() -> VerifyReport:
        with auditing.open_home(node.home) as home:
            return home.verify()

    return [lambda: auditing.verify(node)[0], cli]


def _problems(report: VerifyReport) -> list[str]:
    return [f"{p.kind}: {p.message}" for p in report.problems]


def test_writes_between_verifys_reads_are_not_half_seen(
    live: tuple[Node, Exchange], monkeypatch: pytest.MonkeyPatch, stix_factory: Any
) -> None:
    node, ex = live
    party = node.store.party("analyst")
    _write(node, ex, party, stix_factory)
    judge, entries = verify_module.judge_heads, Ledger.entries
    during = {"on": True}

    def elsewhere() -> None:
        # Another thread (another connection) writes now, and commits.
        if during["on"]:
            t = threading.Thread(target=_write, args=(node, ex, party, stix_factory))
            t.start()
            t.join()

    def judge_then_write(*args: Any, **kwargs: Any) -> Any:
        elsewhere()  # the entries and heads walked; the object index, objects, ledgers not
        return judge(*args, **kwargs)

    def entries_then_write(self: Ledger, who: str) -> Any:
        found = entries(self, who)
        elsewhere()  # a ledger's entries read; its tree nodes and heads not
        return found

    monkeypatch.setattr(verify_module, "judge_heads", judge_then_write)
    monkeypatch.setattr(Ledger, "entries", entries_then_write)
    for run in _verifiers(node):
        report = run()
        assert _problems(report) == []
    during["on"] = False
    after, size = auditing.verify(node)
    assert _problems(after) == []
    # what the last run's hooks wrote (objects, releases, refused reads) is seen now
    assert size == report.size + 8
    assert after.objects_checked == report.objects_checked + 4


def test_verify_on_a_live_node_reports_no_problem(
    live: tuple[Node, Exchange], stix_factory: Any
) -> None:
    node, ex = live
    party = node.store.party("analyst")
    _write(node, ex, party, stix_factory)
    stop = threading.Event()
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            while not stop.is_set():
                _write(node, ex, party, stix_factory, n=1)
        except BaseException as exc:
            failures.append(exc)

    t = threading.Thread(target=writer)
    t.start()
    try:
        for _ in range(8):
            for run in _verifiers(node):
                assert _problems(run()) == []
    finally:
        stop.set()
        t.join()
    assert not failures
    assert _problems(auditing.verify(node)[0]) == []


def test_a_verify_that_fails_leaves_no_transaction_open(
    live: tuple[Node, Exchange], monkeypatch: pytest.MonkeyPatch, stix_factory: Any
) -> None:
    """However verify ends, its snapshot ends with it (SQLite: a read transaction left
    open would keep the WAL from being checkpointed): the node writes on."""
    node, ex = live
    party = node.store.party("analyst")
    _write(node, ex, party, stix_factory)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise StorageError("the disk went away")

    monkeypatch.setattr(verify_module, "judge_heads", broken)
    report, size = auditing.verify(node)
    assert [p.kind for p in report.problems] == ["unreadable"]
    assert size == 4  # 2 objects, a release, a refused read
    with pytest.raises(StorageError), auditing.open_home(node.home) as home:
        home.verify()
    monkeypatch.undo()
    store = node.store
    if isinstance(store, SqliteStore):
        conn = store._connection()
        assert not conn.in_transaction
        assert conn.execute("PRAGMA query_only").fetchone()[0] == 0
    _write(node, ex, party, stix_factory)  # on this thread's connection too
    assert _problems(auditing.verify(node)[0]) == []
