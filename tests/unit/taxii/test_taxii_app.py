"""The TAXII 2.1 endpoints in-process (Starlette ``TestClient``): shapes, filters, headers,
media types and TAXII error objects."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from liaison.node import Node
from liaison.signing.objects import strip_signature

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"


class Api:
    """A node, its TAXII app and an internal party's client."""

    def __init__(self, node: Node, make: Callable[..., Any]) -> None:
        self.node = node
        _, self.token = node.add_party("analyst", internal=True)
        _, self.partner_token = node.add_party("partner")
        self.c = make(node, self.token)
        self.partner = make(node, self.partner_token)
        self.anon = make(node)
        self.col = f"/api/collections/{node.default_collection_id}/"

    def post(self, objs: list[dict[str, Any]], client: Any = None) -> Any:
        r = (client or self.c).post(self.col + "objects/", content=json.dumps({"objects": objs}))
        assert r.status_code == 202, r.text
        return r.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.c.get(self.col + path, params=params)


@pytest.fixture
def api(node: Node, taxii_client: Callable[..., Any]) -> Api:
    return Api(node, taxii_client)


def is_error(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == TAXII
    body: dict[str, Any] = r.json()
    assert body["http_status"] == str(status) and body["title"]
    return body


def bare(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [strip_signature(o) for o in objs]


# --- discovery, api root, collections -------------------------------------------------
def test_discovery_and_api_root(api: Api) -> None:
    r = api.c.get("/taxii2/")
    assert r.status_code == 200 and r.headers["content-type"] == TAXII
    d = r.json()
    assert d["api_roots"] == ["/api/"] and d["default"] == "/api/"
    root = api.c.get("/api/").json()
    assert root["versions"] == [TAXII]
    assert root["max_content_length"] == api.node.settings.max_body_bytes


def test_collections_carry_per_party_permissions(api: Api) -> None:
    (col,) = api.c.get("/api/collections/").json()["collections"]
    assert col["id"] == api.node.default_collection_id
    assert col["can_read"] is True and col["can_write"] is True
    assert col["media_types"] == [STIX]
    ro = api.node.add_collection("read-only")
    _, token = api.node.add_party("reader", internal=True, read=[ro.id], write=[])
    reader = api.partner.__class__(api.c.app, headers={"Authorization": f"Bearer {token}"})
    cols = {c["id"]: c for c in reader.get("/api/collections/").json()["collections"]}
    assert cols[ro.id]["can_read"] is True and cols[ro.id]["can_write"] is False
    r = reader.post(
        f"/api/collections/{ro.id}/objects/",
        content=b'{"objects": []}',
        headers={"Content-Type": TAXII},
    )
    is_error(r, 403)
    reader.close()
    # A collection a party has no permission on does not exist for it.
    is_error(api.c.get(f"/api/collections/{ro.id}/"), 404)


def test_partner_sees_collections_but_no_objects(api: Api, stix_factory: Any) -> None:
    objs = stix_factory.many(3)
    api.post(objs)
    p = api.partner
    assert p.get(api.col).status_code == 200
    page = p.get(api.col + "objects/").json()
    assert page == {"more": False}
    assert p.get(api.col + "manifest/").json() == {"more": False}
    is_error(p.get(api.col + f"objects/{objs[0]['id']}/"), 404)
    is_error(p.get(api.col + f"objects/{objs[0]['id']}/versions/"), 404)
    is_error(p.delete(api.col + f"objects/{objs[0]['id']}/"), 403)
    assert len(api.get("objects/").json()["objects"]) == 3  # nothing was deleted


# --- objects, filters, headers ---------------------------------------------------------
def test_post_then_get_objects_with_date_added_headers(api: Api, stix_factory: Any) -> None:
    objs = stix_factory.many(5)
    status = api.post(objs)
    assert [s["id"] for s in status["successes"]] == [o["id"] for o in objs]
    r = api.get("objects/", limit=2)
    assert r.status_code == 200 and r.headers["content-type"] == TAXII
    body = r.json()
    assert body["more"] is True and body["next"]
    assert bare(body["objects"]) == objs[:2]
    manifest = api.get("manifest/").json()["objects"]
    assert r.headers["X-TAXII-Date-Added-First"] == manifest[0]["date_added"]
    assert r.headers["X-TAXII-Date-Added-Last"] == manifest[1]["date_added"]
    r2 = api.get("objects/", limit=2, next=body["next"])
    assert bare(r2.json()["objects"]) == objs[2:4]
    assert r2.headers["X-TAXII-Date-Added-First"] == manifest[2]["date_added"]
    r3 = api.get("objects/", limit=2, next=r2.json()["next"])
    assert r3.json()["more"] is False and "next" not in r3.json()
    # an empty page has no date headers
    empty = api.get("objects/", **{"match[type]": "malware"})
    assert empty.json() == {"more": False}
    assert "X-TAXII-Date-Added-First" not in empty.headers


def test_manifest_and_status_resources(api: Api, stix_factory: Any) -> None:
    objs = stix_factory.many(2)
    status = api.post(objs)
    m = api.get("manifest/").json()["objects"]
    assert [e["id"] for e in m] == [o["id"] for o in objs]
    assert [e["version"] for e in m] == [o["modified"] for o in objs]
    assert all(e["media_type"] == STIX for e in m)
    # One POST is one batch: one date_added (it counts nothing a reader cannot see).
    assert m[0]["date_added"] == m[1]["date_added"]
    later = api.post([stix_factory.indicator()])
    assert later["success_count"] == 1
    m = api.get("manifest/").json()["objects"]
    assert m[1]["date_added"] < m[2]["date_added"]
    again = api.c.get(f"/api/status/{status['id']}/")
    assert again.status_code == 200 and again.json() == status
    is_error(api.partner.get(f"/api/status/{status['id']}/"), 404)  # not the partner's


def test_version_filters(api: Api, stix_factory: Any) -> None:
    v1 = stix_factory.indicator()
    v2 = stix_factory.new_version(v1)
    v3 = stix_factory.new_version(v2)
    other = stix_factory.identity()
    api.post([v2, other, v3, v1])

    def got(path: str = "objects/", **params: Any) -> list[dict[str, Any]]:
        return bare(api.get(path, **params).json().get("objects", []))

    oid = v1["id"]
    assert got(**{"match[id]": oid}) == [v3]
    assert got(**{"match[id]": oid, "match[version]": "first"}) == [v1]
    assert got(**{"match[id]": oid, "match[version]": "all"}) == [v2, v3, v1]
    assert got(**{"match[id]": oid, "match[version]": "first,last"}) == [v3, v1]
    assert got(**{"match[id]": oid, "match[version]": v2["modified"]}) == [v2]
    assert got(**{"match[version]": "2001-01-01T00:00:00Z"}) == []
    assert got(f"objects/{oid}/") == [v3]
    assert got(f"objects/{oid}/", **{"match[version]": "all"}) == [v2, v3, v1]
    versions = api.get(f"objects/{oid}/versions/").json()["versions"]
    assert versions == [v2["modified"], v3["modified"], v1["modified"]]
    assert got(**{"match[type]": "identity"}) == [other]
    assert got(**{"match[type]": "identity,indicator"}) == [other, v3]
    assert got(**{"match[spec_version]": "2.1"}) == [other, v3]
    assert got(**{"match[spec_version]": "2.0"}) == []


def test_added_after_is_exclusive(api: Api, stix_factory: Any) -> None:
    objs = stix_factory.many(3)
    api.post(objs[:1])
    api.post(objs[1:])
    m = api.get("manifest/").json()["objects"]
    after = api.get("objects/", added_after=m[0]["date_added"]).json()["objects"]
    assert [o["id"] for o in after] == [objs[1]["id"], objs[2]["id"]]
    assert "objects" not in api.get("objects/", added_after=m[2]["date_added"]).json()


def test_delete_by_version_and_all(api: Api, stix_factory: Any) -> None:
    v1 = stix_factory.indicator()
    v2 = stix_factory.new_version(v1)
    api.post([v1, v2])
    path = f"objects/{v1['id']}/"
    r = api.c.delete(api.col + path, params={"match[version]": v1["modified"]})
    assert r.status_code == 200
    assert api.get(f"{path}versions/").json()["versions"] == [v2["modified"]]
    assert api.c.delete(api.col + path).status_code == 200
    is_error(api.get(path), 404)


def test_delete_last_version_only(api: Api, stix_factory: Any) -> None:
    v1 = stix_factory.indicator()
    v2 = stix_factory.new_version(v1)
    api.post([v1, v2])
    path = f"objects/{v1['id']}/"
    r = api.c.delete(api.col + path, params={"match[version]": "last"})
    assert r.status_code == 200
    assert api.get(f"{path}versions/").json().get("versions") == [v1["modified"]], (
        "DELETE ?match[version]=last deleted every version"
    )


def test_idempotent_post(api: Api, stix_factory: Any) -> None:
    objs = stix_factory.many(2)
    api.post(objs)
    again = api.post(objs)
    assert again["success_count"] == 2 and again["failure_count"] == 0
    assert len(api.get("manifest/").json()["objects"]) == 2


def test_valid_objects_land_beside_invalid_ones(api: Api, stix_factory: Any) -> None:
    good = stix_factory.indicator()
    bad = dict(stix_factory.indicator(), created="yesterday")
    status = api.post([bad, good])
    assert status["success_count"] == 1 and status["failure_count"] == 1
    (failure,) = status["failures"]
    assert failure["id"] == bad["id"] and "created" in failure["message"]
    assert [o["id"] for o in api.get("objects/").json()["objects"]] == [good["id"]]


def test_a_malformed_sco_version_fails_alone(api: Api, stix_factory: Any) -> None:
    # An SCO's 'modified' is a custom property the STIX rules do not check; this node
    # reads it as the version, so a malformed one fails that object -- not the envelope.
    good = stix_factory.indicator()
    bad = dict(stix_factory.ipv4(), modified="garbage")
    status = api.post([bad, good])
    assert status["success_count"] == 1 and status["failure_count"] == 1
    (failure,) = status["failures"]
    assert failure["id"] == bad["id"] and "'garbage' is not a timestamp" in failure["message"]
    assert [o["id"] for o in api.get("objects/").json()["objects"]] == [good["id"]]


def test_a_type_beginning_with_a_digit_fails_alone(api: Api, stix_factory: Any) -> None:
    good = stix_factory.indicator()
    bad = {**stix_factory.ipv4(), "type": "3dx-model"}
    bad["id"] = "3dx-model--" + bad["id"].split("--", 1)[1]
    status = api.post([good, bad])
    assert status["success_count"] == 1 and status["failure_count"] == 1
    assert "a letter first" in status["failures"][0]["message"]
    assert [o["id"] for o in api.get("objects/").json()["objects"]] == [good["id"]]


# --- media types, parameters, errors --------------------------------------------------
@pytest.mark.parametrize(
    "accept",
    [
        TAXII,
        "application/taxii+json",
        "application/taxii+json; version=2.1",
        "*/*",
        "application/*",
        "text/html, application/taxii+json;version=2.1;q=0.5",
    ],
)
def test_acceptable_accept_headers(api: Api, accept: str) -> None:
    assert api.c.get("/taxii2/", headers={"Accept": accept}).status_code == 200


@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        "application/taxii+json;version=2.0",
        "application/stix+json;version=2.1",
        "application/taxii+json;version=2.1;q=0",
    ],
)
def test_unacceptable_accept_headers(api: Api, accept: str) -> None:
    is_error(api.c.get(api.col + "objects/", headers={"Accept": accept}), 406)


