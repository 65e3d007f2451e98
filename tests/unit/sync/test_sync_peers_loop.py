"""Peers (how to reach a partner), checkpoints, and the serve loop's back-off."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from liaison.errors import InvalidInputError, NotFoundError
from liaison.node import Node
from liaison.service import build_exchange
from liaison.service.peers import checkpoint, set_checkpoint
from liaison.sync import Peer, PeerError, SyncLoop, get_peer, peers, pull, put_peer
from liaison.sync.loop import MAX_BACKOFF


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends


def _peer(url: str = "http://127.0.0.1:9/taxii2/", **kw: object) -> Peer:
    args: dict[str, object] = {
        "party": "MR",
        "url": url,
        "user": "DZ",
        "token": "s3cret",
        "into": "c1",
    }
    args.update(kw)
    return Peer(**args)  # type: ignore[arg-type]


def test_peer_checks_and_hides_its_token() -> None:
    with pytest.raises(InvalidInputError, match="http"):
        _peer("ftp://example.org/")
    with pytest.raises(InvalidInputError, match="credential"):
        _peer(token="")
    with pytest.raises(InvalidInputError):
        _peer(user="")
    assert _peer().public()["token"] == "…"
    assert "s3cret" not in repr(_peer().public())


def test_peers_are_stored_and_listed(node: Node) -> None:
    with pytest.raises(NotFoundError, match="liaison party connect"):
        get_peer(node, "MR")
    put_peer(node, _peer(collections=("a", "b")))
    put_peer(node, _peer(party="XX", ca="/etc/ca.pem"))
    assert get_peer(node, "MR") == _peer(collections=("a", "b"))
    assert sorted(p.party for p in peers(node)) == ["MR", "XX"]
    put_peer(node, _peer(user="DZ2"))  # replaces
    assert get_peer(node, "MR").user == "DZ2"


def test_checkpoints_per_party_and_collection(node: Node) -> None:
    assert checkpoint(node, "MR", "c1") is None
    set_checkpoint(node, "MR", "c1", "2026-03-01T06:00:00.000001Z")
    set_checkpoint(node, "MR", "c2", "2026-03-02T06:00:00.000001Z")
    assert checkpoint(node, "MR", "c1") == "2026-03-01T06:00:00.000001Z"
    assert checkpoint(node, "XX", "c1") is None


def test_unreachable_partner_is_a_peer_error(node_factory: Callable[..., Node]) -> None:
    node = node_factory()
    node.add_party("MR", public_key_b64=node.key.public_key_b64)
    peer = _peer(f"http://127.0.0.1:{_closed_port()}/taxii2/")
    put_peer(node, peer)
    with pytest.raises(PeerError, match="MR: cannot reach"):
        pull(build_exchange(node), peer)


def test_loop_backs_off_then_retries(node_factory: Callable[..., Node]) -> None:
    node = node_factory()
    node.add_party("MR", public_key_b64=node.key.public_key_b64)
    put_peer(node, _peer(f"http://127.0.0.1:{_closed_port()}/taxii2/"))
    loop = SyncLoop(build_exchange(node), interval=10)
    assert loop.delay("MR") == 10
    loop.run_once(now=1000.0)
    assert loop.delay("MR") == 20  # one failure: twice the interval
    loop.run_once(now=1005.0)  # not due yet: no new attempt
    assert loop.delay("MR") == 20
    loop.run_once(now=1020.0)
    assert loop.delay("MR") == 40
    for t in range(8):
        loop.run_once(now=1e6 * (t + 1))
    assert loop.delay("MR") == MAX_BACKOFF
    assert SyncLoop(build_exchange(node), interval=0).interval == 1.0
