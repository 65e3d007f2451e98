"""Pages checked in a second process (``liaison.sync.checker``): same guarantees.

A pull fetches its first page itself and the next ones through the checking child.
These tests run the real child against a real ``liaison serve``: the checkpoint still
moves only after a page is stored and its receipt sent; a signature forged in a page
the child checked is refused, audited here and retried; a child that dies mid-pull is
a one-line ``PeerError`` and the next pull resumes with nothing lost or doubled.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from sync_world import World, body_of, cli_env
from tamper_proxy import Proxy

from liaison.service.events import audit_log
from liaison.service.peers import retry_list
from liaison.signing.objects import verify_object
from liaison.sync import PeerError
from liaison.sync import checker as checker_mod

pull_mod = importlib.import_module("liaison.sync.pulling")

PAGE = 10
N = 40  # + 2 markings: pages of 10, 10, 10, 10, 2

pytestmark = pytest.mark.skipif(not checker_mod.available(), reason="needs 2 cores")


def _fill(world: World, n: int = N) -> None:
    objs = world.marked_reports("MR", n, to=["DZ"])
    status = world["MR"].post(objs)
    assert status["failure_count"] == 0, status["failures"][:3]


def _same_as_source(world: World) -> None:
    dz, mr = world["DZ"], world["MR"]
    src, got = mr.rows(), dz.rows()
    assert len(got) == len(src)  # nothing stored twice
    assert {(r.id, r.version): body_of(r) for r in got} == {
        (r.id, r.version): body_of(r) for r in src
    }
    ring = {mr.node.identity_id: {mr.node.key.fingerprint: mr.node.key.public_key_b64}}
    for r in got:
        verify_object(body_of(r), ring)


class Children(list[subprocess.Popen[bytes]]):
    """The checking processes the pulls started, and how many pages they checked."""

    pages = 0


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> Children:
    """The real ``Checker``, watched; the pull waits for the child to be ready (so that
    every page after the first goes through it, however slow the machine)."""
    started = Children()
    real_start, real_ready, real_take = (
        checker_mod.Checker._start,
        checker_mod.Checker.ready,
        checker_mod.Checker.take,
    )

    def start(self: checker_mod.Checker) -> Any:
        conn = real_start(self)
        assert self._proc is not None
        started.append(self._proc)
        return conn

    def ready(self: checker_mod.Checker) -> bool:
        if self._conn is not None and not self._ready:
            self._conn.poll(60)  # the child's "ready"
        return real_ready(self)

    def take(self: checker_mod.Checker, **kw: Any) -> checker_mod.CheckedPage:
        page = real_take(self, **kw)
        started.pages += 1
        return page

    monkeypatch.setattr(checker_mod.Checker, "_start", start)
    monkeypatch.setattr(checker_mod.Checker, "ready", ready)
    monkeypatch.setattr(checker_mod.Checker, "take", take)
    return started


def test_pages_after_the_first_are_checked_by_the_child_in_order(
    two_nodes: World, children: Children, monkeypatch: pytest.MonkeyPatch
) -> None:
    dz, mr = two_nodes["DZ"], two_nodes["MR"]
    _fill(two_nodes)
    events: list[tuple[str, int, int]] = []  # (what, receipts sent so far, objects held)
    lock = threading.Lock()
    real_receipt, real_checkpoint = pull_mod._send_receipt, pull_mod.set_checkpoint

    def held() -> int:
        return dz.node.store.count_objects(dz.collection_id)

    def send_receipt(*args: Any) -> None:
        real_receipt(*args)
        with lock:
            events.append(("receipt", sum(e[0] == "receipt" for e in events) + 1, held()))

    def set_checkpoint(*args: Any, **kw: Any) -> None:
        with lock:
            sent = sum(e[0] == "receipt" for e in events)
            events.append(("checkpoint", sent, held()))
        real_checkpoint(*args, **kw)

    monkeypatch.setattr(pull_mod, "_send_receipt", send_receipt)
    monkeypatch.setattr(pull_mod, "set_checkpoint", set_checkpoint)

    report = dz.pull("MR", page_size=PAGE)
    assert (report.pages, report.stored, report.rejected) == (5, N + 2, 0), report.reasons
    assert len(children) == 1 and children[0].poll() is not None  # one child, stopped
    assert children.pages == 4  # every page after the first
    _same_as_source(two_nodes)
    # each page: its receipt, then its checkpoint, once its objects are held
    kinds = [e[0] for e in events]
    assert kinds == ["receipt", "checkpoint"] * 5
    for k, (_, sent, objects) in enumerate(events[1::2], start=1):
        assert sent == k
        assert objects >= min(PAGE * k, N + 2)
    receipts = mr.node.store.records("receipt")
    assert len(receipts) == 5
    # complete: the next pull reads one empty page and starts no child
    assert dz.pull("MR", page_size=PAGE).received == 0
    assert len(children) == 1


def test_checking_child_killed_mid_pull_is_one_clean_error_then_resumes(
    two_nodes: World, children: Children
) -> None:
    dz = two_nodes["DZ"]
    _fill(two_nodes)

    killed: list[int] = []

    def progress(_title: str, stored: int, _rejected: int) -> None:
        if stored >= 2 * PAGE and not killed:  # the child's first page is stored
            os.kill(children[0].pid, signal.SIGKILL)
            killed.append(children[0].pid)

    with pytest.raises(PeerError) as err:
        dz.pull("MR", page_size=PAGE, progress=progress)
    text = str(err.value)
    assert "checking process ended" in text and "\n" not in text
    assert children[0].poll() == -signal.SIGKILL
    assert PAGE * 2 <= len(dz.rows()) < N + 2
    final = dz.pull("MR", page_size=PAGE)
    assert final.rejected == 0, final.reasons
    _same_as_source(two_nodes)
    assert all(c.poll() is not None for c in children)


def test_signature_forged_in_a_page_the_child_checks_is_refused_and_audited(
    proxied: tuple[World, Proxy], children: Children
) -> None:
    world, proxy = proxied
    dz, mr = world["DZ"], world["MR"]
    _fill(world)
    target = b"Convoy sighting 33 near"  # on the fourth page: checked by the child

    def alter(path: str, body: bytes) -> bytes:
        return body.replace(target, b"Convoy sighting 34 near") if "/objects/" in path else body

    proxy.alter = alter
    report = dz.pull("MR", page_size=PAGE)
    assert children.pages == 4, "not every page after the first went through the child"
    forged = [r for r in mr.rows() if target in r.body]
    assert len(forged) == 1
    oid = forged[0].id
    assert report.rejected == 1 and report.stored == N + 1
    assert report.reasons[0].startswith(f"{oid}: ") and "altered" in report.reasons[0]
    assert dz.held(oid) is None
    with audit_log(dz.node) as log:
        refused = log.query(action="object.rejected")
    assert [e.entry.objects[0].id for e in refused] == [oid]
    assert oid in retry_list(dz.node, "MR", mr.collection_id)

    proxy.alter = None  # the genuine object comes by id at the next pull
    again = dz.pull("MR", page_size=PAGE)
    assert again.stored == 1 and again.rejected == 0
    _same_as_source(world)


def test_child_error_is_the_error_the_thread_pipeline_raises(
    two_nodes: World, children: Children
) -> None:
    """The partner gone after the first page: the child's ``PeerError``, as it was."""
    dz, mr = two_nodes["DZ"], two_nodes["MR"]
    _fill(two_nodes)

    def progress(_title: str, stored: int, _rejected: int) -> None:
        if stored and mr.running:
            mr.kill()

    with pytest.raises(PeerError) as err:
        dz.pull("MR", page_size=PAGE, progress=progress)
    assert "cannot reach" in str(err.value) and "\n" not in str(err.value)
    assert all(c.poll() is not None for c in children)
    mr.start()
    assert dz.pull("MR", page_size=PAGE).rejected == 0
    _same_as_source(two_nodes)


