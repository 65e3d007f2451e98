"""Issue #12's eight attacks, replayed from the hostile partner's side over HTTP.

Each test first writes the attack XX (a partner with a valid credential, its own key,
an agreement in force and write access to DZ's default collection) makes against DZ,
then checks that nothing DZ or MR wrote changed, that the refusal has a readable
reason, and that the node's own audit log still verifies.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

import orjson
import pytest
from hostile import Hostile, report

from liaison.agreements import Consent, grant, request, sign, state
from liaison.cli import main as cli
from liaison.demo.run import LEVELS
from liaison.markings import (
    CLASSIFICATION_EXT_ID,
    RELEASABILITY_EXT_ID,
    classification_marking,
    releasability_marking,
)
from liaison.markings.tlp import TLP_GREEN, TLP_RED, tlp_id
from liaison.service import documents
from liaison.signing.objects import signature_of, strip_signature
from liaison.taxii.status import ingest as taxii_ingest


def _verify_ok(h: Hostile, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["audit", "verify", str(h.dz.node.home)]) == 0, capsys.readouterr()
    capsys.readouterr()


def _failure(status: dict[str, Any], oid: str) -> str:
    found = [f["message"] for f in status["failures"] if f["id"] == oid]
    assert found, status
    return str(found[0])


# --- 1. delete ---------------------------------------------------------------------------
def test_a_partner_deletes_nothing(hostile: Hostile, capsys: pytest.CaptureFixture[str]) -> None:
    h = hostile
    before = h.held_bytes()
    with h.client("XX") as c:
        for oid in (h.dz_report["id"], h.mr_report["id"], f"report--{uuid.uuid4()}"):
            r = c.delete(f"{h.objects_url}{oid}/")
            assert r.status_code == 403, r.text
            assert r.json()["description"] == "partners may not delete objects on this node"
            r = c.delete(f"{h.objects_url}{oid}/", params={"match[version]": "all"})
            assert r.status_code == 403
    assert h.held_bytes() == before
    _verify_ok(h, capsys)


def test_a_local_deletion_is_recorded_with_its_hash(
    hostile: Hostile, capsys: pytest.CaptureFixture[str]
) -> None:
    h = hostile
    row = h.dz.node.store.latest_by_ids([h.mr_report["id"]])[0]
    with h.client("analyst") as c:
        assert c.delete(f"{h.objects_url}{row.id}/").status_code == 200
    assert h.dz.node.store.latest_by_ids([row.id]) == []
    with h.db() as db:
        (body,) = db.execute(
            "SELECT body FROM audit_entries WHERE action = 'object.deleted'"
        ).fetchone()
    entry = orjson.loads(body)
    assert entry["actor"] == "analyst"
    assert entry["objects"] == [{"id": row.id, "version": row.version, "sha256": row.sha256}]
    _verify_ok(h, capsys)
    # The id keeps its originator: XX cannot take it over once it is gone.
    again = copy.deepcopy(strip_signature(h.mr_report))
    again["modified"] = "2031-01-01T00:00:00.000Z"
    again["created_by_ref"] = h.xx.node.identity_id
    status = h.post_as_xx(h.xx_signed([again]))
    assert "belongs to another originator" in _failure(status, row.id)


# --- 2. overwrite and forged authorship -------------------------------------------------------
@pytest.mark.parametrize("whose", ["dz_report", "mr_report"])
def test_a_partner_cannot_version_another_originator_s_object(
    hostile: Hostile, whose: str, capsys: pytest.CaptureFixture[str]
) -> None:
    h = hostile
    target = getattr(h, whose)
    before = h.held_bytes()
    forged = strip_signature(target)
    forged.update(
        modified="2030-01-01T00:00:00.000Z",
        description="Rewritten by XX.",
        created_by_ref=h.xx.node.identity_id,
    )
    status = h.post_as_xx(h.xx_signed([forged]))
    assert status["success_count"] == 0
    assert "belongs to another originator" in _failure(status, target["id"])
    # Also with the original author kept in created_by_ref.
    forged["created_by_ref"] = target["created_by_ref"]
    status = h.post_as_xx(h.xx_signed([forged]))
    assert "belongs to another originator" in _failure(status, target["id"])
    assert h.held_bytes() == before
    with h.db() as db:  # refusals are audited with their reason
        reasons = [
            orjson.loads(b)["reasons"][0]
            for (b,) in db.execute("SELECT body FROM audit_entries WHERE action='object.rejected'")
        ]
    assert any("belongs to another originator" in r for r in reasons)
    _verify_ok(h, capsys)


def test_a_partner_cannot_claim_someone_else_s_authorship(hostile: Hostile) -> None:
    h = hostile
    ids = {c: h.world[c].node.identity_id for c in ("DZ", "MR", "XX")}
    rel = releasability_marking(ids.values())
    cls = classification_marking(LEVELS["XX"][1], ids["XX"])
    marks = [cls["id"], rel["id"], tlp_id("green")]
    own = report(ids["XX"], marks, "XX's own report")
    claimed = report(ids["MR"], marks, "Said to be MR's")
    status = h.post_as_xx(h.xx_signed([cls, rel, own, claimed]))
    assert {s["id"] for s in status["successes"]} == {cls["id"], rel["id"], own["id"]}
    assert "created_by_ref names" in _failure(status, claimed["id"])
    assert h.dz.held(claimed["id"]) is None
    # XX's own report is XX's: stored with XX as originator and provenance.
    row = h.dz.node.store.latest_by_ids([own["id"]])[0]
    assert row.origins == (ids["XX"],)
    assert h.dz.node.store.owners([own["id"]]) == {own["id"]: ids["XX"]}


# --- 3. planted definitions -------------------------------------------------------------------
def test_planted_marking_definitions_are_refused(
    hostile: Hostile, capsys: pytest.CaptureFixture[str]
) -> None:
    h = hostile
    ids = {c: h.world[c].node.identity_id for c in ("DZ", "MR", "XX")}
    dz_rel = releasability_marking(ids.values())  # the id DZ's own report cites
    before = h.held_bytes()
    # A looser body under a held id: REL TO with XX only / a lower level of DZ's scheme.
    loose = copy.deepcopy(dz_rel)
    loose["extensions"][RELEASABILITY_EXT_ID]["releasable_to"] = [ids["XX"]]
    dz_cls = classification_marking("SECRET", ids["DZ"])
    low = copy.deepcopy(dz_cls)
    low["extensions"][CLASSIFICATION_EXT_ID]["level"] = "NON CLASSIFIÉ"
    # A "TLP:GREEN" that carries a classification; a level of DZ's scheme made by XX.
    green = copy.deepcopy(TLP_GREEN)
    green["extensions"][CLASSIFICATION_EXT_ID] = {
        "extension_type": "property-extension",
        "level": "TRÈS SECRET",
        "scheme_owner": ids["DZ"],
    }
    invented = classification_marking("OUVERT", ids["DZ"])
    status = h.post_as_xx(h.xx_signed([loose, low, green, invented]))
    assert status["success_count"] == 0
    assert "held with other content" in _failure(status, loose["id"])
    assert "does not match the marking's content" in _failure(status, low["id"])
    assert "official TLP:GREEN" in _failure(status, green["id"])
    assert "may not define levels of this node's classification scheme" in _failure(
        status, invented["id"]
    )
    assert h.held_bytes() == before
    # DZ's next TLP:GREEN post is unaffected (no denial of service) and not released to
    # XX through a planted definition.
    ts = "2026-11-30T10:00:00.000Z"
    fresh = report(ids["DZ"], [dz_cls["id"], tlp_id("green")], "DZ secret, not for XX")
    fresh.update(created=ts, modified=ts, published=ts)
    status = h.dz.post([dz_cls, fresh])
    assert status["success_count"] == 2, status
    with h.client("XX") as c:
        assert c.get(f"{h.objects_url}{fresh['id']}/").status_code == 404
    # The same definition, byte for byte apart from XX's signature: a harmless copy.
    status = h.post_as_xx(h.xx_signed([dz_rel]))
    assert status["success_count"] == 1
    held = [r for r in h.dz.rows() if r.id == dz_rel["id"]]
    assert len(held) == 1 and signature_of(orjson.loads(held[0].body))["signer"] == ids["DZ"]  # type: ignore[index]
    _verify_ok(h, capsys)


# --- 4. definitions above the partner's clearance --------------------------------------------
def test_marked_definitions_are_released_by_the_same_rules(hostile: Hostile) -> None:
    h = hostile
    ids = {c: h.world[c].node.identity_id for c in ("DZ", "MR", "XX")}
    top = classification_marking("TRÈS SECRET", ids["DZ"])
    statement = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{uuid.uuid4()}",
        "created": "2026-11-01T00:00:00.000Z",
        "definition_type": "statement",
        "definition": {"statement": "Operation SIROCCO: handle with care."},
    }
    red = {**statement, "id": f"marking-definition--{uuid.uuid4()}"}
    red["object_marking_refs"] = [TLP_RED["id"]]
    secret_statement = {**statement, "id": f"marking-definition--{uuid.uuid4()}"}
    secret_statement["object_marking_refs"] = [top["id"]]
    ext = {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": f"extension-definition--{uuid.uuid4()}",
        "created": "2026-11-01T00:00:00.000Z",
        "modified": "2026-11-01T00:00:00.000Z",
        "created_by_ref": ids["DZ"],
        "name": "sirocco-sources",
        "schema": "https://example.org/sirocco",
        "version": "1.0",
        "extension_types": ["property-extension"],
        "object_marking_refs": [top["id"], TLP_RED["id"]],
    }
    status = h.dz.post([top, statement, red, secret_statement, ext])
    assert status["success_count"] == 5, status
    with h.client("XX") as c:
        for withheld in (red, secret_statement, ext):
            assert c.get(f"{h.objects_url}{withheld['id']}/").status_code == 404
        assert c.get(f"{h.objects_url}{statement['id']}/").status_code == 200
        listed = {o["id"] for o in c.get(h.objects_url).json().get("objects", [])}
    assert statement["id"] in listed
    assert not listed & {red["id"], secret_statement["id"], ext["id"]}


# --- 5. relay of a third party's material ------------------------------------------------------
def test_relay_needs_the_originator_s_consent_and_markings(hostile: Hostile) -> None:
    h = hostile
    ids = {c: h.world[c].node.identity_id for c in ("DZ", "MR", "XX")}
    mcls = classification_marking("DIFFUSION RESTREINTE", ids["MR"])
    only_mr_xx = releasability_marking([ids["MR"], ids["XX"]])
    all_three = releasability_marking(ids.values())
    not_for_dz = report(ids["MR"], [mcls["id"], only_mr_xx["id"]], "MR to XX only")
    for_dz = report(ids["MR"], [mcls["id"], all_three["id"]], "MR to XX, REL DZ")
    assert h.mr.post([mcls, only_mr_xx, all_three, not_for_dz, for_dz])["success_count"] == 5
    signed = {o["id"]: o for o in (orjson.loads(r.body) for r in h.mr.rows())}
    relayed = [signed[mcls["id"]], signed[only_mr_xx["id"]], signed[all_three["id"]]]
    status = h.post_as_xx([*relayed, signed[not_for_dz["id"]], signed[for_dz["id"]]])
    assert "without" in _failure(status, not_for_dz["id"])
    assert "signed consent" in _failure(status, for_dz["id"])
    assert h.dz.held(for_dz["id"]) is None and h.dz.held(not_for_dz["id"]) is None
    # MR consents to DZ receiving for_dz; XX forwards MR's signed answer, then relays.
    req = request(
        for_dz["id"],
        originator=ids["MR"],
        recipient=ids["DZ"],
        requester=ids["XX"],
        requester_key=h.xx.node.key,
    )
    answer = grant(Consent.from_stix(req.to_stix()), h.mr.node.key)
    with h.client("XX") as c:
        r = c.post("/api/liaison/consents/", json=answer.to_stix())
        assert r.status_code == 201, r.text
    # Without REL TO DZ, even a consent changes nothing: the markings are MR's word.
    req2 = request(
        not_for_dz["id"],
        originator=ids["MR"],
        recipient=ids["DZ"],
        requester=ids["XX"],
        requester_key=h.xx.node.key,
    )
    answer2 = grant(Consent.from_stix(req2.to_stix()), h.mr.node.key)
    with h.client("XX") as c:
        assert c.post("/api/liaison/consents/", json=answer2.to_stix()).status_code == 201
    status = h.post_as_xx([signed[not_for_dz["id"]], signed[for_dz["id"]]])
    assert {s["id"] for s in status["successes"]} == {for_dz["id"]}
    assert "markings do not release it to this node" in _failure(status, not_for_dz["id"])
    row = h.dz.node.store.latest_by_ids([for_dz["id"]])[0]
    assert set(row.origins) == {ids["MR"], ids["XX"]}
    assert h.dz.node.store.owners([for_dz["id"]]) == {for_dz["id"]: ids["MR"]}
    assert signature_of(orjson.loads(row.body))["signer"] == ids["MR"]  # type: ignore[index]


def test_a_partner_cannot_pass_off_its_bytes_as_a_third_party_s(hostile: Hostile) -> None:
    """Signed by XX 'on behalf of' MR, without MR's consent: refused."""
    h = hostile
    ids = {c: h.world[c].node.identity_id for c in ("DZ", "MR", "XX")}
    fake = report(ids["MR"], h.mr_report["object_marking_refs"], "Attributed to MR")
    status = h.post_as_xx(h.xx_signed([fake], origin=ids["MR"]))
    assert "signed consent" in _failure(status, fake["id"])


