"""``liaison serve`` builds its search index and correlations in a child process.

The child (``liaison index HOME --follow``) is woken after each store, catches up with
nobody asking, ends with the server -- even one killed with SIGKILL -- and is started
again if it dies. ``liaison index HOME`` catches up once and exits.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from stix_actors import actor

from liaison.node import Node
from liaison.service import Exchange, build_exchange, correlations
from liaison.service import indexing as indexing_mod
from liaison.service.events import AuditEvents
from liaison.service.gate import PolicyGate
from liaison.service.indexing import IndexerProcess, backlogs
from liaison.service.signer import NodeSigner
from liaison.taxii import TAXII

H = {"Accept": TAXII, "Content-Type": TAXII}


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                out.append(int(entry))
    return out


def _cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode() for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait(what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def _backlogs(home: Path) -> tuple[int, int]:
    node = Node.open(home)
    try:
        return backlogs(node)
    finally:
        node.close()


@pytest.fixture
def server(server_factory: Callable[..., Any]) -> Any:
    """A ``liaison serve`` of its own (conftest's ``LiveServer``)."""
    return server_factory()


def _indexer_of(server: Any) -> int:
    assert server.proc is not None
    found: list[int] = []

    def started() -> bool:
        found[:] = [
            p
            for p in _children(server.proc.pid)
            if _cmdline(p)[-3:-1] == ["index", str(server.home.path)]
        ]
        return bool(found)

    _wait("the indexing child starts with the server", started)
    return found[0]


def test_the_child_catches_up_with_nobody_asking(server: Any) -> None:
    child = _indexer_of(server)
    assert _cmdline(child)[-1] == "--follow"
    objs = [actor(i, n) for i, n in enumerate(("Iyad Ag Ghali", "إياد أغ غالي", "Amadou Koufa"))]
    with server.client() as c:
        r = c.post(f"{server.collection_url}objects/", headers=H, json={"objects": objs})
        assert r.json()["success_count"] == 3
    # Nobody searches or reads correlations: the child alone brings both to zero.
    _wait("search and correlations caught up", lambda: _backlogs(server.home.path) == (0, 0))
    node = Node.open(server.home.path)
    try:
        from liaison.service.correlations import correlation_index

        with correlation_index(node, complete=False) as index:
            pairs = {frozenset((c.object_a, c.object_b)) for c in index.list(limit=10)}
    finally:
        node.close()
    assert frozenset((objs[0]["id"], objs[1]["id"])) in pairs


def test_the_child_yields_the_cpu_to_the_server(server: Any) -> None:
    child = _indexer_of(server)
    assert server.proc is not None

    def lowered() -> bool:  # it lowers its own priority once it runs
        served = os.getpriority(os.PRIO_PROCESS, server.proc.pid)
        return os.getpriority(os.PRIO_PROCESS, child) == served + indexing_mod.NICENESS

    _wait("the child runs at a lower priority than the server", lowered)


def test_the_child_ends_with_a_killed_server(server: Any) -> None:
    child = _indexer_of(server)
    server.kill()  # SIGKILL: no shutdown handler runs
    _wait("the child ends at the end of its input", lambda: not _alive(child), timeout=20)


def test_the_child_ends_with_a_stopped_server(server: Any) -> None:
    child = _indexer_of(server)
    server.stop()
    _wait("the child ends with the server", lambda: not _alive(child), timeout=20)


def test_an_interrupted_server_ends_its_child(server: Any) -> None:
    # ^C in a terminal: the server gets SIGINT (the child has a session of its own and
    # does not), stops, and ends the child by closing its input.
    child = _indexer_of(server)
    os.kill(server.proc.pid, signal.SIGINT)
    server.proc.wait(timeout=20)
    _wait("the child ends with the interrupted server", lambda: not _alive(child), timeout=20)


def _exchange_without_workers(node: Node) -> Exchange:
    signer = NodeSigner(node)
    return Exchange(node, PolicyGate(node, signer.resign), signer, AuditEvents(node))


def test_index_command_catches_up_once(tmp_path: Path, cli: Callable[..., Any]) -> None:
    home = tmp_path / "n"
    node = Node.init(home, org="DZ", country="DZ")
    try:
        node.add_party("analyst", internal=True)
        party = node.party("analyst")
        got = _exchange_without_workers(node).receive(
            party,
            node.default_collection_id,
            [actor(1, "Katiba Macina"), actor(2, "Katibat Macina")],
        )
        assert got.new == 2
        assert backlogs(node) == (2, 2)
    finally:
        node.close()
    out = cli("index", str(home)).stdout
    assert "search index: 2 version(s) added; correlated: 2 version(s)" in out
    assert _backlogs(home) == (0, 0)
    again = cli("index", str(home)).stdout
    assert "search index: 0 version(s) added; correlated: 0 version(s)" in again


def test_a_dead_child_is_started_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(indexing_mod, "RESPAWN", 0.0)
    node = Node.init(tmp_path / "n", org="DZ", country="DZ")
    try:
        ex = build_exchange(node, indexing="process")
        worker = ex.correlator
        assert isinstance(worker, IndexerProcess)
        worker.kick()
        first = worker.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        _wait("the killed child is reaped", lambda: worker.pid is None)
        worker.kick()
        assert worker.pid not in (None, first)
        node.add_party("analyst", internal=True)
        ex.receive(node.party("analyst"), node.default_collection_id, [actor(1, "Ansar Dine")])
        _wait("the new child catches up", lambda: backlogs(node) == (0, 0))
    finally:
        node.close()  # stops the child
    assert worker.pid is None


# --- a reader waits for a correlator that makes progress -----------------------------------
def _pending_node(tmp_path: Path, n: int) -> Node:
    node = Node.init(tmp_path / "n", org="DZ", country="DZ")
    node.add_party("analyst", internal=True)
    objs = [actor(i, f"Katiba {i}") for i in range(n)]
    got = _exchange_without_workers(node).receive(
        node.party("analyst"), node.default_collection_id, objs
    )
    assert got.new == n
    return node


def test_a_reader_alone_catches_up_itself(tmp_path: Path) -> None:
    node = _pending_node(tmp_path, 30)
    try:
        assert correlations.settle(node, patience=0.05) == 30
        assert correlations.backlog(node) == 0
        assert correlations.settle(node, patience=0.05) == 0
    finally:
        node.close()


def test_a_reader_waits_for_a_correlator_at_work(tmp_path: Path) -> None:
    node = _pending_node(tmp_path, 30)
    done = threading.Event()

    def slow_correlator() -> None:  # one row at a time, often enough to count as progress
        while correlations.correlate_batch(node, batch=1):
            time.sleep(0.01)
        done.set()

    worker = threading.Thread(target=slow_correlator)
    try:
        worker.start()
        # It waits (doing nothing itself) as long as the other makes progress.
        assert correlations.settle(node, patience=2.0) == 0
        assert correlations.backlog(node) == 0
    finally:
        worker.join(timeout=30)
        node.close()
    assert done.is_set()


def test_a_reader_judges_progress_by_the_watermark_not_by_counting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While objects keep arriving as fast as a correlator takes them, the count of
    pending rows does not fall, yet the correlator is at work: the reader waits for it
    (the watermark moves) -- and never counts the pending rows, a read of every one of
    them ten times a second (issue #15)."""
    node = _pending_node(tmp_path, 30)
    ex = _exchange_without_workers(node)
    counted: list[int] = []
    count = type(node.store).correlation_backlog
    monkeypatch.setattr(
        type(node.store), "correlation_backlog", lambda s: counted.append(1) or count(s)
    )
    done = threading.Event()

    def correlator_with_arrivals() -> None:
        for i in range(30):  # each batch of one is replaced by a new object
            correlations.correlate_batch(node, batch=1)
            ex.receive(node.party("analyst"), node.default_collection_id, [actor(100 + i, "X")])
            time.sleep(0.01)
        while correlations.correlate_batch(node, batch=1):
            time.sleep(0.01)
        done.set()

    worker = threading.Thread(target=correlator_with_arrivals)
    try:
        worker.start()
        assert correlations.settle(node, patience=2.0) == 0  # it correlated nothing itself
        assert node.store.correlation_progress()[1] is False
    finally:
        worker.join(timeout=60)
        node.close()
    assert done.is_set()
    assert counted == []


def test_a_waiting_reader_looks_at_the_backlog_every_poll(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader waiting for a correlator sees it finish within ``POLL``, however long
    its patience: each look is cheap (the watermark, and one pending row at most), and
    a tenth of ``PATIENCE`` made every correlation read after a store wait 25 ms more
    on average."""
    node = _pending_node(tmp_path, 3)
    naps: list[float] = []
    seen = iter([(0, True), (1, True), (1, True), (2, True), (3, False)])
    monkeypatch.setattr(node.store, "correlation_progress", lambda: next(seen))
    monkeypatch.setattr(correlations.time, "sleep", naps.append)
    try:
        assert correlations.settle(node) == 0  # the other correlator did the work
        assert naps == [correlations.POLL] * 4
        assert correlations.POLL <= 0.01 < correlations.PATIENCE / 10
    finally:
        node.close()


def test_by_default_a_reader_waits_out_a_correlators_whole_batch(tmp_path: Path) -> None:
    """A correlator commits once a batch: planning (up to ``SECONDS``), then writing
    (about ``WRITE_SECONDS``), and ``serve``'s child indexes text between two. A reader
    that took that pause for idleness correlated in the server's process as well."""
    node = _pending_node(tmp_path, 8)
    period = correlations.SECONDS + 2 * correlations.WRITE_SECONDS + 0.05

    def batch_correlator() -> None:
        while correlations.correlate_batch(node, batch=1):
            time.sleep(period)

    worker = threading.Thread(target=batch_correlator)
    try:
        worker.start()
        assert correlations.settle(node) == 0  # it correlated nothing itself
        assert correlations.backlog(node) == 0
    finally:
        worker.join(timeout=30)
        node.close()
