"""Round trips over HTTP: the ATT&CK bundle unchanged, and paging while others write."""

from __future__ import annotations

import json
import threading
import tomllib
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from liaison.signing import load_or_create_key
from liaison.signing.objects import verify_object
from suite_support import missing, shared_file

TAXII = "application/taxii+json;version=2.1"
# shared/ sits beside the checkout (on a developer machine and in CI alike)
ATTACK = shared_file("data/attack/mobile-attack-17.0.json")


def _pages(
    client: Any, path: str, between: Callable[[], None] | None = None, **params: str
) -> list[list[dict[str, Any]]]:
    """Every page of ``path``; ``between()`` runs after each page that has a next one."""
    pages = []
    query = dict(params)
    while True:
        r = client.get(path, params=query)
        assert r.status_code == 200, r.text
        page = r.json()
        pages.append(page.get("objects", []))
        if not page["more"]:
            assert "next" not in page
            return pages
        if between is not None:
            between()
        query["next"] = page["next"]


@pytest.mark.slow
def test_attack_bundle_round_trips_unchanged(
    server_factory: Any, assert_stix_valid: Any, unsigned: Any
) -> None:
    if not ATTACK.is_file():
        missing(f"ATT&CK bundle {ATTACK} absent")
    objects = json.loads(ATTACK.read_bytes())["objects"]
    server = server_factory()
    path = server.collection_url.removeprefix(server.url) + "objects/"
    with server.client() as c:
        r = c.post(path, content=json.dumps({"objects": objects}), headers={"Content-Type": TAXII})
        assert r.status_code == 202, r.text
        status = r.json()
        assert status["failure_count"] == 0, status["failures"][:3]
        assert status["success_count"] == len(objects)
        pages = _pages(c, path, limit="500")
    assert [len(p) for p in pages] == [500, 500, 500, 500, len(objects) - 2000]
    back = [o for p in pages for o in p]
    # Same order, every custom type and x_mitre_* property kept; only the node's
    # origin signature (an extension) is added.
    assert unsigned(back) == objects
    key = load_or_create_key(server.home.path / "node.key")
    identity = tomllib.loads((server.home.path / "liaison.toml").read_text())["identity_id"]
    ring = {identity: {key.fingerprint: key.public_key_b64}}
    for o in back[::97]:
        assert verify_object(o, ring).signer == identity
    # stix2-validator is slow (~7 ms an object): check every type, up to 15 of each.
    sample: list[dict[str, Any]] = []
    per_type: Counter[str] = Counter()
    for o in back:
        if per_type[o["type"]] < 15:
            per_type[o["type"]] += 1
            sample.append(o)
    assert_stix_valid(sample)


def test_paging_while_others_write_misses_and_repeats_nothing(
    server_factory: Any, stix_factory: Any
) -> None:
    server = server_factory()
    path = server.collection_url.removeprefix(server.url) + "objects/"
    before = stix_factory.many(120)
    with server.client() as c:
        r = c.post(path, content=json.dumps({"objects": before}), headers={"Content-Type": TAXII})
        assert r.json()["success_count"] == 120

    stop = threading.Event()
    writes = [0]
    wrote = threading.Condition()

    def writer() -> None:
        factory = type(stix_factory)()
        with server.client() as w:
            i = 0
            while not stop.is_set():
                # new objects, and new versions of objects that existed before paging
                batch = [
                    factory.indicator(),
                    stix_factory.new_version(before[i % 120], seconds=i + 1),
                ]
                w.post(
                    path, content=json.dumps({"objects": batch}), headers={"Content-Type": TAXII}
                )
                with wrote:
                    writes[0] += 1
                    wrote.notify_all()
                i += 1

    def a_write_between_pages() -> None:
        """However fast the reader and slow the machine: the collection changes between
        every two pages (the writer keeps going in between, too)."""
        with wrote:
            seen = writes[0]
            assert wrote.wait_for(lambda: writes[0] > seen, timeout=60), "the writer is stuck"

    t = threading.Thread(target=writer)
    t.start()
    try:
        with server.client() as c:
            last_pages = _pages(c, path, a_write_between_pages, limit="7")
            all_pages = _pages(
                c, path, a_write_between_pages, limit="11", **{"match[version]": "all"}
            )
    finally:
        stop.set()
        t.join(timeout=30)
    assert writes[0] >= len(last_pages) + len(all_pages) - 2
    for pages in (last_pages, all_pages):
        seen = [(o["id"], o["modified"]) for p in pages for o in p]
        assert len(seen) == len(set(seen)), "a version was served twice"
        ids = {i for i, _ in seen}
        assert {o["id"] for o in before} <= ids
    all_seen = {(o["id"], o["modified"]) for p in all_pages for o in p}
    assert {(o["id"], o["modified"]) for o in before} <= all_seen
