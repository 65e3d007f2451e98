"""The exchange service: ingest answers, access rules, and pages that show every object
exactly once for any ``limit`` -- also while others write."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.errors import DeniedError, InvalidInputError, NotFoundError
from liaison.node import Node
from liaison.service import Exchange, Filters, build_exchange
from liaison.store import PartyRecord
from liaison.taxii.status import ingest as taxii_ingest
from suite_support import examples

_N = itertools.count(1)


def indicator(**extra: Any) -> dict[str, Any]:
    n = next(_N)
    ts = f"2024-06-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000Z"
    obj = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": ts,
        "modified": ts,
        "pattern": f"[ipv4-addr:value = '10.1.{n // 256 % 256}.{n % 256}']",
        "pattern_type": "stix",
        "valid_from": ts,
        "x_liaison_test_note": {"n": n, "texte": "relais près de Kidal"},
    }
    obj.update(extra)
    return obj


@dataclass(repr=False)
class World:
    node: Node
    ex: Exchange
    analyst: PartyRecord
    partner: PartyRecord
    sizes: dict[int, str]  # number of objects -> collection id
    posted: dict[str, list[str]]  # collection id -> ids in posting order

    def fresh(self, n: int) -> tuple[str, PartyRecord]:
        """A new collection holding ``n`` objects and an internal party on it."""
        c = self.node.add_collection(f"c{next(_N)}")
        party, _ = self.node.add_party(f"p{next(_N)}", internal=True, read=[c.id], write=[c.id])
        objs = [indicator() for _ in range(n)]
        if objs:
            taxii_ingest(self.ex, party, c.id, {"objects": objs})
        self.posted[c.id] = [o["id"] for o in objs]
        return c.id, party


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    node = Node.init(tmp_path_factory.mktemp("ex") / "home", org="DGSE", country="FR")
    ex = build_exchange(node)
    sizes = {n: node.add_collection(f"size{n}").id for n in (0, 1, 7, 37)}
    cols = [node.default_collection_id, *sizes.values()]
    analyst, _ = node.add_party("analyst", internal=True, read=cols, write=cols)
    partner, _ = node.add_party("partner", read=cols, write=cols)
    posted: dict[str, list[str]] = {}
    for n, cid in sizes.items():
        objs = [indicator() for _ in range(n)]
        for i in range(0, n, 10):  # several batches
            taxii_ingest(ex, analyst, cid, {"objects": objs[i : i + 10]})
        posted[cid] = [o["id"] for o in objs]
    yield World(node, ex, analyst, partner, sizes, posted)
    node.close()


def read_all(
    ex: Exchange, party: PartyRecord, cid: str, limit: int, filters: Filters | None = None
) -> list[list[str]]:
    pages: list[list[str]] = []
    token: str | None = None
    while True:
        page = ex.objects(party, cid, filters or Filters(), limit=limit, next_token=token)
        pages.append([row.id for row, _ in page.items])
        if not page.more:
            assert page.next is None
            return pages
        assert page.next
        token = page.next


@settings(max_examples=examples(60), deadline=None)
@given(
    size=st.sampled_from([0, 1, 7, 37]),
    limit=st.integers(min_value=1, max_value=45),
    version=st.sampled_from(["last", "first", "all"]),
)
def test_every_object_once_for_any_limit(world: World, size: int, limit: int, version: str) -> None:
    cid = world.sizes[size]
    pages = read_all(world.ex, world.analyst, cid, limit, Filters(versions=(version,)))
    flat = [i for p in pages for i in p]
    assert flat == world.posted[cid]  # each once, in insertion order
    assert all(len(p) == limit for p in pages[:-1])  # only the last page is short
    assert len(pages[-1]) <= limit
    if size and size % limit == 0:
        assert len(pages[-1]) == limit  # no empty trailing page


@settings(max_examples=examples(25), deadline=None)
@given(
    before=st.integers(min_value=0, max_value=15),
    limit=st.integers(min_value=1, max_value=6),
    writes=st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=8),
)
def test_pages_under_concurrent_writes(
    world: World, before: int, limit: int, writes: list[int]
) -> None:
    cid, party = world.fresh(before)
    existing = list(world.posted[cid])
    seen: list[str] = []
    token: str | None = None
    for step in itertools.count():
        n = writes[step] if step < len(writes) else 0  # writers stop, so paging ends
        if n:
            objs = [indicator() for _ in range(n)]
            taxii_ingest(world.ex, party, cid, {"objects": objs})
            world.posted[cid].extend(o["id"] for o in objs)
        page = world.ex.objects(party, cid, Filters(), limit=limit, next_token=token)
        seen.extend(row.id for row, _ in page.items)
        if not page.more:
            break
        token = page.next
    assert len(seen) == len(set(seen)), "an object was served twice"
    assert set(existing) <= set(seen), "an object that existed before paging was missed"
    assert seen == world.posted[cid][: len(seen)]  # insertion order, no gaps


def test_ingest_status_lists_each_object(world: World) -> None:
    cid, party = world.fresh(0)
    good = [indicator(), indicator()]
    bad = [
        {"type": "indicator", "id": "indicator--x"},
        "not an object",
        indicator(pattern_type=None),
    ]
    status = taxii_ingest(world.ex, party, cid, {"objects": [good[0], *bad, good[1]]})
    assert status["status"] == "complete"
    assert status["total_count"] == 5
    assert (status["success_count"], status["failure_count"], status["pending_count"]) == (2, 3, 0)
    assert [s["id"] for s in status["successes"]] == [o["id"] for o in good]
    assert all(
        s["version"] == o["modified"] for s, o in zip(status["successes"], good, strict=True)
    )
    assert status["pendings"] == []
    assert status["failures"][0]["id"] == "indicator--x"
    for f in status["failures"]:
        assert isinstance(f["message"], str) and len(f["message"]) > 10  # a readable reason
    assert world.ex.status(party, status["id"]) == status
    again = taxii_ingest(world.ex, party, cid, {"objects": good})
    assert again["success_count"] == 2
    assert {s["message"] for s in again["successes"]} == {"already stored"}
    assert read_all(world.ex, party, cid, 10) == [[o["id"] for o in good]]


def test_unknown_properties_are_kept(world: World) -> None:
    cid, party = world.fresh(0)
    obj = indicator(
        x_custom_list=[1, 2.5, "trois", None, True],
        extensions={
            "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": {
                "extension_type": "property-extension",
                "rank": 3,
            }
        },
    )
    taxii_ingest(world.ex, party, cid, {"objects": [obj]})

    (page_item,) = world.ex.objects(party, cid, Filters(), limit=5, next_token=None).items
    served = orjson.loads(page_item[1])
    for key, value in obj.items():
        if key != "extensions":
            assert served[key] == value
    ext = "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e"
    assert served["extensions"][ext] == obj["extensions"][ext]


def test_bad_envelopes_are_invalid_input(world: World) -> None:
    cid, party = world.fresh(0)
    for bad in ([], "x", {"objects": {}}, {"objects": "x"}):
        with pytest.raises(InvalidInputError):
            taxii_ingest(world.ex, party, cid, bad)
    assert read_all(world.ex, party, cid, 5) == [[]]


def test_partner_sees_nothing(world: World) -> None:
    cid = world.sizes[37]
    assert world.ex.collection(world.partner, cid).id == cid
    assert read_all(world.ex, world.partner, cid, 5) == [[]]
    page = world.ex.objects(
        world.partner, cid, Filters(), limit=5, next_token=None, object_id=world.posted[cid][0]
    )
    assert page.items == [] and not page.more
    # Partners never delete: refused whether or not the object exists (ADR 0005).
    for oid in (world.posted[cid][0], "indicator--00000000-0000-4000-8000-000000000000"):
        with pytest.raises(DeniedError, match="partners may not delete"):
            world.ex.delete(world.partner, cid, oid, Filters())


def test_access_rules(world: World) -> None:
    cid, _owner = world.fresh(1)
    # no permission at all: as if the collection did not exist
    with pytest.raises(NotFoundError):
        world.ex.objects(world.analyst, cid, Filters(), limit=5, next_token=None)
    with pytest.raises(NotFoundError):
        taxii_ingest(world.ex, world.analyst, cid, {"objects": [indicator()]})
    assert cid not in {c.id for c in world.ex.readable(world.analyst)}
    # write only: may post, may not read
    writer, _ = world.node.add_party(f"w{next(_N)}", internal=True, read=[], write=[cid])
    assert writer.can_write(cid) and not writer.can_read(cid)
    with pytest.raises(DeniedError):
        world.ex.objects(writer, cid, Filters(), limit=5, next_token=None)


def test_tokens_do_not_cross_parties_or_queries(world: World) -> None:
    cid = world.sizes[7]
    page = world.ex.objects(world.analyst, cid, Filters(), limit=2, next_token=None)
    assert page.next
    with pytest.raises(InvalidInputError):
        world.ex.objects(
            world.analyst, cid, Filters(types=("tool",)), limit=2, next_token=page.next
        )
    with pytest.raises(InvalidInputError):
        world.ex.objects(world.analyst, world.sizes[37], Filters(), limit=2, next_token=page.next)
    other, _ = world.node.add_party(f"o{next(_N)}", internal=True, read=[cid], write=[cid])
    with pytest.raises(InvalidInputError):
        world.ex.objects(other, cid, Filters(), limit=2, next_token=page.next)


def test_status_of_another_party_is_not_found(world: World) -> None:
    cid, party = world.fresh(0)
    status = taxii_ingest(world.ex, party, cid, {"objects": [indicator()]})
    with pytest.raises(NotFoundError):
        world.ex.status(world.analyst, status["id"])
