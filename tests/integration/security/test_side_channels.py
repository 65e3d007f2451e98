"""Issue #13's side channels, tried from the hostile partner's side over HTTP.

XX (a partner with an agreement in force) asks DZ questions whose answers used to depend
on what DZ withholds from it: search hits in redacted text, the audit head's size,
``date_added`` steps, ``next`` tokens, old versions of a tightened object, references
to withheld objects. Each test writes the probe first, then checks that the answer is
the same as if the withheld material did not exist.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import orjson
from hostile import Hostile, report

from liaison.demo.run import LEVELS
from liaison.markings import classification_marking, releasability_marking
from liaison.markings.tlp import tlp_id

Obj = dict[str, Any]


def _ids(h: Hostile) -> dict[str, str]:
    return {c: h.world[c].node.identity_id for c in ("DZ", "MR", "XX")}


def _marks(h: Hostile, *, to_xx: bool) -> tuple[list[Obj], list[str]]:
    ids = _ids(h)
    cls = classification_marking(LEVELS["DZ"][1], ids["DZ"])
    rel = releasability_marking([ids["DZ"], ids["MR"], *([ids["XX"]] if to_xx else [])])
    return [cls, rel], [cls["id"], rel["id"], tlp_id("green")]


def _indicator(h: Hostile, marks: list[str], n: int) -> Obj:
    ts = "2026-06-01T00:00:00.000Z"
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": ts,
        "modified": ts,
        "created_by_ref": _ids(h)["DZ"],
        "name": f"Relay {n}",
        "pattern": f"[ipv4-addr:value = '10.9.8.{n}']",
        "pattern_type": "stix",
        "valid_from": ts,
        "object_marking_refs": marks,
        "x_liaison_topics": ["terrorism"],
        "x_liaison_regions": ["ML"],
    }


def _get(h: Hostile, path: str, **params: Any) -> Any:
    with h.client("XX") as c:
        return c.get(path, params=params)


# --- 1. search ------------------------------------------------------------------------------
def test_search_never_matches_what_was_redacted(hostile: Hostile) -> None:
    h = hostile
    ids = _ids(h)
    defs, marks = _marks(h, to_xx=True)
    secret = classification_marking(LEVELS["DZ"][3], ids["DZ"])  # above XX's ceiling
    doc = report(ids["DZ"], marks, "Convoy near Tessalit")
    doc["description"] = "Source SIROCCO saw the convoy."
    doc["granular_markings"] = [{"marking_ref": secret["id"], "selectors": ["description"]}]
    assert h.dz.post([*defs, secret, doc])["success_count"] == 4
    got = _get(h, f"/api/collections/{h.dz.collection_id}/objects/{doc['id']}/").json()
    assert "description" not in got["objects"][0]  # redacted for XX ...
    assert _get(h, "/api/liaison/search/", q="sirocco").json() == {
        "objects": []
    }  # ... unsearchable
    hits = _get(h, "/api/liaison/search/", q="Tessalit convoy").json()["objects"]
    found = [o for o in hits if o["id"] == doc["id"]]
    assert len(found) == 1 and "description" not in found[0]
    # DZ's own analyst finds it by the hidden word.
    with h.client("analyst") as c:
        mine = c.get("/api/liaison/search/", params={"q": "sirocco"}).json()["objects"]
    assert [o["id"] for o in mine] == [doc["id"]]


# --- 2. audit head --------------------------------------------------------------------------
def test_the_partner_s_audit_head_says_nothing_of_withheld_material(hostile: Hostile) -> None:
    h = hostile
    defs, hidden_marks = _marks(h, to_xx=False)
    hidden = [_indicator(h, hidden_marks, i) for i in range(3)]

    def head() -> Obj:
        r = _get(h, "/api/liaison/audit/head")
        assert r.status_code == 200
        body: Obj = r.json()
        return body

    first = head()
    assert first["scope"] == _ids(h)["XX"]  # XX's own ledger, not DZ's whole log
    assert h.dz.post([*defs, *hidden])["success_count"] == 5  # stored, withheld from XX
    col = f"/api/collections/{h.dz.collection_id}/"
    for oid in (hidden[0]["id"], f"indicator--{uuid.uuid4()}"):  # withheld, then absent
        assert _get(h, f"{col}objects/{oid}/").status_code == 404
        assert _get(h, f"{col}objects/", **{"match[type]": "indicator"}).status_code == 200
    h.dz.exchange.events.flush()  # type: ignore[attr-defined]
    second = head()
    assert (second["size"], second["root_hash"]) == (first["size"], first["root_hash"])
    # The whole log is the node's own: internal auditors only get its head.
    with h.client("analyst") as c:
        whole = c.get("/api/liaison/audit/head").json()
    assert "scope" not in whole and whole["size"] > second["size"]


# --- 4. counting ------------------------------------------------------------------------------
def test_date_added_and_tokens_count_nothing(hostile: Hostile) -> None:
    h = hostile
    vis_defs, vis = _marks(h, to_xx=True)
    hid_defs, hid = _marks(h, to_xx=False)
    batch = [*vis_defs, *hid_defs]
    for i in range(6):  # visible and withheld interleaved in one post
        batch.append(_indicator(h, vis if i % 2 == 0 else hid, i))
    assert h.dz.post(batch)["success_count"] == len(batch)
    col = f"/api/collections/{h.dz.collection_id}/"
    seen = _get(h, f"{col}manifest/", **{"match[type]": "indicator"}).json()["objects"]
    shown = [e for e in seen if e["id"] in {o["id"] for o in batch}]
    assert len(shown) == 3
    assert len({e["date_added"] for e in shown}) == 1  # one stamp per stored batch
    page = _get(h, f"{col}objects/", limit=1, **{"match[type]": "indicator"}).json()
    token = page["next"]
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    top = max(r.seq for r in h.dz.rows())
    assert not any(n.to_bytes(8, "big") in raw for n in range(1, top + 1))  # no row counter
    assert len(token) == len(
        _get(h, f"{col}objects/", limit=1, **{"match[type]": "indicator"}).json()["next"]
    )


# --- 5. versions ------------------------------------------------------------------------------
def test_old_versions_stop_when_the_newest_is_withheld(hostile: Hostile) -> None:
    h = hostile
    vis_defs, vis = _marks(h, to_xx=True)
    hid_defs, hid = _marks(h, to_xx=False)
    v1 = _indicator(h, vis, 1)
    assert h.dz.post([*vis_defs, v1])["success_count"] == 3
    oid = v1["id"]
    url = f"/api/collections/{h.dz.collection_id}/objects/{oid}/"
    assert _get(h, url).status_code == 200
    v2 = dict(v1, modified="2026-06-02T00:00:00.000Z", object_marking_refs=hid)
    assert h.dz.post([*hid_defs, v2])["success_count"] == 3  # the originator tightens it
    absent = f"/api/collections/{h.dz.collection_id}/objects/indicator--{uuid.uuid4()}/"
    for path in (url, f"{url}versions/"):
        got, missing = _get(h, path), _get(h, absent + ("versions/" if "versions" in path else ""))
        assert got.status_code == missing.status_code == 404
        assert got.json()["description"].replace(oid, "X") == missing.json()["description"].replace(
            missing.json()["description"].split()[-1], "X"
        )
    everything = _get(
        h, f"/api/collections/{h.dz.collection_id}/objects/", **{"match[version]": "all"}
    ).json()
    assert oid not in {o["id"] for o in everything.get("objects", [])}


# --- 6. references ----------------------------------------------------------------------------
def test_references_to_withheld_objects_are_removed(hostile: Hostile) -> None:
    h = hostile
    ids = _ids(h)
    vis_defs, vis = _marks(h, to_xx=True)
    hid_defs, hid = _marks(h, to_xx=False)
    shown, hidden = _indicator(h, vis, 1), _indicator(h, hid, 2)
    doc = report(ids["DZ"], vis, "Two relays", object_refs=[shown["id"], hidden["id"]])
    only_hidden = report(ids["DZ"], vis, "One hidden relay", object_refs=[hidden["id"]])
    ts = shown["created"]
    link = {
        "type": "relationship", "spec_version": "2.1", "id": f"relationship--{uuid.uuid4()}",
        "created": ts, "modified": ts, "relationship_type": "related-to",
        "source_ref": shown["id"], "target_ref": hidden["id"], "object_marking_refs": vis,
        "x_liaison_topics": ["terrorism"], "x_liaison_regions": ["ML"],
    }  # fmt: skip
    status = h.dz.post([*vis_defs, *hid_defs, shown, hidden, doc, only_hidden, link])
    assert status["success_count"] == 9, status
    col = f"/api/collections/{h.dz.collection_id}/objects/"
    got = _get(h, f"{col}{doc['id']}/").json()["objects"][0]
    assert got["object_refs"] == [shown["id"]]
    got = _get(h, f"{col}{only_hidden['id']}/").json()["objects"][0]
    assert got["object_refs"] == [ids["DZ"]]  # "contents withheld"
    assert _get(h, f"{col}{link['id']}/").status_code == 404
    listing = orjson.dumps(_get(h, col).json())
    assert hidden["id"].encode() not in listing