# --- 6. consent records --------------------------------------------------------------------
def test_consent_records_keep_their_authors(hostile: Hostile) -> None:
    h = hostile
    ids = {c: h.world[c].node.identity_id for c in ("DZ", "MR", "XX")}
    # A genuine exchange: DZ asks MR to release MR's report to XX; MR refuses.
    req = request(
        h.mr_report["id"],
        originator=ids["MR"],
        recipient=ids["XX"],
        requester=ids["DZ"],
        requester_key=h.dz.node.key,
    )
    documents.put_consent(h.dz.node, req.to_stix())
    # XX re-uses the id: a later version about DZ's report, granted by XX "as originator".
    forged_req = request(
        h.dz_report["id"],
        originator=ids["XX"],
        recipient=ids["MR"],
        requester=ids["XX"],
        requester_key=h.xx.node.key,
    ).to_stix()
    forged_req["id"] = req.id
    forged = grant(Consent.from_stix(forged_req), h.xx.node.key).to_stix()
    row = h.dz.node.store.latest_by_ids([h.dz_report["id"]])[0]
    with h.client("XX") as c:
        r = c.post("/api/liaison/consents/", json=forged)
        assert r.status_code == 409, r.text
        assert "never changes" in r.json()["description"]
        # Its own grant on DZ's report, under a fresh id: kept, but it re-dates nothing.
        mine = request(
            h.dz_report["id"],
            originator=ids["XX"],
            recipient=ids["MR"],
            requester=ids["XX"],
            requester_key=h.xx.node.key,
        )
        r = c.post("/api/liaison/consents/", json=grant(mine, h.xx.node.key).to_stix())
        assert r.status_code == 201, r.text
    held = Consent.from_stix(h.dz.node.store.record("consent", req.id) or {})
    assert (held.object_ref, held.decision) == (h.mr_report["id"], "requested")
    after = h.dz.node.store.latest_by_ids([h.dz_report["id"]])[0]
    assert (after.seq, after.date_added) == (row.seq, row.date_added)


