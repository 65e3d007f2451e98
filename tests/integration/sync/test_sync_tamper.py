"""A man in the middle changes bytes or replays old answers: nothing false is stored."""

from __future__ import annotations

import re
from dataclasses import replace

import orjson
import pytest
from sync_world import World, WorldFactory, body_of, new_version
from tamper_proxy import Proxy

from liaison.errors import LiaisonError
from liaison.service.events import audit_log
from liaison.sync import get_peer, put_peer


def _objects_page(path: str) -> bool:
    return "/objects/" in path


def test_objects_altered_in_transit_are_rejected(proxied: tuple[World, Proxy]) -> None:
    world, proxy = proxied
    dz, mr = world["DZ"], world["MR"]
    objs = world.marked_reports("MR", 12, to=["DZ"])
    mr.post(objs)
    # same-length edits that keep valid JSON and valid STIX: only signatures can tell
    edits = [
        (b"Convoy sighting 3 near", b"Convoy sighting 8 near"),
        (b"Observation 5: pick-up", b"Observation 5: pick-Up"),
        (b'"Observation 7:', b'"Observation 1:'),
    ]

    def alter(path: str, body: bytes) -> bytes:
        if _objects_page(path):
            for old, new in edits:
                body = body.replace(old, new)
        return body

    proxy.alter = alter
    report = dz.pull("MR")
    altered = {o["id"] for o in objs[2:] if re.search(r"sighting (3|5|7) ", o["name"])}
    assert len(altered) == 3
    assert report.rejected == 3 and report.stored == len(objs) - 3
    assert all("object was altered" in r for r in report.reasons), report.reasons
    assert {r.split(":", 1)[0] for r in report.reasons} == altered
    held = {r.id: body_of(r) for r in dz.rows()}
    assert not altered & set(held)
    assert all(held[o["id"]] == mr.held(o["id"]) for o in objs if o["id"] not in altered)
    with audit_log(dz.node) as log:
        refused = log.query(action="object.rejected")
    assert {e.entry.objects[0].id for e in refused} == altered

    # without the man in the middle, the next pull fetches the genuine objects by id
    proxy.alter = None
    again = dz.pull("MR")
    assert again.stored == 3 and again.rejected == 0 and again.received == 0
    assert all(dz.held(i) == mr.held(i) for i in altered)


def test_signature_swapped_between_objects_is_rejected(proxied: tuple[World, Proxy]) -> None:
    """Two objects' proofs swapped in the answer: each still names a real signed root."""
    world, proxy = proxied
    dz, mr = world["DZ"], world["MR"]
    objs = world.marked_reports("MR", 4, to=["DZ"])
    mr.post(objs)
    ext = "extension-definition--3c1f7a52-8d0e-4b7a-9f5e-2a6b1c9d4e70"

    def alter(path: str, body: bytes) -> bytes:
        if not _objects_page(path):
            return body
        env = orjson.loads(body)
        a, b = env["objects"][2], env["objects"][3]
        a["extensions"][ext], b["extensions"][ext] = b["extensions"][ext], a["extensions"][ext]
        return orjson.dumps(env)

    proxy.alter = alter
    report = dz.pull("MR")
    assert report.rejected == 2 and report.stored == 4
    assert all("altered" in r for r in report.reasons)


