"""The originator keeps one verifiable receipt per synced page; forged ones are refused."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from sync_world import World

from liaison.agreements.receipts import make_receipt, verify_receipt
from liaison.errors import LiaisonError, SignatureError
from liaison.signing import SigningKey
from liaison.sync import PeerClient, PeerError, get_peer


def _receipts(world: World, code: str) -> list[dict[str, object]]:
    return [r for _, r in world[code].node.store.records("receipt")]


def test_one_verifiable_receipt_per_synced_page(two_nodes: World) -> None:
    dz, mr = two_nodes["DZ"], two_nodes["MR"]
    objs = two_nodes.marked_reports("MR", 23, to=["DZ"])
    mr.post(objs)
    report = dz.pull("MR", page_size=10)
    assert report.pages == 3 and report.stored == 25

    kept = _receipts(two_nodes, "MR")
    assert len(kept) == 3  # pages of 10, 10 and 5
    assert sorted(len(r["objects"]) for r in kept) == [5, 10, 10]  # type: ignore[arg-type]
    source = {r.id: r for r in mr.rows()}
    listed = []
    for r in kept:
        verify_receipt(r, dz.node.key.public_key_b64)  # DZ's pinned key
        assert (r["receiver"], r["sender"]) == (dz.node.identity_id, mr.node.identity_id)
        assert r["collection"] == mr.collection_id
        for o in r["objects"]:  # type: ignore[attr-defined]
            row = source[o["id"]]
            assert o["version"] == row.version
            assert o["digest"] == row.sha256 == hashlib.sha256(row.body).hexdigest()
            listed.append(o["id"])
    assert sorted(listed) == sorted(source)  # every object acknowledged exactly once
    # DZ keeps a copy of what it sent
    sent = {k for k, _ in dz.node.store.records("receipt-sent")}
    assert sent == {str(r["id"]) for r in kept}

    # a pull with nothing new sends no receipt
    dz.pull("MR", page_size=10)
    assert len(_receipts(two_nodes, "MR")) == 3


def _genuine(world: World) -> dict[str, object]:
    dz, mr = world["DZ"], world["MR"]
    return make_receipt(
        dz.node.key,
        receiver=dz.node.identity_id,
        sender=mr.node.identity_id,
        collection=mr.collection_id,
        received="2026-03-01T06:00:01.000000Z",
        objects=[{"id": "report--x", "version": "v", "digest": "0" * 64}],
    )


def test_forged_receipts_are_refused(two_nodes: World) -> None:
    dz, mr = two_nodes["DZ"], two_nodes["MR"]
    peer = get_peer(dz.node, "MR")
    forged_key = make_receipt(
        SigningKey.generate(),  # not DZ's pinned key
        receiver=dz.node.identity_id,
        sender=mr.node.identity_id,
        collection=mr.collection_id,
        received="2026-03-01T06:00:01.000000Z",
        objects=[{"id": "report--x", "version": "v", "digest": "0" * 64}],
    )
    changed = _genuine(two_nodes)
    changed["objects"] = [{"id": "report--y", "version": "v", "digest": "1" * 64}]
    with PeerClient(peer) as c:
        with pytest.raises(SignatureError, match="refused our signature"):
            c.post_json("liaison/receipts/", forged_key)
        with pytest.raises(SignatureError):
            c.post_json("liaison/receipts/", changed)
        with pytest.raises(PeerError, match="400"):
            c.post_json("liaison/receipts/", {"id": "receipt--1"})
        # a receipt DZ signed, but claiming to come from another receiver
        other = _genuine(two_nodes)
        other["receiver"] = mr.node.identity_id
        with pytest.raises(LiaisonError):
            c.post_json("liaison/receipts/", other)
        good = _genuine(two_nodes)
        assert c.post_json("liaison/receipts/", good) == {"stored": good["id"]}
    # an internal client cannot file receipts at all
    analyst = PeerClient(replace(peer, user="analyst", token=mr.tokens["analyst"]))
    with analyst, pytest.raises(PeerError, match="403"):
        analyst.post_json("liaison/receipts/", _genuine(two_nodes))
    assert [r["id"] for r in _receipts(two_nodes, "MR")] == [good["id"]]