def test_receipts_never_change(hostile: Hostile) -> None:
    from liaison.agreements.receipts import make_receipt

    h = hostile
    ids = {c: h.world[c].node.identity_id for c in ("DZ", "MR", "XX")}

    def receipt(key: Any, receiver: str) -> dict[str, Any]:
        return make_receipt(
            key, receiver=receiver, sender=ids["DZ"], collection=h.dz.collection_id,
            received="2026-11-30T00:00:00.000000Z",
            objects=[{"id": h.dz_report["id"], "version": "v", "digest": "0" * 64}],
        )  # fmt: skip

    mr_receipt = receipt(h.mr.node.key, ids["MR"])
    with h.client("MR") as c:
        assert c.post("/api/liaison/receipts/", json=mr_receipt).status_code == 201
    mine = receipt(h.xx.node.key, ids["XX"])
    mine["id"] = mr_receipt["id"]
    # Re-signed over the re-used id by XX: a valid receipt of XX's, refused as a rewrite.
    from liaison.signing import canonical

    fields = ("id", "receiver", "sender", "collection", "received", "objects", "key")
    mine["signature"] = h.xx.node.key.sign(canonical({k: mine[k] for k in fields}))
    with h.client("XX") as c:
        r = c.post("/api/liaison/receipts/", json=mine)
        assert r.status_code == 409, r.text
    assert h.dz.node.store.record("receipt", mr_receipt["id"]) == mr_receipt


