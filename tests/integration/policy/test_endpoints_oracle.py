"""Across every TAXII read endpoint, each party receives exactly what an oracle allows.

The node DZ has agreements with MR (indicators and reports, up to level 2) and NE
(reports, up to level 1); XX is a registered partner without an agreement. Every
Hypothesis example fills a fresh collection with a batch *steered* to exercise, for each
recipient, every rule on both sides: for MR and NE an object refused by that rule alone
(type, no classification, one level above the ceiling, no releasability, REL TO others,
TLP:RED, TLP:AMBER+STRICT, TLP:AMBER from a third party, a third party's object without
consent, and with consent to the wrong recipient only) and objects allowed at the edge
(the ceiling itself, own TLP:AMBER, a third party's object with consent, "REL TO" its
own originator, each type); for XX an object that passes every rule but the missing
agreement. Hypothesis draws everything those targets leave free (levels, lists, TLPs,
origins -- local, received from MR or from NE -- consents, order) and adds a few
unconstrained objects. The test checks its own coverage, so a change that weakens the
steering fails here instead of silently testing less.

For each party it then reads the objects list and the manifest (pages of 3), and every
object and its versions, and compares with ``failing`` below, which restates the rules
without calling the policy engine. A withheld object answers exactly like one that does
not exist. Objects a partner sends us are refused on receipt exactly when our agreement
with it says so (``accepted``).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
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
from liaison.store.model import Permission
from liaison.taxii import TAXII, create_app
from suite_support import examples

H = {"Accept": TAXII}
DZ_LEVELS = ["NC", "DR", "C", "S", "TS"]
MR_LEVELS = ["NP", "DR-MR", "CD", "SD", "TSD"]
TS = "2026-01-01T00:00:00.000Z"
PARTNERS = ("MR", "NE")  # with an agreement
RECIPIENTS = ("MR", "NE", "XX")
MAX = {"MR": 2, "NE": 1}  # highest level index each agreement carries
TYPES = {"MR": {"indicator", "report"}, "NE": {"report"}}
ALL_TYPES = ("indicator", "report", "malware")
PAGE = 3

#: What every example must exercise, per recipient: (rule, side).
REFUSALS = (
    "type",
    "unclassified",
    "ceiling",
    "no-rel",
    "rel-excludes",
    "red",
    "amber-strict",
    "amber-third-party",
    "no-consent",
    "wrong-recipient",
)
ALLOWANCES = ("plain", "at-ceiling", "own-amber", "consented", "rel-to-originator")
REQUIRED = {
    **{
        p: {(r, "refused") for r in REFUSALS}
        | {(a, "allowed") for a in ALLOWANCES}
        | {(f"type {t}", "allowed") for t in TYPES[p]}
        for p in PARTNERS
    },
    "XX": {("agreement", "refused")},
}


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
    keys = {p: SigningKey.generate() for p in RECIPIENTS}
    creds, ids = {}, {}
    for p, key in keys.items():
        rec, creds[p] = node.add_party(p, public_key_b64=key.public_key_b64)
        ids[p] = rec.identity_id
    _, creds["analyst"] = node.add_party("analyst", internal=True)
    for p in PARTNERS:
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


_collections = itertools.count()


def fresh_collection(w: World) -> str:
    """A new collection every party may read (and the senders write): one per example."""
    c = w.node.add_collection(f"oracle-{next(_collections)}")
    store = w.node.store
    for name in (*RECIPIENTS, "analyst"):
        party = store.party(name)
        perm = Permission(c.id, True, name != "XX")
        store.update_party(replace(party, permissions=(*party.permissions, perm)))
    return c.id


# ---------------------------------------------------------------- the specs ----------


@dataclass(frozen=True)
class Spec:
    type: str
    level: int | None  # index in the owner's scheme; None: no classification marking
    rel: frozenset[str] | None  # REL TO these parties; empty: "REL TO <originator>"
    tlp: str | None
    origin: str | None  # None: made here; "MR"/"NE": received from that partner
    consents: frozenset[str]  # recipients the origin consented to (for this object)
    goal: str = "free"  # what the spec was drawn to exercise (for failure messages)


def accepted(s: Spec) -> bool:
    """Our agreement with the sender: its types, classified within its maximum."""
    o = s.origin
    return o is None or (s.type in TYPES[o] and s.level is not None and s.level <= MAX[o])


def failing(party: str, s: Spec) -> list[str]:
    """The rules that refuse ``s`` to ``party`` (none: it is released), restated from
    docs/adr/0002 without the engine. For XX, the object's own rules are judged as if
    it had an agreement covering everything; the missing agreement comes first."""
    out = []
    if party not in MAX:
        out.append("agreement")
    if party in TYPES and s.type not in TYPES[party]:
        out.append("type")
    if s.level is None:
        out.append("unclassified")
    elif s.level > MAX.get(party, len(DZ_LEVELS) - 1):
        out.append("ceiling")
    if s.rel is None:
        out.append("no-rel")
    elif party not in (s.rel or {s.origin or "DZ"}):  # an empty list: REL TO the originator
        out.append("rel-excludes")
    foreign = s.origin is not None and s.origin != party
    if s.tlp == "red":
        out.append("red")
    elif s.tlp == "amber+strict":
        out.append("amber-strict")
    elif s.tlp == "amber" and foreign:
        out.append("amber-third-party")
    if foreign and party not in s.consents:
        out.append("wrong-recipient" if s.consents else "no-consent")
    return out


def exercised(party: str, s: Spec) -> set[tuple[str, str]]:
    """Which (rule, side) pairs of REQUIRED this spec exercises for ``party``."""
    fails = failing(party, s)
    if len(fails) == 1:
        return {(fails[0], "refused")}
    if fails or party not in MAX:
        return set()
    out = {("plain", "allowed"), (f"type {s.type}", "allowed")}
    if s.level == MAX[party]:
        out.add(("at-ceiling", "allowed"))
    if s.tlp == "amber":
        out.add(("own-amber", "allowed"))
    if s.origin not in (None, party):
        out.add(("consented", "allowed"))
    if s.rel == frozenset() and s.origin == party:
        out.add(("rel-to-originator", "allowed"))
    return out


def _subset(items: set[str] | tuple[str, ...], least: int = 0) -> st.SearchStrategy[frozenset[str]]:
    values = sorted(items)
    return st.frozensets(st.sampled_from(values), min_size=least, max_size=len(values))


@st.composite
def aimed(draw: st.DrawFn, party: str, goal: str) -> Spec:
    """A spec ``party`` may receive -- or that only the rule ``goal`` refuses to it.

    Each goal fixes what it is about and draws the rest among the values that keep
    every other rule satisfied for ``party`` and the object acceptable on receipt."""
    other = next((p for p in PARTNERS if p != party), None)
    limit = MAX.get(party, len(DZ_LEVELS) - 1)
    types = sorted(TYPES.get(party, set(ALL_TYPES)))
    # -- origin: who made the object (None: this node)
    origins: list[str | None] = [None, *PARTNERS]
    if goal in ("amber-third-party", "no-consent", "wrong-recipient", "consented"):
        origins = [other]
    elif goal in ("unclassified", "own-amber"):
        origins = [None, party] if goal == "own-amber" and party in MAX else [None]
    elif goal == "rel-to-originator":
        origins = [party]
    elif goal == "type":
        types = [t for t in ALL_TYPES if t not in TYPES[party]]
    elif goal.startswith("type "):
        types = [goal.removeprefix("type ")]
    level_needed = {"ceiling": limit + 1, "at-ceiling": limit}.get(goal)
    origins = [
        o
        for o in origins
        if o is None
        or (
            any(t in TYPES[o] for t in types)
            and (level_needed is None or level_needed <= MAX[o])
            and goal not in ("unclassified",)
        )
    ]
    origin = draw(st.sampled_from(origins))
    if origin is not None:
        types = [t for t in types if t in TYPES[origin]]
        limit = min(limit, MAX[origin])
    type_ = draw(st.sampled_from(types))
    # -- classification
    if goal == "unclassified":
        level: int | None = None
    elif level_needed is not None:
        level = level_needed
    else:
        level = draw(st.integers(0, limit))
    # -- releasability
    others = set(RECIPIENTS) - {party}
    if goal == "no-rel":
        rel: frozenset[str] | None = None
    elif goal == "rel-to-originator":
        rel = frozenset()
    elif goal == "rel-excludes" and origin != party and draw(st.booleans()):
        rel = frozenset()  # REL TO the originator, who is someone else
    elif goal == "rel-excludes":
        rel = draw(_subset(others, 1))
    else:
        rel = frozenset({party}) | draw(_subset(others))
    # -- TLP
    foreign = origin is not None and origin != party
    tlp_by_goal = {"red": "red", "amber-strict": "amber+strict", "amber-third-party": "amber"}
    if goal in tlp_by_goal:
        tlp = tlp_by_goal[goal]
    elif goal == "own-amber":
        tlp = "amber"
    else:
        tlp = draw(st.sampled_from([None, "clear", "green", *([] if foreign else ["amber"])]))
    # -- the originator's consents (to whom it let this node pass the object on)
    consents: frozenset[str] = frozenset()
    if origin is not None:
        rest = set(RECIPIENTS) - {origin, party}
        if goal == "no-consent":
            consents = frozenset()
        elif goal == "wrong-recipient":
            consents = draw(_subset(rest, 1))
        else:
            consents = draw(_subset(rest)) | ({party} if foreign else set())
    return Spec(type_, level, rel, tlp, origin, consents, f"{party}: {goal}")


def _targets() -> list[st.SearchStrategy[Spec]]:
    out = [aimed("XX", "xx")]
    for p in PARTNERS:
        out += [aimed(p, r) for r in REFUSALS]
        out += [aimed(p, a) for a in ALLOWANCES if a != "plain"]
        out += [aimed(p, f"type {t}") for t in sorted(TYPES[p])]
        out += [aimed(p, "plain")]
    return out


free_specs = st.builds(
    Spec,
    type=st.sampled_from(ALL_TYPES),
    level=st.none() | st.integers(0, len(DZ_LEVELS) - 1),
    rel=st.none() | _subset(RECIPIENTS),
    tlp=st.none() | st.sampled_from(["clear", "green", "amber", "amber+strict", "red"]),
    origin=st.sampled_from([None, *PARTNERS]),
    consents=_subset(RECIPIENTS),
).map(lambda s: replace(s, consents=s.consents - {s.origin} if s.origin else frozenset()))

batches = st.tuples(st.tuples(*_targets()), st.lists(free_specs, max_size=4)).flatmap(
    lambda parts: st.permutations([*parts[0], *parts[1]])
)


# ---------------------------------------------------------------- building ----------


def _build(w: World, s: Spec) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    owner = w.ids[s.origin] if s.origin else w.node.identity_id
    levels = MR_LEVELS if s.origin == "MR" else DZ_LEVELS
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
    elif s.type == "malware":
        obj.update(is_family=False)
    else:
        obj.update(published=TS, object_refs=[f"identity--{uuid.uuid4()}"])
    if refs:
        obj["object_marking_refs"] = refs
    return obj, markings


def _post(w: World, cid: str, objects: list[dict[str, Any]]) -> None:
    r = w.client.post(
        f"/api/collections/{cid}/objects/",
        json={"objects": objects},
        headers={**H, "Content-Type": TAXII},
        auth=("analyst", w.creds["analyst"]),
    )
    assert r.status_code == 202 and r.json()["failure_count"] == 0, r.text


def _receive(w: World, cid: str, sender: str, objects: list[dict[str, Any]]) -> set[str]:
    ex = w.client.app.state.exchange  # type: ignore[attr-defined]
    signed = sign_objects(objects, w.keys[sender], w.ids[sender], TS)
    got = ex.receive(w.node.store.party(sender), cid, signed)
    return {o["id"] for o in got.successes}


def store_batch(w: World, cid: str, batch: list[Spec]) -> dict[str, Spec]:
    """Definitions first, then the objects (so a partner's visible objects come last and
    together, several pages of them), then the consents. Returns what was stored."""
    built = [(s, *_build(w, s)) for s in batch]
    by_origin: dict[str | None, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
    for s, obj, markings in built:
        defs, objs = by_origin.setdefault(s.origin, ([], []))
        defs += [m for m in markings if m not in defs]
        objs.append(obj)
    for origin, (defs, _) in by_origin.items():
        if defs:
            if origin is None:
                _post(w, cid, defs)
            else:
                assert _receive(w, cid, origin, defs) == {d["id"] for d in defs}
    for origin, (_, objs) in by_origin.items():
        if origin is None:
            if objs:
                _post(w, cid, objs)
        else:
            took = _receive(w, cid, origin, objs)
            for s, obj, _ in built:  # refused on receipt exactly when the agreement says so
                if s.origin == origin:
                    assert (obj["id"] in took) is accepted(s), s
    stored = {obj["id"]: s for s, obj, _ in built if accepted(s)}
    for oid, s in stored.items():
        for to in sorted(s.consents):
            assert s.origin is not None
            req = request(
                oid,
                originator=w.ids[s.origin],
                recipient=w.ids[to],
                requester=w.node.identity_id,
                requester_key=w.node.key,
            )
            documents.put_consent(w.node, grant(req, w.keys[s.origin]).to_stix())
    return stored


# ---------------------------------------------------------------- reading -----------


def _get(w: World, party: str, path: str, **params: Any) -> Any:
    return w.client.get(path, params=params, headers=H, auth=(party, w.creds[party]))


def listing(w: World, party: str, cid: str, endpoint: str) -> list[str]:
    seen: list[str] = []
    params: dict[str, Any] = {"limit": PAGE}
    while True:
        r = _get(w, party, f"/api/collections/{cid}/{endpoint}/", **params)
        assert r.status_code == 200, r.text
        body = r.json()
        page = [o["id"] for o in body.get("objects", [])]
        assert len(page) <= PAGE
        seen += page
        if not body.get("more"):
            assert "next" not in body
            return seen
        assert len(page) == PAGE  # a page is short only when it is the last
        params = {"limit": PAGE, "next": body["next"]}


def check_batch(w: World, batch: list[Spec]) -> None:
    """Store ``batch`` in a fresh collection; every party reads exactly what it may."""
    cid = fresh_collection(w)
    stored = store_batch(w, cid, batch)
    covered = {p: set().union(*(exercised(p, s) for s in stored.values())) for p in RECIPIENTS}
    for p in RECIPIENTS:  # the steering holds: every rule, both sides, every recipient
        assert REQUIRED[p] <= covered[p], (p, REQUIRED[p] - covered[p])
    for party in RECIPIENTS:
        want = {oid for oid, s in stored.items() if not failing(party, s)}
        event(f"{party} receives {len(want)} of {len(stored)}")
        for endpoint in ("objects", "manifest"):
            got = [oid for oid in listing(w, party, cid, endpoint) if oid in stored]
            assert len(got) == len(set(got)), (party, endpoint, "listed twice")
            missed = {stored[o].goal for o in want - set(got)}
            leaked = {stored[o].goal for o in set(got) - want}
            assert set(got) == want, (party, endpoint, "missed", missed, "leaked", leaked)
        ghost = f"indicator--{uuid.uuid4()}"
        absent = _get(w, party, f"/api/collections/{cid}/objects/{ghost}/")
        for oid, s in stored.items():
            for suffix in ("", "versions/"):
                r = _get(w, party, f"/api/collections/{cid}/objects/{oid}/{suffix}")
                if oid in want:
                    assert r.status_code == 200, (party, s, r.text)
                    if not suffix:
                        assert [o["id"] for o in r.json()["objects"]] == [oid]
                else:  # exactly like an object that does not exist
                    assert r.status_code == absent.status_code == 404, (party, s)
                    assert r.text.replace(oid, "X") == absent.text.replace(ghost, "X")


@settings(
    max_examples=examples(8),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=batches)
def test_every_endpoint_agrees_with_the_oracle(world: World, batch: list[Spec]) -> None:
    check_batch(world, batch)


@pytest.mark.parametrize("party", RECIPIENTS)
def test_every_goal_yields_what_it_aims_at(party: str) -> None:
    """The steering, alone: each goal's specs fail exactly the rule aimed at (or none)."""
    goals = ["xx"] if party == "XX" else [*REFUSALS, *ALLOWANCES]

    @settings(max_examples=examples(30), deadline=None)
    @given(st.sampled_from(goals).flatmap(lambda g: st.tuples(st.just(g), aimed(party, g))))
    def check(pair: tuple[str, Spec]) -> None:
        goal, s = pair
        assert accepted(s), s
        fails = failing(party, s)
        if party == "XX":
            assert fails == ["agreement"], s
        elif goal in REFUSALS:
            assert fails == [goal], s
        else:
            assert fails == [] and (goal, "allowed") in exercised(party, s), s

    check()
