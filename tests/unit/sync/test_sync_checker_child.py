"""The checking child of a pull (``liaison.sync.checker``), without a partner node."""

from __future__ import annotations

import pickle
import socket
import threading
from dataclasses import replace
from typing import Any

import pytest

from liaison.errors import InvalidInputError
from liaison.sync import Peer, PeerError
from liaison.sync.checker import Checker, Job, _portable, _Reader, available

pytestmark = pytest.mark.skipif(not available(), reason="needs 2 cores")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def job(port: int, token: str | None = "next-1") -> Job:
    peer = Peer(party="MR", url=f"http://127.0.0.1:{port}/taxii2/", user="DZ", token="t", into="c")
    return Job(peer, "MR", "c1", None, token, 10, ({}, frozenset()))


@pytest.mark.timeout(60)
def test_an_error_in_the_child_is_raised_in_the_parent_as_it_was() -> None:
    checker = Checker()
    try:
        checker.request(job(closed_port()))
        with pytest.raises(PeerError) as err:
            checker.take()
        assert "MR: cannot reach" in str(err.value) and "\n" not in str(err.value)
        # the child lives on and takes the next job
        checker.request(job(closed_port()))
        with pytest.raises(PeerError):
            checker.take()
    finally:
        checker.close()


@pytest.mark.timeout(60)
def test_a_child_that_dies_while_the_parent_waits_is_a_peer_error() -> None:
    # a partner that accepts the connection and never answers: the child waits
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = int(server.getsockname()[1])
    checker = Checker()
    try:
        checker.request(job(port))
        conn, _ = server.accept()  # the child is inside its request now
        proc = checker._proc
        assert proc is not None
        threading.Timer(0.5, proc.kill).start()
        with pytest.raises(PeerError, match="checking process ended unexpectedly"):
            checker.take()
        assert proc.returncode == -9
        conn.close()
    finally:
        checker.close()
        server.close()


def test_pages_are_asked_for_one_at_a_time() -> None:
    checker = Checker()
    try:
        checker.request(job(closed_port()))
        with pytest.raises(RuntimeError, match="not taken"):
            checker.request(job(closed_port()))
    finally:
        checker.close()
    with pytest.raises(RuntimeError, match="no page"):
        Checker().take()


def test_errors_cross_the_process_boundary() -> None:
    liaison = _portable(InvalidInputError("MR: answer is not JSON"))
    back = pickle.loads(pickle.dumps(liaison))
    assert type(back) is InvalidInputError and str(back) == "MR: answer is not JSON"
    try:
        raise KeyError("bug")
    except KeyError as exc:
        bug = _portable(exc)
    assert any("in the sync's checking process" in n for n in getattr(bug, "__notes__", []))

    class Local(Exception):  # cannot be pickled: defined in a function
        pass

    odd = _portable(Local("x"))
    assert type(odd) is RuntimeError and "Local: x" in str(odd)


class _Pages:
    """A partner's pages of three, read by token (None the first); ``fail``'s fails."""

    def __init__(self) -> None:
        self.reads: list[str | None] = []
        self.peer = None
        self.fail = "none"

    def objects_page(
        self, cid: str, *, added_after: str | None, limit: int, next_token: str | None
    ) -> tuple[list[Any], bool, str | None, str | None]:
        self.reads.append(next_token)
        if next_token == self.fail:
            raise PeerError("MR: cannot reach it")
        n = int(next_token or 0)
        more = n < 2
        return [{"n": n}], more, (str(n + 1) if more else None), f"t{n}"


def test_the_child_reads_the_next_page_while_this_one_is_checked() -> None:
    pages = _Pages()
    reader = _Reader()
    reader.client = pages  # type: ignore[assignment]
    first = job(closed_port(), None)
    assert reader.page(first)[0] == [{"n": 0}]
    # the next page was asked of the partner already, before the parent asked for it
    second = replace(first, token="1")
    assert reader.page(second)[:3] == ([{"n": 1}], True, "2")
    assert reader.page(replace(first, token="2"))[:2] == ([{"n": 2}], False)
    assert pages.reads == [None, "1", "2"]  # each page read once, none past the last
    # a request for another page than the one read ahead reads it (the other dropped)
    assert reader.page(first)[0] == [{"n": 0}]
    assert reader.page(replace(first, token="2"))[0] == [{"n": 2}]
    assert pages.reads == [None, "1", "2", None, "1", "2"]


def test_an_error_reading_ahead_is_raised_when_that_page_is_asked_for() -> None:
    pages = _Pages()
    reader = _Reader()
    reader.client = pages  # type: ignore[assignment]
    first = job(closed_port(), None)
    pages.fail = "1"
    reader.page(first)  # page "1" is read ahead, and fails: nothing said yet
    with pytest.raises(PeerError, match="cannot reach"):
        reader.page(replace(first, token="1"))
    pages.fail = "none"
    assert reader.page(replace(first, token="1"))[0] == [{"n": 1}]  # read again


def test_the_child_imports_only_what_the_checks_need() -> None:
    """Its start is CPU taken from the pull (0.35 -> 0.16 s here when it stopped importing
    the store, the node, the exchange and httpx's command line): keep it so."""
    import subprocess
    import sys

    from liaison.sync.checker import _CHILD

    probe = _CHILD.replace(
        "main(sys.argv[1:])",
        "from liaison.service import checking; import liaison.service.runtime; "
        "print(' '.join(sorted(sys.modules)))",
    )
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "liaison.service.checking" in loaded and "httpx" in loaded
    heavy = {
        "liaison.node",
        "liaison.store",
        "liaison.service.exchange",
        "liaison.sync.pulling",
        "liaison.policy",
        "liaison.audit",
        "rich",
        "click",
    }
    assert not heavy & loaded