def _checkers() -> set[int]:
    """Pids of live checking processes (of any pull on this machine)."""
    out = set()
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"from liaison.sync.checker import main" in f.read():
                    out.add(int(pid))
        except (OSError, ValueError):
            continue
    return out


@pytest.mark.timeout(120)
def test_ctrl_c_stops_liaison_sync_and_its_child(proxied: tuple[World, Proxy]) -> None:
    world, proxy = proxied
    dz = world["DZ"]
    _fill(world)
    asked = threading.Event()

    def slow(path: str, body: bytes) -> bytes:
        if "/objects/" in path and "next=" in path:
            asked.set()  # a page after the first: the child is fetching
            time.sleep(1.0)
        return body

    proxy.alter = slow
    before = _checkers()
    cli = subprocess.Popen(
        [sys.executable, "-m", "liaison", "sync", str(dz.node.home), "--quiet", "--page-size", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
        # a test run in the background ignores SIGINT, and a child would inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert asked.wait(60), "no page after the first was asked for"
        started = _checkers() - before
        assert started, "the pull started no checking process"
        cli.send_signal(signal.SIGINT)
        _, err = cli.communicate(timeout=20)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    assert cli.returncode == 130, err
    assert b"interrupted" in err and b"Traceback" not in err, err
    deadline = time.monotonic() + 10
    while started & _checkers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not started & _checkers()
    # and the next pull resumes where the interrupted one stopped
    assert dz.pull("MR", page_size=PAGE).rejected == 0
    _same_as_source(world)