def test_garbled_answer_stores_nothing(proxied: tuple[World, Proxy]) -> None:
    world, proxy = proxied
    dz, mr = world["DZ"], world["MR"]
    mr.post(world.marked_reports("MR", 5, to=["DZ"]))
    proxy.alter = lambda path, body: body[: len(body) // 2] if _objects_page(path) else body
    with pytest.raises(LiaisonError, match="not JSON"):
        dz.pull("MR")
    assert dz.rows() == []
    proxy.alter = None
    assert dz.pull("MR").stored == 7  # the checkpoint did not move


def _via_proxy(world: World, puller: str, source: str, proxy: Proxy) -> None:
    node = world[puller].node
    put_peer(node, replace(get_peer(node, source), url=proxy.url))


def test_replayed_old_version_never_overwrites_the_newer(world_factory: WorldFactory) -> None:
    world = world_factory(
        "DZ",
        "MR",
        "XX",
        agreements=[("DZ", "MR"), ("MR", "XX")],
        pulls=[("MR", "DZ"), ("MR", "XX")],
    )
    dz, mr, xx = world["DZ"], world["MR"], world["XX"]
    objs = world.marked_reports("MR", 2, to=["DZ", "XX"])
    mr.post(objs)
    target = objs[-1]["id"]
    with Proxy(f"http://127.0.0.1:{mr.port}") as proxy, Proxy(proxy.upstream) as p2:
        _via_proxy(world, "DZ", "MR", proxy)
        _via_proxy(world, "XX", "MR", p2)
        dz.pull("MR")
        old_page = next(body for path, body in reversed(proxy.seen) if _objects_page(path))
        v1 = mr.held(target)
        assert v1 is not None
        mr.post([new_version(v1, name="Convoy sighting confirmed")])
        dz.pull("MR")
        v2 = dz.held(target)
        assert v2 is not None and v2["name"] == "Convoy sighting confirmed"

        # the attacker answers every later page with the old, genuinely signed, page
        proxy.alter = lambda path, body: old_page if _objects_page(path) else body
        replay = dz.pull("MR")
        assert replay.stored == 0 and replay.duplicates == 4 and replay.rejected == 0
        assert dz.held(target) == v2

        # a receiver that never saw v1: v1 injected after v2 is kept as history only
        assert xx.pull("MR").stored == 4  # two markings, two reports, latest versions
        assert xx.held(target) == mr.held(target)
        p2.alter = lambda path, body: old_page if _objects_page(path) else body
        injected = xx.pull("MR", rescan=True)
        assert injected.stored == 1 and injected.rejected == 0  # v1, as an older version
    latest = xx.held(target)
    assert latest is not None and latest["name"] == "Convoy sighting confirmed"
    rows = xx.node.store.object_versions(xx.collection_id, target)
    assert [body_of(r)["modified"] for r in rows] == [v1["modified"], latest["modified"]]


def test_objects_altered_in_transit_come_on_the_next_pull(
    proxied: tuple[World, Proxy],
) -> None:
    """Refused ids are fetched again by id; an attacker who persists is given up on."""
    world, proxy = proxied
    dz, mr = world["DZ"], world["MR"]
    objs = world.marked_reports("MR", 4, to=["DZ"])
    mr.post(objs)

    def alter(path: str, body: bytes) -> bytes:
        return body.replace(b"sighting 1 near", b"sighting 9 near").replace(
            b"sighting 2 near", b"sighting 8 near"
        )

    proxy.alter = alter
    assert dz.pull("MR").rejected == 2
    retry_key = f"MR/{mr.collection_id}"
    assert set(dz.node.store.record("sync-retry", retry_key)["ids"]) == {  # type: ignore[index]
        objs[3]["id"],
        objs[4]["id"],
    }
    # object 1 comes through untouched now; object 2 is still altered every time
    proxy.alter = lambda path, body: body.replace(b"sighting 2 near", b"sighting 8 near")
    report = dz.pull("MR")
    assert report.stored == 1 and report.received == 0  # nothing new past the checkpoint
    assert dz.held(objs[3]["id"]) == mr.held(objs[3]["id"])
    assert dz.held(objs[4]["id"]) is None
    for _ in range(3):
        dz.pull("MR")
    last = dz.pull("MR")  # the fifth refusal of object 2
    assert any("refused 5 times, not retried" in r for r in last.reasons), last.reasons
    assert dz.node.store.record("sync-retry", retry_key) is None
    proxy.alter = None
    assert dz.pull("MR").stored == 0  # given up on: a rescan is the way to get it
    assert dz.pull("MR", rescan=True).stored == 1
