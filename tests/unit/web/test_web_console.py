"""The console over HTTP in process: sessions, CSRF, gate-checked pages, compose, roles."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import orjson
from console_world import World, csrf_of, login
from starlette.testclient import TestClient

from liaison.node import Node
from liaison.service import build_exchange

SignIn = Callable[[str], tuple[TestClient, str]]


def test_pages_need_a_session(app_client: Callable[[], TestClient]) -> None:
    c = app_client()
    for path in ("/ui/inbox", "/ui/compose", "/ui/map", "/ui/audit"):
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/ui/login", path
    r = c.post("/ui/compose/preview", data={"name": "x"})
    assert r.status_code == 401


def test_login_cookie_flags_and_bad_password(app_client: Callable[[], TestClient]) -> None:
    c = app_client()
    page = c.get("/ui/login")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
    assert nonce
    r = c.post(
        "/ui/login",
        data={"username": "ana", "password": "not the password", "nonce": nonce.group(1)},
    )
    assert r.status_code == 401 and "login-error" in r.text
    r = c.post(
        "/ui/login",
        data={"username": "ana", "password": "correct horse battery", "nonce": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 403  # the login form's own nonce (login CSRF)
    login(c, "ana")
    cookie = next(v for k, v in c.cookies.items() if k == "liaison_session")
    assert cookie
    page = c.get("/ui/login")
    n = re.search(r'name="nonce" value="([^"]+)"', page.text)
    assert n
    r = c.post(
        "/ui/login",
        data={"username": "ana", "password": "correct horse battery", "nonce": n.group(1)},
        follow_redirects=False,
    )
    header = r.headers["set-cookie"].lower()
    assert "liaison_session=" in header and "httponly" in header and "samesite=strict" in header


def test_post_without_csrf_is_refused(signed_in: SignIn) -> None:
    c, _csrf = signed_in("ana")
    r = c.post("/ui/lang", data={"lang": "en"})
    assert r.status_code == 403
    r = c.post("/ui/lang", data={"lang": "en", "csrf": "wrong"})
    assert r.status_code == 403
    r = c.post("/ui/compose/preview", data={"name": "x"})
    assert r.status_code == 403 and "CSRF" in r.json()["error"]


def test_inbox_lists_received_report_unread_first(world: World, signed_in: SignIn) -> None:
    c, _ = signed_in("ana")
    page = c.get("/ui/inbox").text
    assert world.report["name"] in page
    assert '<html lang="fr" dir="ltr">' in page
    rows = re.findall(r'<tr class="(unread|read)">', page)
    assert rows and rows == sorted(rows, key=lambda s: s == "read")
    c.get(f"/ui/object/{world.report['id']}")
    page = c.get("/ui/inbox").text
    row = re.search(r'<tr class="(\w+)">\s*<td>[^<]*</td>\s*<td><a href="/ui/object/'
                    + re.escape(world.report["id"]), page)  # fmt: skip
    assert row and row.group(1) == "read"
    assert c.get("/ui/inbox?partner=XX").text.count("/ui/object/") == 0


def test_received_report_banner_markings_provenance_signature(
    world: World, signed_in: SignIn
) -> None:
    c, _ = signed_in("ana")
    page = c.get(f"/ui/object/{world.report['id']}").text
    banners = re.findall(
        r'<div class="banner banner-(\w+)"[^>]*data-position="(\w+)">([^<]+)<', page
    )
    assert [b[1] for b in banners] == ["top", "bottom"]
    assert banners[0][2] == banners[1][2]
    text = banners[0][2]
    assert text.startswith("DIFFUSION RESTREINTE (MR)")
    assert "REL TO DZ, MR" in text and "ORCON" in text and "TLP:GREEN" in text
    assert banners[0][0] == "1"  # second level of MR's scale
    assert 'id="grading"><strong>B2</strong>' in page
    assert re.search(r"Reçu de ?: <bdi>MR</bdi>", page)
    assert 'id="signature-status">✔' in page
    # The originator kept the source's description local: it is not shown here.
    assert "TIGRE-7" not in page


def test_object_outside_the_users_collections_is_not_found(world: World, signed_in: SignIn) -> None:
    node: Node = world.dz
    col = node.add_collection("restricted", "officers only")
    party, _ = node.add_party("restricted-writer", internal=True, read=[col.id], write=[col.id])
    note = {
        "type": "note",
        "spec_version": "2.1",
        "id": "note--0d4f9e2c-6f1c-4a4e-9a57-3f2f4f0a1b2c",
        "created": "2026-11-01T00:00:00.000Z",
        "modified": "2026-11-01T00:00:00.000Z",
        "content": "restricted note",
        "object_refs": [node.identity_id],
    }
    got = build_exchange(node).receive(party, col.id, [note])
    assert not got.failures
    c, _ = signed_in("ana")
    r = c.get(f"/ui/object/{note['id']}")
    assert r.status_code == 404 and "restricted note" not in r.text


def test_release_preview_says_who_and_why(signed_in: SignIn) -> None:
    c, csrf = signed_in("ana")
    form = {"csrf": csrf, "name": "t", "classification": "DIFFUSION RESTREINTE", "tlp": "green",
            "topics": "terrorism", "regions": "ML"}  # fmt: skip
    r = c.post("/ui/compose/preview", data={**form, "rel": ["MR", "XX"]})
    assert r.status_code == 200
    got = {x["party"]: x for x in r.json()["recipients"]}
    assert got["MR"]["allow"] and "MR-DZ exchange arrangement" in got["MR"]["reasons"][0]
    assert not got["XX"]["allow"] and "no agreement" in got["XX"]["reasons"][0]
    assert r.json()["banner"]["text"].startswith("DIFFUSION RESTREINTE (DZ)")
    r = c.post("/ui/compose/preview", data=form)  # not marked releasable to MR
    mr = next(x for x in r.json()["recipients"] if x["party"] == "MR")
    assert not mr["allow"]
    r = c.post("/ui/compose/preview", data={**form, "rel": ["MR"], "regions": "FR"})
    mr = next(x for x in r.json()["recipients"] if x["party"] == "MR")
    assert not mr["allow"]
    r = c.post("/ui/compose/preview", data={**form, "classification": "NO SUCH LEVEL"})
    assert r.status_code == 400


def test_compose_and_share_stores_a_signed_marked_report(world: World, signed_in: SignIn) -> None:
    c, csrf = signed_in("ana")
    r = c.post(
        "/ui/compose",
        data={"csrf": csrf, "name": "Convoi observé près de Tessalit", "lang": "fr",
              "description": "Trois pick-up.", "classification": "CONFIDENTIEL",
              "rel": ["MR"], "tlp": "amber",
              "orcon": "1", "topics": "terrorism", "regions": "ML", "loc_name": "Tessalit",
              "lat": "20.2", "lon": "1.01", "reliability": "C", "credibility": "3"},
    )  # fmt: skip
    assert r.status_code == 200 and r.url.path.startswith("/ui/object/report--")
    oid = r.url.path.rsplit("/", 1)[1]
    row = world.dz.store.latest_by_ids([oid])[0]
    obj = orjson.loads(row.body)
    assert obj["created_by_ref"] == world.dz.identity_id
    assert obj["x_liaison_regions"] == ["ML"]
    assert row.handling["h"]["classification"] == "CONFIDENTIEL"
    assert world.mr.identity_id in row.handling["h"]["releasable_to"]
    assert "CONFIDENTIEL (DZ)" in r.text and 'id="signature-status">✔' in r.text
    assert "C3" in r.text
    # MR's gate at DZ now releases it to MR.
    ex = build_exchange(world.dz)
    assert ex.gate.verdicts(world.dz.store.party("MR"))(row).body is not None


def test_arabic_user_gets_rtl_pages(world: World, signed_in: SignIn) -> None:
    c, csrf = signed_in("omar")
    page = c.get("/ui/inbox").text
    assert '<html lang="ar" dir="rtl">' in page
    assert "المعلومات الواردة" in page
    r = c.post("/ui/lang", data={"csrf": csrf, "lang": "en", "back": "/map"})
    assert r.url.path == "/ui/map" and '<html lang="en" dir="ltr">' in r.text
    c.post("/ui/lang", data={"csrf": csrf, "lang": "ar"})


def test_map_draws_located_objects(world: World, signed_in: SignIn) -> None:
    c, _ = signed_in("aude")
    page = c.get("/ui/map").text
    assert 'role="img" aria-labelledby="map-title map-desc"' in page
    assert page.count('data-country="') >= 20
    assert "In Khalil" in page and "Bordj Badji Mokhtar" in page
    points = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="6" class="point"', page)
    assert len(points) >= 2


def test_graph_of_a_report(world: World, signed_in: SignIn) -> None:
    c, _ = signed_in("ana")
    page = c.get(f"/ui/graph/{world.report['id']}").text
    assert page.count('class="node ') == 1 + 4  # report + actor, 2 places, indicator
    assert "located-at" in page


def test_roles_guard_audit_and_signing(world: World, signed_in: SignIn) -> None:
    ana, csrf = signed_in("ana")
    assert ana.get("/ui/audit").status_code == 403
    aude, _ = signed_in("aude")
    page = aude.get("/ui/audit").text
    assert 'id="audit-status">✔' in page
    assert "login" in page and "object.received" in page
    assert aude.get("/ui/compose").status_code == 403
    aid = world.dz.store.records("agreement")[0][1]["id"]
    assert ana.post(f"/ui/agreements/{aid}/sign", data={"csrf": csrf}).status_code == 403


def test_officer_signs_a_proposed_agreement(world: World, signed_in: SignIn) -> None:
    from console_world import LEVELS

    from liaison.agreements import sign, state
    from liaison.cli.agreement import propose_from_spec
    from liaison.service import documents

    spec = {
        "name": "MR-DZ annex (fuel smuggling)",
        "types": ["report"],
        "topics": ["organised-crime"],
        "regions": ["ML"],
        "max_classification": LEVELS["MR"][1],
        "retention_days": 365,
        "valid_days": 90,
        "partner": [{"party": "DZ", "levels": LEVELS["DZ"], "max_classification": LEVELS["DZ"][1],
                     "equivalence": dict(zip(LEVELS["MR"], LEVELS["DZ"], strict=True))}],
        "contact": [{"party": "self", "name": "Liaison officer MR"}],
    }  # fmt: skip
    a = propose_from_spec(world.mr, spec)
    a = sign(a, world.mr.identity_id, world.mr.key)
    documents.put_agreement(world.dz, a.to_stix())
    c, csrf = signed_in("omar")
    page = c.get("/ui/agreements").text
    # The list only links to the terms; the sign form lives on the agreement's own page.
    assert f"/ui/agreements/{a.id}/sign" not in page and f'href="/ui/agreements/{a.id}"' in page
    terms = c.get(f"/ui/agreements/{a.id}").text
    assert f"/ui/agreements/{a.id}/sign" in terms
    for shown in ("MR-DZ annex (fuel smuggling)", "organised-crime", "365", *LEVELS["DZ"]):
        assert html.escape(shown) in terms, shown
    digest = re.findall(r'name="digest" value="([0-9a-f]{64})"', terms)[0]
    # Without the digest of what was shown (or with another one), nothing is signed.
    for bad in ({}, {"digest": "0" * 64}):
        r = c.post(f"/ui/agreements/{a.id}/sign", data={"csrf": csrf, **bad})
        assert r.status_code == 409
        assert state(documents.get_agreement(world.dz, a.id)) == "proposed"
    r = c.post(f"/ui/agreements/{a.id}/sign", data={"csrf": csrf, "digest": digest})
    assert r.status_code == 200 and r.url.path == f"/ui/agreements/{a.id}"
    assert state(documents.get_agreement(world.dz, a.id)) == "in-force"
    assert f"/ui/agreements/{a.id}/sign" not in r.text


def test_every_page_renders_for_every_language(world: World, signed_in: SignIn) -> None:
    c, csrf = signed_in("omar")
    for lang in ("fr", "ar", "en"):
        c.post("/ui/lang", data={"csrf": csrf, "lang": lang})
        for path in ("/ui/inbox", "/ui/compose", "/ui/extract", "/ui/map", "/ui/agreements",
                     "/ui/consents", "/ui/correlations", f"/ui/object/{world.report['id']}",
                     f"/ui/graph/{world.report['id']}"):  # fmt: skip
            r = c.get(path)
            assert r.status_code == 200, (lang, path)
            assert f'<html lang="{lang}"' in r.text
            assert r.headers["x-content-type-options"] == "nosniff"


def test_extraction_highlights_spans(signed_in: SignIn) -> None:
    c, csrf = signed_in("ana")
    text = "Le JNIM a attaqué un poste près de Tessalit hier."
    r = c.post("/ui/extract", data={"csrf": csrf, "text": text})
    assert r.status_code == 200
    marks = re.findall(r'<mark class="ent-([\w-]+)" data-n="\d+">([^<]+)</mark>', r.text)
    assert ("armed-group", "JNIM") in marks
    assert any(t == "Tessalit" for _, t in marks)
    assert csrf_of(r.text) == csrf


def test_officer_answers_a_consent_request(world: World, signed_in: SignIn) -> None:
    from liaison.agreements import request
    from liaison.service import documents

    xx = next(p for p in world.dz.store.parties() if p.name == "XX")
    req = request(
        f"report--{'0' * 8}-0000-4000-8000-{'0' * 12}",
        originator=world.dz.identity_id,
        recipient=xx.identity_id,
        requester=world.mr.identity_id,
        requester_key=world.mr.key,
        justification="Onward release to XX for the joint border operation",
    )
    documents.put_consent(world.dz, req.to_stix())
    ana, ana_csrf = signed_in("ana")
    page = ana.get("/ui/consents").text
    assert "Onward release to XX" in page and f"/ui/consents/{req.id}/answer" not in page
    r = ana.post(f"/ui/consents/{req.id}/answer", data={"csrf": ana_csrf, "answer": "grant"})
    assert r.status_code == 403
    c, csrf = signed_in("omar")
    assert f"/ui/consents/{req.id}/answer" in c.get("/ui/consents").text
    r = c.post(f"/ui/consents/{req.id}/answer", data={"csrf": csrf, "answer": "grant"})
    assert r.status_code == 200 and r.url.path == "/ui/consents"
    answered = next(k for k in documents.consents(world.dz) if k.id == req.id)
    assert answered.decision == "granted" and answered.signed_by == world.dz.identity_id
    r = c.post(f"/ui/consents/{req.id}/answer", data={"csrf": csrf, "answer": "deny"})
    assert r.status_code == 400  # no longer an open request


def test_extraction_draft_flows_into_a_shared_report(world: World, signed_in: SignIn) -> None:
    c, csrf = signed_in("ana")
    text = "Le JNIM a attaqué un poste près de Tessalit hier."
    page = c.post("/ui/extract", data={"csrf": csrf, "text": text}).text
    objs = [orjson.loads(html.unescape(m)) for m in re.findall(r'data-object="([^"]+)"', page)]
    assert objs and all("type" in o and "id" in o for o in objs)
    draft = c.post(
        "/ui/compose/draft",
        data={"csrf": csrf, "name": "JNIM près de Tessalit", "description": text, "lang": "fr",
              "accepted": orjson.dumps(objs).decode()},
    )  # fmt: skip
    assert draft.status_code == 200 and 'name="accepted" value="' in draft.text
    accepted = html.unescape(re.findall(r'name="accepted" value="([^"]*)"', draft.text)[0])
    assert orjson.loads(accepted) == objs
    r = c.post(
        "/ui/compose",
        data={"csrf": csrf, "name": "JNIM près de Tessalit", "description": text, "lang": "fr",
              "classification": "DIFFUSION RESTREINTE", "rel": ["MR"], "tlp": "green",
              "topics": "terrorism", "regions": "ML", "accepted": accepted},
    )  # fmt: skip
    assert r.status_code == 200 and r.url.path.startswith("/ui/object/report--"), r.text[-600:]
    report = orjson.loads(world.dz.store.latest_by_ids([r.url.path.rsplit("/", 1)[1]])[0].body)
    # The accepted entities are stored under fresh ids (what the browser sends never
    # names an object the node holds), with their names and the report's markings.
    assert len(report["object_refs"]) == len(objs)
    assert not set(report["object_refs"]) & {o["id"] for o in objs}
    rows = world.dz.store.latest_by_ids(report["object_refs"])
    assert sorted(orjson.loads(r.body).get("name") for r in rows) == sorted(
        o.get("name") for o in objs
    )
    for row in rows:
        assert row.handling["h"]["classification"] == "DIFFUSION RESTREINTE"


def test_correlations_page_links_a_local_indicator_to_the_received_one(
    world: World, signed_in: SignIn
) -> None:
    received = next(o for o in world.objects if o["type"] == "indicator")
    mine = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--5b0c3f4e-8f57-4b8a-9d2c-2c1f0e9a7d11",
        "created": "2026-11-02T00:00:00.000Z",
        "modified": "2026-11-02T00:00:00.000Z",
        "name": "Adresse du coordinateur (source locale)",
        "pattern": received["pattern"],
        "pattern_type": "stix",
        "valid_from": "2026-11-02T00:00:00.000Z",
    }
    got = world.dz_ex.receive(
        world.dz.store.party("ui.ana"), world.dz.default_collection_id, [mine]
    )
    assert not got.failures
    c, _ = signed_in("ana")
    page = c.get("/ui/correlations").text
    assert mine["name"] in page and received["name"].replace("'", "&#39;") in page
    assert "tilemsi.logistique@example.org" in page


def test_release_preview_shows_the_collection_default_when_the_form_marks_nothing(
    world: World, signed_in: SignIn
) -> None:
    from liaison.markings.defaults import DefaultHandling

    c, csrf = signed_in("ana")
    form = {"csrf": csrf, "name": "t", "topics": "terrorism", "regions": "ML"}
    r = c.post("/ui/compose/preview", data=form)
    assert r.json()["collection_default"] is False  # no default: the form's own markings
    mr_id = world.dz.store.party("MR").identity_id
    cid = world.dz.default_collection_id
    world.dz.set_collection_default(cid, DefaultHandling("DIFFUSION RESTREINTE", (mr_id,), "green"))
    try:
        r = c.post("/ui/compose/preview", data=form)
        body = r.json()
        assert body["collection_default"] is True
        assert body["banner"]["text"].startswith("DIFFUSION RESTREINTE (DZ)")
        got = {x["party"]: x for x in body["recipients"]}
        assert got["MR"]["allow"] and not got["XX"]["allow"]
        # a form that chooses anything gets what it chose, not the default
        r = c.post("/ui/compose/preview", data={**form, "tlp": "green"})
        assert r.json()["collection_default"] is False
        assert not next(x for x in r.json()["recipients"] if x["party"] == "MR")["allow"]
    finally:
        world.dz.set_collection_default(cid, None)