# --- 7. local re-versioning ------------------------------------------------------------------
def test_a_local_client_cannot_re_version_a_partner_s_object(hostile: Hostile) -> None:
    h = hostile
    ids = {c: h.world[c].node.identity_id for c in ("DZ", "MR", "XX")}
    loose = releasability_marking(ids.values())
    new = strip_signature(h.mr_report)
    # Same content, ORCON dropped, a later version: as an analyst's edit would be.
    new.update(
        modified="2030-01-01T00:00:00.000Z",
        object_marking_refs=[m for m in new["object_marking_refs"] if "caveat" not in m],
    )
    new["object_marking_refs"] = [r for r in new["object_marking_refs"] if r != h.mr_marks[2]["id"]]
    status = h.dz.post([loose, new])
    assert "belongs to another originator" in _failure(status, new["id"])
    assert h.dz.held(new["id"]) == h.mr_report
    # Re-posting MR's signed version unchanged (say, into another collection) keeps it
    # MR's: the third-party rule still keeps it from XX.
    other = h.dz.node.add_collection("forwarded")
    party = h.dz.node.store.party("analyst")
    from dataclasses import replace

    from liaison.store import Permission

    h.dz.node.store.update_party(
        replace(party, permissions=(*party.permissions, Permission(other.id, True, True)))
    )
    got = taxii_ingest(
        h.dz.exchange, h.dz.node.store.party("analyst"), other.id, {"objects": [h.mr_report]}
    )
    assert got["success_count"] == 1
    (copy_row,) = [r for r in h.dz.node.store.latest_by_ids([h.mr_report["id"]])
                   if r.collection_id == other.id]  # fmt: skip
    assert copy_row.origins == (ids["MR"],)
    xx = h.dz.node.store.party("XX")
    assert not h.dz.exchange.gate.decide(xx, copy_row).allow  # type: ignore[attr-defined]