@pytest.mark.parametrize(
    "ctype", ["application/json", "application/taxii+json;version=2.0", "multipart/form-data"]
)
def test_unsupported_content_types(api: Api, ctype: str) -> None:
    r = api.c.post(
        api.col + "objects/", content=b'{"objects": []}', headers={"Content-Type": ctype}
    )
    is_error(r, 415)


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=-3",
        "limit=ten",
        "added_after=yesterday",
        "added_after=2024-01-01T00:00:00Z&added_after=2024-01-02T00:00:00Z",
        "match[id]=not-an-id",
        "match[type]=Not_A_Type",
        "match[version]=lastish",
        "match[spec_version]=3.0",
        "match[colour]=red",
        "next=forged.token",
    ],
)
def test_bad_parameters_are_400(api: Api, query: str) -> None:
    is_error(api.c.get(api.col + "objects/?" + query), 400)


def test_parameters_not_supported_by_an_endpoint(api: Api, stix_factory: Any) -> None:
    obj = stix_factory.indicator()
    api.post([obj])
    is_error(api.get(f"objects/{obj['id']}/", **{"match[type]": "indicator"}), 400)
    is_error(api.get(f"objects/{obj['id']}/versions/", **{"match[version]": "all"}), 400)


def test_limit_over_the_maximum_is_capped(
    node_factory: Any, taxii_client: Any, stix_factory: Any
) -> None:
    node = node_factory(max_page_size=3)
    api = Api(node, taxii_client)
    api.post(stix_factory.many(5))
    body = api.get("objects/", limit=1000).json()
    assert len(body["objects"]) == 3 and body["more"] is True


