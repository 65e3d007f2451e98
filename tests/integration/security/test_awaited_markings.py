"""An object citing a marking-definition the node does not hold yet (issue #16, item 1).

From a local client it is stored and withheld from every partner -- answered exactly
like an absent object -- until the definition arrives (from anyone); then its handling
is recomputed in that transaction and audited, never released early. From a partner
it is refused. The attacks: a partner planting the awaited definition, or a TLP
definition under the awaited id, or reading the object before its markings are known.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
from hostile import Hostile, report

from liaison.cli import main as cli
from liaison.markings import classification_marking, releasability_marking, statement_marking
from liaison.markings.tlp import tlp_id
from liaison.service.gate import PolicyGate

Obj = dict[str, Any]


def _read(h: Hostile, party: str, oid: str) -> tuple[int, str]:
    with h.client(party) as c:
        r = c.get(f"{h.objects_url}{oid}/")
    return r.status_code, r.text.replace(oid, "X")


def _listed(h: Hostile, party: str) -> set[str]:
    with h.client(party) as c:
        r = c.get(h.objects_url)
    assert r.status_code == 200, r.text
    return {o["id"] for o in r.json().get("objects", [])}


def _ids(h: Hostile) -> dict[str, str]:
    return {c: h.world[c].node.identity_id for c in ("DZ", "MR", "XX")}


def _reasons(h: Hostile, party: str, oid: str) -> tuple[str, ...]:
    gate = h.dz.exchange.gate
    assert isinstance(gate, PolicyGate)
    row = h.dz.node.store.latest_by_ids([oid])[0]
    return gate.decide(h.dz.node.store.party(party), row).reasons


def _audited(h: Hostile, action: str, oid: str) -> list[Obj]:
    with h.dz.node.store.connection() as conn:
        rows = conn.execute("SELECT body FROM audit_entries WHERE action = ?", (action,))
        found = [orjson.loads(b) for (b,) in rows.fetchall()]
    return [e for e in found if any(o["id"] == oid for o in e["objects"])]


def _verify_ok(h: Hostile, capsys: pytest.CaptureFixture[str]) -> None:
    # Refused reads are appended by a background writer: verifying while it appends
    # reads the log at several moments (a verification is several statements).
    h.dz.exchange.events.flush()  # type: ignore[attr-defined]
    assert cli(["audit", "verify", str(h.dz.node.home)]) == 0, capsys.readouterr()
    capsys.readouterr()


def test_waits_withheld_from_every_partner_then_is_released(
    hostile: Hostile, capsys: pytest.CaptureFixture[str]
) -> None:
    h, ids = hostile, _ids(hostile)
    cls = classification_marking("NON CLASSIFIÉ", ids["DZ"])  # neither is held yet
    rel = releasability_marking([ids["DZ"], ids["MR"]])
    rep = report(ids["DZ"], [cls["id"], rel["id"], tlp_id("green")], "Early report")
    ghost = f"report--{uuid.uuid4()}"
    status = h.dz.post([rep])  # the definitions come later
    assert status["failure_count"] == 0, status["failures"]
    (ok,) = status["successes"]
    assert ok["message"].startswith("stored; withheld from partners until this node holds")
    assert cls["id"] in ok["message"] and rel["id"] in ok["message"]
    waiting = {(m, i) for m, _, i in h.dz.node.store.awaiting()}
    assert waiting == {(cls["id"], rep["id"]), (rel["id"], rep["id"])}
    # MR is in its REL TO list, yet receives nothing while the markings are unknown:
    # the object answers exactly like one that does not exist, to MR and XX alike.
    for party in ("MR", "XX"):
        assert (
            _read(h, party, rep["id"]) == _read(h, party, ghost) == (404, _read(h, party, ghost)[1])
        )
        assert rep["id"] not in _listed(h, party)
        (why,) = _reasons(h, party, rep["id"])
        assert why.startswith("unknown marking ") and "withheld from partners" in why
    # The local analyst still reads it.
    assert _read(h, "analyst", rep["id"])[0] == 200
    # MR polls (incremental readers resume after the last date_added they saw).
    seen = h.dz.node.store.latest_by_ids([rep["id"]])[0].date_added

    status = h.dz.post([cls, rel])  # the definitions arrive
    assert status["failure_count"] == 0
    assert h.dz.node.store.awaiting() == []
    assert _read(h, "MR", rep["id"])[0] == 200
    assert rep["id"] in _listed(h, "MR")
    # ... and it is new to MR's next incremental read: re-dated with the definitions
    with h.client("MR") as c:
        r = c.get(h.objects_url, params={"added_after": seen})
    assert rep["id"] in {o["id"] for o in r.json().get("objects", [])}
    row = h.dz.node.store.latest_by_ids([rep["id"]])[0]
    assert row.date_added > seen
    assert row.date_added == h.dz.node.store.latest_by_ids([cls["id"]])[0].date_added
    # ... and XX, not in REL TO, still does not receive it (its markings, not luck).
    assert _read(h, "XX", rep["id"])[0] == 404
    assert any("not releasable to XX" in r for r in _reasons(h, "XX", rep["id"]))
    (entry,) = _audited(h, "object.rehandled", rep["id"])
    assert entry["details"]["collection"] == h.dz.collection_id
    assert entry["reasons"] == ["every marking-definition it cites is now held"]
    _verify_ok(h, capsys)


def test_a_partner_cannot_release_a_waiting_object_early(
    hostile: Hostile, capsys: pytest.CaptureFixture[str]
) -> None:
    h, ids = hostile, _ids(hostile)
    cls = classification_marking("DIFFUSION RESTREINTE", ids["DZ"])
    rel = releasability_marking(ids.values())
    # A handling statement with a random id, as another tool would make it.
    note = {
        **statement_marking("Do not act without DZ's consent"),
        "id": f"marking-definition--{uuid.uuid4()}",
    }
    rep = report(ids["DZ"], [cls["id"], rel["id"], note["id"], tlp_id("green")], "Held report")
    assert h.dz.post([cls, rel, rep])["failure_count"] == 0
    assert _read(h, "XX", rep["id"])[0] == 404
    # XX learnt the awaited id and plants a TLP:CLEAR definition under it: refused.
    planted = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": note["id"],
        "created": "2026-01-01T00:00:00.000Z",
        "definition_type": "tlp",
        "definition": {"tlp": "white"},
    }
    status = h.post_as_xx(h.xx_signed([planted]))
    assert status["failure_count"] == 1
    assert "must use the official id of its level" in status["failures"][0]["message"]
    # XX defines a level of DZ's scheme to resolve a classification: refused too.
    other = report(ids["DZ"], [classification_marking("SECRET", ids["DZ"])["id"], rel["id"]], "x")
    assert h.dz.post([other])["failure_count"] == 0
    status = h.post_as_xx(h.xx_signed([classification_marking("SECRET", ids["DZ"])]))
    assert "may not define levels of this node's classification scheme" in str(status["failures"])
    assert {i for _, _, i in h.dz.node.store.awaiting()} == {rep["id"], other["id"]}
    for oid in (rep["id"], other["id"]):
        assert _read(h, "XX", oid)[0] == 404
    # The statement itself may come from anyone (it says nothing a release depends
    # on): the report then follows its other markings.
    assert h.post_as_xx(h.xx_signed([note]))["failure_count"] == 0
    assert {i for _, _, i in h.dz.node.store.awaiting()} == {other["id"]}
    assert _read(h, "XX", rep["id"])[0] == 200
    _verify_ok(h, capsys)


def test_a_partners_object_citing_an_unknown_marking_is_refused(hostile: Hostile) -> None:
    h, ids = hostile, _ids(hostile)
    cls = classification_marking("NC", ids["XX"])
    rep = report(ids["XX"], [cls["id"], tlp_id("green")], "XX report")
    status = h.post_as_xx(h.xx_signed([rep]))
    assert status["success_count"] == 0
    assert f"marking {cls['id']} is not known to this node" in status["failures"][0]["message"]
    assert h.dz.node.store.awaiting() == []


def test_markings_that_contradict_once_known_keep_it_withheld_for_good(
    hostile: Hostile, capsys: pytest.CaptureFixture[str]
) -> None:
    h, ids = hostile, _ids(hostile)
    low = classification_marking("DIFFUSION RESTREINTE", ids["DZ"])
    high = classification_marking("SECRET", ids["DZ"])
    rel = releasability_marking(ids.values())
    rep = report(ids["DZ"], [low["id"], high["id"], rel["id"]], "Two levels")
    assert h.dz.post([low, rel, rep])["failure_count"] == 0
    assert h.dz.post([high])["failure_count"] == 0
    assert h.dz.node.store.awaiting() == []
    for party in ("MR", "XX"):
        assert _read(h, party, rep["id"])[0] == 404
        (why,) = _reasons(h, party, rep["id"])
        assert why.startswith("markings cannot be read: two classifications")
    (entry,) = _audited(h, "object.rehandled", rep["id"])
    assert entry["reasons"][0].startswith("markings cannot be read: two classifications")
    _verify_ok(h, capsys)


def test_a_product_derived_while_markings_are_unknown_is_refused(hostile: Hostile) -> None:
    h, ids = hostile, _ids(hostile)
    cls = classification_marking("NON CLASSIFIÉ", ids["DZ"])  # not held yet
    rel = releasability_marking(ids.values())
    src = report(ids["DZ"], [cls["id"], rel["id"]], "Source")
    assert h.dz.post([src])["failure_count"] == 0
    product = report(ids["DZ"], [rel["id"]], "Product", x_liaison_derived_from=[src["id"]])
    status = h.dz.post([product])
    assert f"the markings of {src['id']} are not all known yet" in status["failures"][0]["message"]
    unknown = report(
        ids["DZ"], [cls["id"]], "Product 2", x_liaison_derived_from=[h.dz_report["id"]]
    )
    status = h.dz.post([unknown])
    assert "must cite marking-definitions this node holds" in status["failures"][0]["message"]
