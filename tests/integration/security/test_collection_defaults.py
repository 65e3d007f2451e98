"""A collection's default handling marks what local clients post unmarked (issue #16, 2).

Set with ``liaison collection set``; applied at ingest, before signing, to objects with
no markings of their own: the node adds the marking-definitions (content-derived ids)
and references, so what a partner receives is exactly what is stored, and ``policy
explain`` says where the markings came from. Objects with markings of their own,
definitions and a partner's signed objects are left as they are.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
from hostile import Hostile, report

from liaison.cli import main as cli
from liaison.markings import classification_marking, releasability_marking
from liaison.markings.tlp import TLP_GREEN, tlp_id
from liaison.signing.objects import signature_of

Obj = dict[str, Any]


def _unmarked(author: str, name: str) -> Obj:
    obj = report(author, [], name)
    del obj["object_marking_refs"]
    return obj


def _post(h: Hostile, objs: list[Obj]) -> Obj:
    with h.client("analyst") as c:
        r = c.post(h.objects_url, json={"objects": objs})
    assert r.status_code == 202, r.text
    body: Obj = r.json()
    return body


def _get(h: Hostile, party: str, oid: str) -> tuple[int, Obj | None]:
    with h.client(party) as c:
        r = c.get(f"{h.objects_url}{oid}/")
    return r.status_code, (r.json()["objects"][0] if r.status_code == 200 else None)


def _stored(h: Hostile, oid: str) -> Obj:
    row = h.dz.node.store.latest_by_ids([oid])[0]
    body: Obj = orjson.loads(row.body)
    return body


def test_unmarked_posts_get_the_default_and_reach_exactly_its_parties(
    hostile: Hostile, capsys: pytest.CaptureFixture[str]
) -> None:
    h = hostile
    dz, mr = h.dz.node.identity_id, h.mr.node.identity_id
    home = str(h.dz.node.home)
    argv = ["collection", "set", home, "default", "--classification", "NON CLASSIFIÉ"]
    assert cli([*argv, "--rel-to", "MR", "--tlp", "green"]) == 0
    assert "default handling NON CLASSIFIÉ, REL TO MR, TLP:GREEN" in capsys.readouterr().out
    h.dz.exchange.gate.invalidate()  # type: ignore[attr-defined]

    bare = _unmarked(dz, "Unmarked report")
    cls = classification_marking("DIFFUSION RESTREINTE", dz)
    rel_all = releasability_marking([dz, mr, h.xx.node.identity_id])
    own = report(dz, [cls["id"], rel_all["id"], tlp_id("green")], "Own markings")
    secret = classification_marking("SECRET", dz)
    granular = {  # a granular marking only: the default marks the object as a whole
        **_unmarked(dz, "Granular only"),
        "granular_markings": [{"marking_ref": secret["id"], "selectors": ["description"]}],
    }
    status = _post(h, [secret, bare, own, granular])
    assert status["failure_count"] == 0, status["failures"]
    # the status lists what the client posted, not the definitions the node added
    assert sorted(s["id"] for s in status["successes"]) == sorted(
        o["id"] for o in (secret, bare, own, granular)
    )

    want = [
        classification_marking("NON CLASSIFIÉ", dz)["id"],
        releasability_marking([dz, mr])["id"],
        TLP_GREEN["id"],
    ]
    for oid in (bare["id"], granular["id"]):
        stored = _stored(h, oid)
        assert stored["object_marking_refs"] == want
        assert signature_of(stored) is not None
    assert "object_marking_refs" not in bare  # the posted dict is not changed
    assert _stored(h, own["id"])["object_marking_refs"] == own["object_marking_refs"]
    # the definitions it cites are held in the collection, for partners to read
    held = {r.id for r in h.dz.rows()}
    assert set(want) <= held

    # MR (REL TO MR) receives the stored object byte for byte; XX does not receive it.
    code, got = _get(h, "MR", bare["id"])
    assert code == 200 and got == _stored(h, bare["id"])
    assert _get(h, "XX", bare["id"])[0] == 404
    assert _get(h, "XX", own["id"])[0] == 200  # its own markings release it to XX
    # MR receives the granular-only object with its SECRET part redacted
    code, got = _get(h, "MR", granular["id"])
    assert code == 200 and got is not None
    assert "description" not in got and got["name"] == "Granular only"

    assert cli(["policy", "explain", home, bare["id"], "--party", "XX"]) == 0
    out = capsys.readouterr().out
    assert "not releasable to XX (REL TO" in out
    assert "markings: NON CLASSIFIÉ (Army intelligence directorate (DZ)), REL TO" in out.replace(
        "\n", " "
    )
    assert "(the default handling of collection default, added at ingest)" in out
    assert cli(["policy", "explain", home, own["id"], "--party", "XX"]) == 0
    assert "default handling" not in capsys.readouterr().out
    assert cli(["audit", "verify", home]) == 0
    capsys.readouterr()


def test_definitions_and_partners_signed_objects_keep_their_bytes(
    hostile: Hostile, capsys: pytest.CaptureFixture[str]
) -> None:
    h = hostile
    home = str(h.dz.node.home)
    assert cli(["collection", "set", home, "default", "--tlp", "amber"]) == 0
    capsys.readouterr()
    note = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{uuid.uuid4()}",
        "created": "2026-01-01T00:00:00.000Z",
        "definition_type": "statement",
        "definition": {"statement": "Open press"},
    }
    # An unmarked report signed by MR, re-posted unchanged by DZ's analyst: it stays
    # MR's, byte for byte (marking it would break MR's signature).
    mr_bare = _unmarked(h.mr.node.identity_id, "MR's unmarked report")
    assert h.mr.post([mr_bare])["failure_count"] == 0
    signed = next(orjson.loads(r.body) for r in h.mr.rows() if r.id == mr_bare["id"])
    status = _post(h, [note, signed])
    assert status["failure_count"] == 0, status["failures"]
    assert "object_marking_refs" not in _stored(h, note["id"])
    assert _stored(h, signed["id"]) == signed

    assert cli(["collection", "set", home, "default", "--no-default"]) == 0
    assert "default handling none" in capsys.readouterr().out
    bare = _unmarked(h.dz.node.identity_id, "After the default went")
    assert _post(h, [bare])["failure_count"] == 0
    assert "object_marking_refs" not in _stored(h, bare["id"])