def test_authentication_errors(api: Api) -> None:
    r = is_error(api.anon.get("/taxii2/"), 401)
    assert r["title"]
    assert api.anon.get("/taxii2/").headers["www-authenticate"].startswith("Basic")
    is_error(api.anon.get("/taxii2/", auth=("analyst", "wrong")), 401)
    is_error(api.anon.get("/taxii2/", auth=("partner", api.token)), 401)
    assert api.anon.get("/taxii2/", auth=("analyst", api.token)).status_code == 200
    assert (
        api.anon.get("/taxii2/", headers={"Authorization": f"Bearer {api.token}"}).status_code
        == 200
    )


def test_unauthenticated_callers_learn_nothing_from_paths(api: Api) -> None:
    for path in (
        api.col + "objects/not-an-id/",
        api.col + "objects/not-an-id/versions/",
        "/api/collections/nope/objects/",
    ):
        is_error(api.anon.get(path), 401)


def test_disabled_party_is_refused(api: Api) -> None:
    from dataclasses import replace

    party = api.node.store.party("analyst")
    api.node.store.update_party(replace(party, disabled=True))
    is_error(api.c.get("/taxii2/"), 401)


def test_unknown_routes_and_methods(api: Api) -> None:
    is_error(api.c.get("/nothing/"), 404)
    is_error(api.c.put("/taxii2/"), 405)
    is_error(api.c.patch(api.col + "objects/"), 405)
    is_error(api.c.get("/api/collections/nope/objects/"), 404)
    is_error(api.c.get("/api/status/00000000-0000-4000-8000-000000000000/"), 404)