# --- 8. look-alike agreements ------------------------------------------------------------------
def test_a_look_alike_agreement_is_flagged_with_its_terms(hostile: Hostile) -> None:
    from liaison.cli.agreement import propose_from_spec

    h = hostile
    dz_xx = documents.get_agreement(h.dz.node, "DZ-XX exchange arrangement")
    spec = {
        "name": dz_xx.name,
        "types": sorted(dz_xx.scope.stix_types | {"malware"}),
        "topics": sorted(dz_xx.scope.topics),
        "regions": sorted(dz_xx.scope.regions),
        "max_classification": "SECRET DE L'ÉTAT",
        "retention_days": 3650,
        "valid_days": 3650,
        "partner": [
            {
                "party": "DZ",
                "levels": list(dz_xx.party(h.dz.node.identity_id).classification_levels),  # type: ignore[union-attr]
                "max_classification": "TRÈS SECRET",
                "equivalence": {
                    a: b
                    for a, b in zip(
                        dz_xx.party(h.xx.node.identity_id).classification_levels,  # type: ignore[union-attr]
                        dz_xx.party(h.dz.node.identity_id).classification_levels,  # type: ignore[union-attr]
                        strict=True,
                    )
                },
            }
        ],
        "contact": [{"party": "self", "name": "XX"}],
    }
    levels = dz_xx.party(h.xx.node.identity_id).classification_levels  # type: ignore[union-attr]
    spec["max_classification"] = levels[-1]
    fake = propose_from_spec(h.xx.node, spec)
    fake = sign(fake, h.xx.node.identity_id, h.xx.node.key)
    with h.client("XX") as c:
        assert c.post("/api/liaison/agreements/", json=fake.to_stix()).status_code == 201
    assert state(documents.get_agreement(h.dz.node, fake.id)) == "proposed"
    from liaison.web.agreements import warnings_for
    from liaison.web.present import Names

    names = Names({h.dz.node.identity_id: "DZ", h.xx.node.identity_id: "XX"})
    found = warnings_for(fake, documents.agreements(h.dz.node), names)
    assert any(re.match(r"Same name as agreement x-liaison-agreement--", w) for w in found)
    assert any("Raises the ceiling for DZ" in w for w in found)
    assert any("does not: malware" in w for w in found)
    # Asked by name, the CLI refuses to guess which one is meant.
    from liaison.errors import ConflictError

    with pytest.raises(ConflictError, match="several agreements are named"):
        documents.get_agreement(h.dz.node, dz_xx.name)
