"""The OASIS ``taxii2-client`` against ``liaison serve`` over real HTTP on loopback."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from requests.exceptions import HTTPError
from taxii2client.v21 import ApiRoot, Collection, Server, Status, as_pages

Obj = dict[str, Any]


def _collection(server: Any, cid: str, party: str) -> Collection:
    return Collection(server.collection_url_of(cid), user=party, password=server.home.tokens[party])


def _all_pages(func: Any, per_request: int, key: str = "objects", **kw: Any) -> list[Obj]:
    out: list[Obj] = []
    for page in as_pages(func, per_request=per_request, **kw):
        items = page.get(key, [])
        assert len(items) <= per_request
        out.extend(items)
    return out


def test_discovery_api_root_and_collections(live_server: Any) -> None:
    token = live_server.home.tokens["analyst"]
    server = Server(live_server.discovery, user="analyst", password=token)
    assert server.title
    assert len(server.api_roots) == 1
    root: ApiRoot = server.default
    assert root.url == live_server.api_root
    assert "application/taxii+json;version=2.1" in root.versions
    assert root.max_content_length > 0
    ids = {c.id for c in root.collections}
    assert live_server.home.collection_id in ids
    default = next(c for c in root.collections if c.id == live_server.home.collection_id)
    assert default.can_read and default.can_write
    assert "application/stix+json;version=2.1" in default.media_types


def test_add_objects_status_lists_every_object(
    live_server: Any, stix_factory: Any, assert_stix_valid: Any
) -> None:
    cid, party = live_server.new_collection("status")
    col = _collection(live_server, cid, party)
    good = stix_factory.many(3)
    bad = {"type": "indicator", "spec_version": "2.1", "id": "indicator--nope"}
    status = col.add_objects({"objects": [*good, bad]})
    assert status.status == "complete"
    assert status.total_count == 4
    assert status.success_count == 3 and status.failure_count == 1
    assert status.pending_count == 0
    assert {s["id"] for s in status.successes} == {o["id"] for o in good}
    assert {s["version"] for s in status.successes} == {o["modified"] for o in good}
    assert status.failures[0]["id"] == "indicator--nope"
    assert "indicator--nope" in status.failures[0]["message"]
    # The status resource can be fetched again by its id.
    again = Status(
        f"{live_server.api_root}status/{status.id}/",
        user=party,
        password=live_server.home.tokens[party],
    )
    assert again.success_count == 3 and again.failure_count == 1
    # The valid objects of the envelope landed; the bad one did not.
    stored = _all_pages(col.get_objects, 10)
    assert sorted(o["id"] for o in stored) == sorted(o["id"] for o in good)
    assert_stix_valid(stored)


@pytest.mark.parametrize("per_request", [1, 2, 7, 50])
def test_get_objects_as_pages_returns_each_object_once(
    live_server: Any, stix_factory: Any, per_request: int, assert_stix_valid: Any, unsigned: Any
) -> None:
    cid, party = live_server.new_collection(f"pages-{per_request}")
    col = _collection(live_server, cid, party)
    objs = stix_factory.many(23)
    assert col.add_objects({"objects": objs}).success_count == 23
    got = _all_pages(col.get_objects, per_request)
    assert [o["id"] for o in got] == [o["id"] for o in objs]  # insertion order, no repeats
    assert unsigned(got) == objs  # the content as posted, plus the node's signature
    manifest = _all_pages(col.get_manifest, per_request)
    assert [m["id"] for m in manifest] == [o["id"] for o in objs]
    assert all(m["media_type"] == "application/stix+json;version=2.1" for m in manifest)
    assert [m["version"] for m in manifest] == [o["modified"] for o in objs]
    assert_stix_valid(got)


def test_single_object_post_is_valid_stix(
    live_server: Any, stix_factory: Any, assert_stix_valid: Any
) -> None:
    cid, party = live_server.new_collection("single")
    col = _collection(live_server, cid, party)
    obj = stix_factory.indicator()
    assert col.add_objects({"objects": [obj]}).success_count == 1
    assert_stix_valid(col.get_object(obj["id"])["objects"])


def test_filters_through_the_client(live_server: Any, stix_factory: Any, unsigned: Any) -> None:
    cid, party = live_server.new_collection("filters")
    col = _collection(live_server, cid, party)
    ind = stix_factory.indicator()
    idt = stix_factory.identity()
    v2 = stix_factory.new_version(ind, name="C2 relay, updated")
    v3 = stix_factory.new_version(v2, name="C2 relay, final")
    col.add_objects({"objects": [ind]})  # two POSTs: two batches, two date_added values
    col.add_objects({"objects": [idt, v2, v3]})
    assert [o["id"] for o in col.get_objects(type="identity")["objects"]] == [idt["id"]]
    assert unsigned(col.get_objects(id=ind["id"])["objects"]) == [v3]
    assert unsigned(col.get_objects(id=ind["id"], version="first")["objects"]) == [ind]
    assert unsigned(col.get_objects(id=ind["id"], version="all")["objects"]) == [ind, v2, v3]
    assert unsigned(col.get_objects(id=ind["id"], version=v2["modified"])["objects"]) == [v2]
    assert col.get_objects(spec_version="2.0").get("objects", []) == []
    assert len(col.get_objects(spec_version="2.1")["objects"]) == 2
    # added_after: what came after the first manifest entry
    first = col.get_manifest(version="all")["objects"][0]
    later = col.get_objects(added_after=first["date_added"], version="all")["objects"]
    assert [o["id"] for o in later] == [idt["id"], ind["id"], ind["id"]]


def test_get_object_versions_and_delete(live_server: Any, stix_factory: Any, unsigned: Any) -> None:
    cid, party = live_server.new_collection("versions")
    col = _collection(live_server, cid, party)
    v1 = stix_factory.indicator()
    v2 = stix_factory.new_version(v1)
    col.add_objects({"objects": [v2, v1]})  # out of order on purpose
    assert unsigned(col.get_object(v1["id"])["objects"]) == [v2]
    assert unsigned(col.get_object(v1["id"], version="first")["objects"]) == [v1]
    assert unsigned(col.get_object(v1["id"], version="all")["objects"]) == [v2, v1]
    versions = col.object_versions(v1["id"])["versions"]
    assert sorted(versions) == [v1["modified"], v2["modified"]]
    col.delete_object(v1["id"], version=v2["modified"])
    assert unsigned(col.get_object(v1["id"])["objects"]) == [v1]  # v1 is now the last version
    col.delete_object(v1["id"])
    with pytest.raises(HTTPError) as info:
        col.get_object(v1["id"])
    assert info.value.response.status_code == 404
    with pytest.raises(HTTPError) as info:
        col.delete_object(v1["id"])
    assert info.value.response.status_code == 404


def test_posting_the_same_version_again_is_idempotent(live_server: Any, stix_factory: Any) -> None:
    cid, party = live_server.new_collection("idem")
    col = _collection(live_server, cid, party)
    objs = stix_factory.many(3)
    first = col.add_objects({"objects": objs})
    again = col.add_objects({"objects": objs})
    assert first.success_count == again.success_count == 3
    assert col.object_versions(objs[0]["id"])["versions"] == [objs[0]["modified"]]
    assert len(_all_pages(col.get_objects, 100)) == 3
    manifest = col.get_manifest()["objects"]
    assert len(manifest) == 3


def test_partner_sees_empty_pages_and_404s(
    live_server: Any, stix_factory: Any, unsigned: Any
) -> None:
    objs = stix_factory.many(2)
    analyst = _collection(live_server, live_server.home.collection_id, "analyst")
    assert analyst.add_objects({"objects": objs}).success_count == 2
    partner = _collection(live_server, live_server.home.collection_id, "partner")
    assert partner.can_read
    assert partner.get_objects().get("objects", []) == []
    assert partner.get_manifest().get("objects", []) == []
    for call in (partner.get_object, partner.object_versions):
        with pytest.raises(HTTPError) as info:
            call(objs[0]["id"])
        assert info.value.response.status_code == 404
    # A partner reads only (the collection says can_write false, so the client refuses
    # to try); asked anyway over HTTP, the node refuses to delete, held or not.
    assert not partner.can_write
    url = live_server.collection_url_of(live_server.home.collection_id)
    for oid in (objs[0]["id"], "indicator--00000000-0000-4000-8000-000000000000"):
        r = requests.delete(
            f"{url}objects/{oid}/",
            auth=("partner", live_server.home.tokens["partner"]),
            headers={"Accept": "application/taxii+json;version=2.1"},
            timeout=10,
        )
        assert r.status_code == 403 and r.json()["http_status"] == "403"
    assert unsigned(analyst.get_object(objs[0]["id"])["objects"]) == [objs[0]]  # not deleted


def test_wrong_credentials_get_401(live_server: Any) -> None:
    server = Server(live_server.discovery, user="analyst", password="not-the-token")
    with pytest.raises(HTTPError) as info:
        _ = server.title
    assert info.value.response.status_code == 401
    body = info.value.response.json()
    assert body["http_status"] == "401" and body["title"]


def test_unknown_collection_is_404(live_server: Any) -> None:
    col = Collection(
        live_server.collection_url_of("9a4c1d6e-0000-4000-8000-000000000000"),
        user="analyst",
        password=live_server.home.tokens["analyst"],
    )
    with pytest.raises(HTTPError) as info:
        col.get_objects()
    assert info.value.response.status_code == 404