def test_storage_failure_is_500_without_internals(api: Api) -> None:
    with contextlib.closing(sqlite3.connect(api.node.home / "liaison.db")) as db:
        db.execute("DROP TABLE statuses")
    r = api.c.post(api.col + "objects/", content=b'{"objects": []}')
    body = is_error(r, 500)
    assert "statuses" not in body.get("description", "")
    assert api.c.get("/taxii2/").status_code == 200  # and it keeps serving


def test_version_less_objects_use_date_added_as_version(api: Api, stix_factory: Any) -> None:
    sco = stix_factory.ipv4()
    first = api.post([sco])
    second = api.post([sco])
    (m,) = api.get("manifest/").json()["objects"]
    assert m["version"] == m["date_added"]
    assert first["successes"][0]["version"] == second["successes"][0]["version"] == m["version"]
    got = api.get(f"objects/{sco['id']}/", **{"match[version]": m["version"]}).json()["objects"]
    assert bare(got) == [sco]
    assert api.get(f"objects/{sco['id']}/versions/").json()["versions"] == [m["version"]]


def test_version_timestamps_match_whatever_their_precision(api: Api, stix_factory: Any) -> None:
    obj = stix_factory.indicator()  # modified has milliseconds: ...:01.000Z
    api.post([obj])
    seconds_only = obj["modified"].replace(".000Z", "Z")
    got = api.get(f"objects/{obj['id']}/", **{"match[version]": seconds_only}).json()
    assert [o["id"] for o in got["objects"]] == [obj["id"]]


def test_year_zero_in_a_query_is_a_400(api: Api) -> None:
    is_error(api.get("objects/", added_after="0000-01-01T00:00:00Z"), 400)
    is_error(api.get("objects/", **{"match[version]": "0000-01-01T00:00:00Z"}), 400)


def test_year_zero_object_fails_alone(api: Api, stix_factory: Any) -> None:
    good = stix_factory.indicator()
    zero = "0000-01-01T00:00:00.000Z"
    bad = stix_factory.indicator(created=zero, modified=zero, valid_from=zero)
    r = api.c.post(api.col + "objects/", content=json.dumps({"objects": [good, bad]}))
    assert r.status_code == 202, r.text
    assert r.json()["success_count"] == 1 and r.json()["failure_count"] == 1
