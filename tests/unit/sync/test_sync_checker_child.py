"""The checking child of a pull (``liaison.sync.checker``), without a partner node."""

from __future__ import annotations

import pickle
import socket
import threading

import pytest

from liaison.errors import InvalidInputError
from liaison.sync import Peer, PeerError
from liaison.sync.checker import Checker, Job, _portable, available

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
