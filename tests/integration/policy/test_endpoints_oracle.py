"""Across every TAXII read endpoint, each party receives exactly what an oracle allows.

Hypothesis generates batches of objects -- local or received from MR, with or without
a classification, a releasability list, a TLP, MR's consent to pass them to NE -- and
for each partner (MR, NE, XX) checks the objects list (paginated), the manifest, the
object endpoint and the versions endpoint against ``oracle`` below, which restates
the rules without calling the policy engine. A withheld object must answer exactly
like an object that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from liaison.agreements import grant, request, sign
from liaison.cli.agreement import propose_from_spec
from liaison.markings import classification_marking, releasability_marking
from liaison.markings.tlp import tlp_id
from liaison.node import Node
from liaison.service import documents
from liaison.signing import SigningKey
from liaison.signing.objects import sign_objects
from liaison.taxii import TAXII, create_app

H = {"Accept": TAXII}
DZ_LEVELS = ["NC", "DR", "C", "S", "TS"]
MR_LEVELS = ["NP", "DR-MR", "CD", "SD", "TSD"]
TS = "2026-01-01T00:00:00.000Z"
MAX = {"MR": 2, "NE": 1}  # highest level index each agreement carries
TYPES = {"MR": {"indicator", "report"}, "NE": {"report"}}


@dataclass
class World:
    node: Node
    client: TestClient
    keys: dict[str, SigningKey]
    creds: dict[str, str]
    ids: dict[str, str]  # party name -> identity id


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home: Path = tmp_path_factory.mktemp("oracle") / "dz"
    node = Node.init(home, org="DZ", country="DZ", classification_levels=DZ_LEVELS)
    keys = {p: SigningKey.generate() for p in ("MR", "NE", "XX")}
    creds, ids = {}, {}
    for p, key in keys.items():
        rec, creds[p] = node.add_party(p, public_key_b64=key.public_key_b64)
        ids[p] = rec.identity_id
    _, creds["analyst"] = node.add_party("analyst", internal=True)
    for p in ("MR", "NE"):
        levels = MR_LEVELS if p == "MR" else DZ_LEVELS
        spec = {
            "name": f"DZ-{p}",
            "types": sorted(TYPES[p]),
            "max_classification": DZ_LEVELS[MAX[p]],
            "partner": [
                {
                    "party": p,
                    "levels": levels,
                    "max_classification": levels[MAX[p]],
                    "equivalence": dict(zip(DZ_LEVELS, levels, strict=True)),
                }
            ],
        }
        a = sign(propose_from_spec(node, spec), node.identity_id, node.key)
        documents.put_agreement(node, sign(a, ids[p], keys[p]).to_stix())
    yield World(node, TestClient(create_app(node)), keys, creds, ids)
    node.close()


@dataclass(frozen=True)
class Spec:
    type: str
    level: int | None
    rel: frozenset[str] | None
    tlp: str | None
    from_mr: bool
    consent_ne: bool


specs = st.builds(
    Spec,
    type=st.sampled_from(["indicator", "report"]),
    level=st.none() | st.integers(0, 4),
    rel=st.none() | st.frozensets(st.sampled_from(["MR", "NE", "XX"])),
    tlp=st.none() | st.sampled_from(["clear", "green", "amber", "amber+strict", "red"]),
    from_mr=st.booleans(),
    consent_ne=st.booleans(),
)


def oracle(party: str, s: Spec) -> bool:
    if party not in MAX or s.type not in TYPES[party]:
        return False
    if s.level is None or s.level > MAX[party]:
        return False
    # an empty list is marked "REL TO <originator>" (see _build)
    rel = s.rel or ({"MR"} if s.from_mr else {"DZ"}) if s.rel is not None else None
    if rel is None or party not in rel:
        return False
    origins = {"MR"} if s.from_mr else set()
    if s.tlp in ("red", "amber+strict"):
        return False
    if s.tlp == "amber" and origins - {party}:
        return False
    return all(o == party or ((o, party) == ("MR", "NE") and s.consent_ne) for o in origins)


def _build(w: World, s: Spec) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    owner = w.ids["MR"] if s.from_mr else w.node.identity_id
    levels = MR_LEVELS if s.from_mr else DZ_LEVELS
    markings: list[dict[str, Any]] = []
    if s.level is not None:
        markings.append(classification_marking(levels[s.level], owner))
    if s.rel is not None:
        markings.append(releasability_marking([w.ids[p] for p in sorted(s.rel)] or [owner]))
    refs = [m["id"] for m in markings] + ([tlp_id(s.tlp)] if s.tlp else [])
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
        obj.update(published=TS, object_refs=[f"identity--{uuid.uuid4()}"])
    if refs:
        obj["object_marking_refs"] = refs
    return obj, markings


def _listing(w: World, party: str, path: str) -> list[str]:
    cid = w.node.default_collection_id
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        r = w.client.get(
            f"/api/collections/{cid}/{path}/",
            params=params,
            headers=H,
            auth=(party, w.creds[party]),
        )
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [o["id"] for o in body.get("objects", [])]
        if not body.get("more"):
            return seen
        params = {"limit": 3, "next": body["next"]}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(specs, min_size=1, max_size=5))
def test_every_endpoint_agrees_with_the_oracle(world: World, batch: list[Spec]) -> None:
    w = world
    cid = w.node.default_collection_id
    ex = w.client.app.state.exchange  # type: ignore[attr-defined]
    local, remote, mine = [], [], {}
    for s in batch:
        obj, markings = _build(w, s)
        (remote if s.from_mr else local).extend([*markings, obj])
        mine[obj["id"]] = s
    if local:
        r = w.client.post(
            f"/api/collections/{cid}/objects/",
            json={"objects": local},
            headers={**H, "Content-Type": TAXII},
            auth=("analyst", w.creds["analyst"]),
        )
        assert r.json()["failure_count"] == 0, r.json()["failures"]
    if remote:
        signed = sign_objects(remote, w.keys["MR"], w.ids["MR"], TS)
        got = ex.receive(w.node.store.party("MR"), cid, signed)
        accepted = {o["id"] for o in got.successes}
        for oid in list(mine):  # our agreement refuses what MR may not send us
            if mine[oid].from_mr and oid not in accepted:
                s = mine.pop(oid)
                assert s.level is None or s.level > MAX["MR"] or s.type not in TYPES["MR"]
    for oid, s in mine.items():
        if s.from_mr and s.consent_ne:
            req = request(
                oid,
                originator=w.ids["MR"],
                recipient=w.ids["NE"],
                requester=w.node.identity_id,
                requester_key=w.node.key,
            )
            documents.put_consent(w.node, grant(req, w.keys["MR"]).to_stix())
    for party in ("MR", "NE", "XX"):
        want = {oid for oid, s in mine.items() if oracle(party, s)}
        assert set(_listing(w, party, "objects")) & set(mine) == want, party
        assert set(_listing(w, party, "manifest")) & set(mine) == want, party
        ghost = f"indicator--{uuid.uuid4()}"
        absent = w.client.get(
            f"/api/collections/{cid}/objects/{ghost}/", headers=H, auth=(party, w.creds[party])
        )
        for oid in mine:
            for suffix in ("", "versions/"):
                r = w.client.get(
                    f"/api/collections/{cid}/objects/{oid}/{suffix}",
                    headers=H,
                    auth=(party, w.creds[party]),
                )
                if oid in want:
                    assert r.status_code == 200, (party, oid, r.text)
                else:  # exactly like an object that does not exist
                    assert r.status_code == absent.status_code == 404
                    assert r.text.replace(oid, "X") == absent.text.replace(ghost, "X")
