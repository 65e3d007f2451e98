"""Collection defaults and awaited markings, against an oracle (issue #16).

Hypothesis draws a collection's default handling (classification, releasability list,
TLP -- or none) and a batch a local client posts to it: objects with markings of their
own or none, some also citing a handling statement whose definition the node does not
hold yet. For each partner (MR, NE, XX) the collection's listing must be exactly what
``oracle`` below allows -- restated from the rules, without the policy engine: an
unmarked object is judged by the collection's default, an object awaiting a definition
by nothing at all (withheld from every partner) until the definition arrives, then by
its own markings.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from liaison.agreements import sign
from liaison.cli.agreement import propose_from_spec
from liaison.markings import classification_marking, releasability_marking
from liaison.markings.defaults import DefaultHandling
from liaison.markings.tlp import TLP_LEVELS, tlp_id
from liaison.node import Node
from liaison.service import documents
from liaison.signing import SigningKey
from liaison.taxii import TAXII, create_app
from suite_support import examples

H = {"Accept": TAXII}
LEVELS = ["NC", "DR", "C", "S", "TS"]
TS = "2026-01-01T00:00:00.000Z"
MAX = {"MR": 2, "NE": 1}  # highest level index each agreement carries
TYPES = {"MR": {"indicator", "report"}, "NE": {"report"}}
PARTNERS = ("MR", "NE", "XX")
_n = itertools.count()


@dataclass
class World:
    node: Node
    client: TestClient
    creds: dict[str, str]
    ids: dict[str, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home: Path = tmp_path_factory.mktemp("defaults") / "dz"
    node = Node.init(home, org="DZ", country="DZ", classification_levels=LEVELS)
    creds, ids = {}, {}
    keys = {p: SigningKey.generate() for p in PARTNERS}
    for p, key in keys.items():
        rec, creds[p] = node.add_party(p, public_key_b64=key.public_key_b64)
        ids[p] = rec.identity_id
    _, creds["analyst"] = node.add_party("analyst", internal=True)
    for p in ("MR", "NE"):
        spec = {
            "name": f"DZ-{p}",
            "types": sorted(TYPES[p]),
            "max_classification": LEVELS[MAX[p]],
            "partner": [
                {
                    "party": p,
                    "levels": LEVELS,
                    "max_classification": LEVELS[MAX[p]],
                    "equivalence": {lv: lv for lv in LEVELS},
                }
            ],
        }
        a = sign(propose_from_spec(node, spec), node.identity_id, node.key)
        documents.put_agreement(node, sign(a, ids[p], keys[p]).to_stix())
    yield World(node, TestClient(create_app(node)), creds, ids)
    node.close()


@dataclass(frozen=True)
class Marks:
    level: int | None
    rel: frozenset[str] | None
    tlp: str | None


@dataclass(frozen=True)
class Spec:
    type: str
    own: Marks | None  # None: posted unmarked
    awaits: bool  # also cites a statement whose definition comes later


marks = st.builds(
    Marks,
    level=st.none() | st.integers(0, 4),
    rel=st.none() | st.frozensets(st.sampled_from(PARTNERS), min_size=1),
    tlp=st.none() | st.sampled_from(TLP_LEVELS),
)
defaults = marks.filter(lambda m: m.level is not None or m.rel is not None or m.tlp is not None)
specs = st.builds(
    Spec,
    type=st.sampled_from(["indicator", "report"]),
    own=st.none() | marks,
    awaits=st.booleans(),
)


def _cites(s: Spec) -> bool:
    """Whether the object is posted with object_marking_refs of its own."""
    m = s.own
    return m is not None and (
        s.awaits or m.level is not None or m.rel is not None or m.tlp is not None
    )


def oracle(party: str, s: Spec, default: Marks | None, arrived: bool) -> bool:
    if s.awaits and _cites(s) and not arrived:
        return False  # a marking it cites is not known yet: withheld from every partner
    m = s.own if _cites(s) else default  # no refs of its own: the collection's default
    if m is None or party not in MAX or s.type not in TYPES[party]:
        return False
    if m.level is None or m.level > MAX[party]:
        return False
    if m.rel is None or party not in m.rel:
        return False
    return m.tlp not in ("red", "amber+strict")


def _object(w: World, s: Spec, statement: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    me = w.node.identity_id
    oid = f"{s.type}--{uuid.uuid4()}"
    obj: dict[str, Any] = {
        "type": s.type,
        "spec_version": "2.1",
        "id": oid,
        "created": TS,
        "modified": TS,
        "name": "generated",
    }
    if s.type == "indicator":
        obj.update(pattern="[ipv4-addr:value = '10.0.0.1']", pattern_type="stix", valid_from=TS)
    else:
        obj.update(published=TS, object_refs=[me])
    defs: list[dict[str, Any]] = []
    if s.own is not None:
        m = s.own
        if m.level is not None:
            defs.append(classification_marking(LEVELS[m.level], me))
        if m.rel is not None:
            defs.append(releasability_marking([me, *(w.ids[p] for p in sorted(m.rel))]))
        refs = [d["id"] for d in defs] + ([tlp_id(m.tlp)] if m.tlp else [])
        if s.awaits:
            refs.append(statement)
        if refs:
            obj["object_marking_refs"] = refs
    return obj, defs


def _listing(w: World, party: str, cid: str) -> set[str]:
    seen: set[str] = set()
    params: dict[str, Any] = {"limit": 50}
    while True:
        r = w.client.get(
            f"/api/collections/{cid}/objects/",
            params=params,
            headers=H,
            auth=(party, w.creds[party]),
        )
        assert r.status_code == 200, r.text
        body = r.json()
        seen |= {o["id"] for o in body.get("objects", [])}
        if not body.get("more"):
            return seen
        params = {"limit": 50, "next": body["next"]}


def _post(w: World, cid: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
    r = w.client.post(
        f"/api/collections/{cid}/objects/",
        json={"objects": objects},
        headers={**H, "Content-Type": TAXII},
        auth=("analyst", w.creds["analyst"]),
    )
    body: dict[str, Any] = r.json()
    assert body["failure_count"] == 0, body["failures"]
    return body


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(default=st.none() | defaults, batch=st.lists(specs, min_size=1, max_size=5))
def test_defaults_and_awaited_markings_agree_with_the_oracle(
    world: World, default: Marks | None, batch: list[Spec]
) -> None:
    w = world
    handling = None
    if default is not None:
        handling = DefaultHandling(
            classification=None if default.level is None else LEVELS[default.level],
            releasable_to=tuple(w.ids[p] for p in sorted(default.rel or ())),
            tlp=default.tlp,
        )
    c = w.node.add_collection(f"feed {next(_n)}", default=handling)
    all_ids = [x.id for x in w.node.store.collections()]
    for p in (*PARTNERS, "analyst"):
        w.node.set_party(p, read=all_ids, write=all_ids if p == "analyst" else [])
    statement = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{uuid.uuid4()}",
        "created": TS,
        "definition_type": "statement",
        "definition": {"statement": "Handle with care"},
    }
    objects: list[dict[str, Any]] = []
    mine: dict[str, Spec] = {}
    for s in batch:
        obj, defs = _object(w, s, statement["id"])
        objects += [*defs, obj]
        mine[obj["id"]] = s
    _post(w, c.id, objects)
    for arrived in (False, True):
        if arrived:
            _post(w, c.id, [statement])
        for party in PARTNERS:
            want = {oid for oid, s in mine.items() if oracle(party, s, default, arrived)}
            assert _listing(w, party, c.id) & set(mine) == want, (party, arrived)
