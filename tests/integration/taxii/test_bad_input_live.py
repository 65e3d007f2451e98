"""Bad input over real HTTP: a TAXII error with the right status, nothing stored, still serving."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

TAXII = "application/taxii+json;version=2.1"


def _is_taxii_error(r: httpx.Response, status: int) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/taxii+json")
    body = r.json()
    assert body["http_status"] == str(status)
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body.get("description", ""), str)


def _post(server: Any, body: bytes, **headers: str) -> httpx.Response:
    h = {"Content-Type": TAXII, **headers}
    with server.client() as c:
        return c.post(
            server.collection_url.removeprefix(server.url) + "objects/", content=body, headers=h
        )


def _stored(server: Any) -> int:
    with server.client() as c:
        r = c.get(server.collection_url.removeprefix(server.url) + "manifest/?limit=1000")
    assert r.status_code == 200
    return len(r.json().get("objects", []))


def _still_serving(server: Any) -> None:
    with server.client() as c:
        assert c.get("/taxii2/").status_code == 200


def _envelope(stix_factory: Any, n: int = 1) -> dict[str, Any]:
    return {"objects": stix_factory.many(n)}


BAD_BODIES = {
    "malformed JSON": b'{"objects": [',
    "not JSON at all": b"<stix/>",
    "invalid UTF-8": b'{"objects": [{"type": "indicator", "name": "\xff\xfe"}]}',
    "envelope is a list": b"[]",
    "objects is not a list": b'{"objects": {"a": 1}}',
    "empty body": b"",
    "nesting over the limit": b'{"objects": [' + b"[" * 40 + b"]" * 40 + b"]}",
    "nesting that breaks parsers": b"[" * 1500 + b"]" * 1500,
}


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_bad_bodies_are_400_and_store_nothing(small_server: Any, name: str) -> None:
    before = _stored(small_server)
    _is_taxii_error(_post(small_server, BAD_BODIES[name]), 400)
    assert _stored(small_server) == before
    _still_serving(small_server)


def test_body_over_the_limit_is_413(small_server: Any, stix_factory: Any) -> None:
    before = _stored(small_server)
    big = json.dumps(_envelope(stix_factory, 30)).encode()
    assert len(big) > 4000
    _is_taxii_error(_post(small_server, big), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        for i in range(0, len(big), 500):
            yield big[i : i + 500]

    with small_server.client() as c:
        r = c.post(
            small_server.collection_url.removeprefix(small_server.url) + "objects/",
            content=chunks(),
            headers={"Content-Type": TAXII},
        )
    _is_taxii_error(r, 413)
    assert _stored(small_server) == before
    _still_serving(small_server)
    # A body under the limit still lands.
    ok = _post(small_server, json.dumps(_envelope(stix_factory, 1)).encode())
    assert ok.status_code == 202 and ok.json()["success_count"] == 1


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/stix+json;version=2.1", "text/plain", ""]
)
def test_wrong_content_type_is_415(small_server: Any, stix_factory: Any, content_type: str) -> None:
    before = _stored(small_server)
    body = json.dumps(_envelope(stix_factory)).encode()
    r = _post(small_server, body, **{"Content-Type": content_type})
    _is_taxii_error(r, 415)
    assert _stored(small_server) == before


@pytest.mark.parametrize(
    "accept", ["application/json", "application/taxii+json;version=2.0", "text/html"]
)
def test_unacceptable_accept_is_406(small_server: Any, accept: str) -> None:
    with small_server.client() as c:
        for path in (
            "/taxii2/",
            "/api/",
            small_server.collection_url.removeprefix(small_server.url),
        ):
            _is_taxii_error(c.get(path, headers={"Accept": accept}), 406)


def test_next_tokens_forged_stale_or_foreign_are_400(small_server: Any, stix_factory: Any) -> None:
    _post(small_server, json.dumps(_envelope(stix_factory, 5)).encode())
    objects = small_server.collection_url.removeprefix(small_server.url) + "objects/"
    with small_server.client() as c:
        first = c.get(objects).json()
        assert first["more"] is True
        token = first["next"]
        assert c.get(objects, params={"next": token}).status_code == 200
        forged = [
            ("x" if token[0] != "x" else "y") + token[1:],
            token[:-1] + ("A" if token[-1] != "A" else "B"),
            token[: len(token) // 2],
            "not-a-token",
            "a" * 5000,
            "abc.é",
            "",
        ]
        for bad in forged[:-1]:
            _is_taxii_error(c.get(objects, params={"next": bad}), 400)
        # the same token under other filters is refused too
        _is_taxii_error(c.get(objects, params={"next": token, "match[type]": "tool"}), 400)
    # ... and from another party
    small_server.home.add_party("analyst2", "--internal")
    with small_server.client("analyst2") as c:
        _is_taxii_error(c.get(objects, params={"next": token}), 400)
    _still_serving(small_server)


def test_unknown_collection_is_404(small_server: Any, stix_factory: Any) -> None:
    with small_server.client() as c:
        for path in (
            "/api/collections/nope/",
            "/api/collections/nope/objects/",
            "/api/collections/nope/manifest/",
        ):
            _is_taxii_error(c.get(path), 404)
        r = c.post(
            "/api/collections/nope/objects/",
            content=json.dumps(_envelope(stix_factory)),
            headers={"Content-Type": TAXII},
        )
        _is_taxii_error(r, 404)


def test_unknown_paths_and_methods_get_taxii_errors(small_server: Any) -> None:
    with small_server.client() as c:
        _is_taxii_error(c.get("/api/nothing-here/"), 404)
        _is_taxii_error(c.put("/taxii2/"), 405)
        _is_taxii_error(c.get("/api/status/no-such-status/"), 404)


def test_credentials_basic_and_bearer(small_server: Any) -> None:
    token = small_server.home.tokens["analyst"]
    url = small_server.discovery
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert httpx.get(url, auth=("analyst", token)).status_code == 200
    for bad in (
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {token}x"},
        {"Authorization": "Basic !!!not-base64"},
        {},
    ):
        _is_taxii_error(httpx.get(url, headers=bad), 401)
    _is_taxii_error(httpx.get(url, auth=("partner", token)), 401)  # right token, wrong name
    _is_taxii_error(httpx.get(url, auth=("analyst", "")), 401)
    r = httpx.get(url)
    assert r.headers.get("www-authenticate", "").lower().startswith("basic")
