"""Property test: what each party receives is exactly what a separate oracle allows.

Hypothesis generates national schemes, agreements (good, partially signed, forged,
altered, expired, not yet valid, suspended, terminated), signed and forged consents,
STIX objects with markings, granular markings and source grading, and received-from /
derived provenance. Every object then goes through the real pipeline (handling_of ->
decide -> release) for every kind of recipient, and the result is compared with the
oracle below, which restates the rules of docs/adr/0002 without calling the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from liaison.agreements import (
    Agreement,
    AgreementParty,
    Consent,
    Scope,
    grant,
    propose,
    request,
    sign,
    suspend,
    terminate,
)
from liaison.markings import (
    TLP_LEVELS,
    classification_marking,
    handling_of,
    releasability_marking,
    source_grading,
    tlp_id,
)
from liaison.markings.extensions import SOURCE_GRADING_EXT_ID
from liaison.policy import Party, PolicyContext, Provenance, decide, release
from liaison.signing import SigningKey
from suite_support import examples

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
NODE = "identity--00000000-0000-4000-8000-000000000000"
PARTNERS = tuple(f"identity--00000000-0000-4000-8000-00000000000{i}" for i in (1, 2, 3))
KEYS = {pid: SigningKey.generate() for pid in (NODE, *PARTNERS)}
TYPES = ("indicator", "report", "malware")
TOPICS = ("terrorism", "smuggling", "cyber")
REGIONS = ("ML", "NE", "BF")
BAD = ("partial", "forged", "altered", "expired", "future", "suspended", "terminated")
#: Conditions whose (first) version is signed by every party: teaches keys and levels.
FULLY_SIGNED = {"good", "expired", "future", "suspended", "terminated"}
PROPS = ("name", "description", "labels")


@dataclass
class Ag:
    partner: str
    condition: str
    types: frozenset[str]
    topics: frozenset[str]
    regions: frozenset[str]
    rows: list[tuple[int, int]]  # (node rank, partner rank), rising
    max_partner: int
    versions: list[Agreement] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.versions[0].id


@dataclass
class Obj:
    type: str
    id: str
    level: tuple[str, int] | None  # (scheme owner, rank)
    rel: frozenset[str] | None
    tlp: str | None
    origins: frozenset[str]
    topics: frozenset[str]
    regions: frozenset[str]
    granular: dict[str, tuple[tuple[str, int] | None, frozenset[str] | None, str | None]]
    grading_local: bool | None  # None: no grading; else is the description local?


def _subset(items: tuple[str, ...]) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(items), max_size=len(items))


def _often_empty(items: tuple[str, ...]) -> st.SearchStrategy[frozenset[str]]:
    return st.sampled_from((0, 0, 1)).flatmap(
        lambda n: _subset(items) if n else st.just(frozenset())
    )


def _low_rank(n: int) -> st.SearchStrategy[int]:
    """Any rank of ``n``, biased to the low ones that agreements usually allow."""
    return st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).map(min)


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    levels = {
        pid: tuple(f"{pid[-1]}-L{i}" for i in range(draw(st.integers(2, 5))))
        for pid in (NODE, *PARTNERS)
    }
    ags: list[Ag] = []
    for pid in PARTNERS:
        for _ in range(draw(st.sampled_from((1, 1, 1, 2, 0)))):
            k = draw(st.integers(1, min(len(levels[NODE]), len(levels[pid]))))
            n_ranks = sorted(draw(st.permutations(range(len(levels[NODE]))))[:k])
            p_ranks = sorted(draw(st.permutations(range(len(levels[pid]))))[:k])
            ags.append(
                Ag(
                    partner=pid,
                    condition="good" if draw(st.integers(0, 3)) else draw(st.sampled_from(BAD)),
                    types=frozenset(TYPES)
                    if draw(st.integers(0, 3))
                    else draw(st.frozensets(st.sampled_from(TYPES), min_size=1)),
                    topics=draw(_often_empty(TOPICS)),
                    regions=draw(_often_empty(REGIONS)),
                    rows=list(zip(n_ranks, p_ranks, strict=True)),
                    max_partner=len(levels[pid]) - 1 - draw(_low_rank(len(levels[pid]))),
                )
            )
    owners = (NODE, NODE, NODE, *PARTNERS)

    def level() -> tuple[str, int] | None:
        if draw(st.integers(0, 7)) == 0:
            return None
        owner = owners[draw(st.integers(0, len(owners) - 1))]
        n = len(levels[owner])
        return owner, min(draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1)))

    def rel() -> frozenset[str] | None:
        kind = draw(st.integers(0, 5))
        if kind == 0:
            return None
        if kind == 1:
            return frozenset(p for p in PARTNERS if draw(st.booleans()))
        return frozenset(PARTNERS)

    def tlp() -> str | None:
        return draw(st.sampled_from((None, None, "clear", "green", "green", *TLP_LEVELS[2:])))

    objs = []
    for i in range(draw(st.integers(1, 5))):
        t = draw(st.sampled_from(TYPES))
        objs.append(
            Obj(
                type=t,
                id=f"{t}--00000000-0000-4000-8000-{i:012d}",
                level=level(),
                rel=rel(),
                tlp=tlp(),
                origins=draw(_often_empty(PARTNERS)),
                topics=draw(_subset(TOPICS)),
                regions=draw(_subset(REGIONS)),
                granular={
                    p: (level(), rel(), tlp())
                    for p in draw(st.lists(st.sampled_from(PROPS), unique=True, max_size=3))
                },
                grading_local=draw(st.none() | st.booleans()),
            )
        )
    consents = {}
    for _ in range(draw(st.integers(0, 6))):
        o = draw(st.sampled_from(objs))
        origin = draw(st.sampled_from(sorted(o.origins) or PARTNERS))
        to = draw(st.sampled_from([p for p in PARTNERS if p != origin]))
        kind = draw(st.sampled_from(("grant", "grant", "grant", "forged", "denied")))
        consents[(o.id, origin, to)] = kind
    for o in objs:  # often, every originator has consented to every other partner
        if o.origins and draw(st.booleans()):
            for origin in o.origins:
                for to in PARTNERS:
                    if to != origin:
                        consents.setdefault((o.id, origin, to), "grant")
    return {"levels": levels, "ags": ags, "objs": objs, "consents": consents}


def _build_agreement(ag: Ag, levels: dict[str, tuple[str, ...]]) -> None:
    p = ag.partner
    parties = [
        AgreementParty(pid, pid[-1], KEYS[pid].public_key_b64, levels[pid]) for pid in (NODE, p)
    ]
    valid = {"expired": (-300, -1), "future": (1, 300)}.get(ag.condition, (-10, 300))
    a = propose(
        proposer=NODE,
        name=f"A{p[-1]}",
        parties=parties,
        scope=Scope(ag.types, ag.topics, ag.regions),
        max_classification={NODE: levels[NODE][-1], p: levels[p][ag.max_partner]},
        equivalence=[{NODE: levels[NODE][n], p: levels[p][r]} for n, r in ag.rows],
        retention_days=30,
        valid_from=NOW + timedelta(days=valid[0]),
        valid_until=NOW + timedelta(days=valid[1]),
        now=NOW - timedelta(days=20),
    )
    a = sign(a, NODE, KEYS[NODE])
    if ag.condition == "partial":
        ag.versions = [a]
        return
    a = sign(a, p, KEYS[p])
    if ag.condition == "forged":
        raw = a.to_stix()
        for s in raw["signatures"]:
            if s["party_ref"] == p:
                s["signature"] = KEYS[NODE].sign(a.signing_payload())
        a = Agreement.from_stix(raw)
    elif ag.condition == "altered":
        raw = a.to_stix()
        raw["max_classification"][p] = levels[p][-1]  # widen what the partner may get
        raw["retention_days"] += 1  # and make sure the signed bytes changed
        a = Agreement.from_stix(raw)
    ag.versions = [a]
    if ag.condition in ("suspended", "terminated"):
        act = suspend if ag.condition == "suspended" else terminate
        ag.versions.append(act(a, p, KEYS[p], now=NOW - timedelta(days=1)))


def _marking_refs(level, rel, tlp, markings, levels) -> list[str]:
    refs = []
    if level is not None:
        m = classification_marking(levels[level[0]][level[1]], level[0])
        markings[m["id"]] = m
        refs.append(m["id"])
    if rel is not None:
        m = releasability_marking(rel)
        markings[m["id"]] = m
        refs.append(m["id"])
    if tlp is not None:
        refs.append(tlp_id(tlp))
    return refs


def _stix(o: Obj, markings: dict[str, Any], levels) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": o.type,
        "spec_version": "2.1",
        "id": o.id,
        "name": "n",
        "description": "d",
        "labels": ["l"],
        "object_marking_refs": _marking_refs(o.level, o.rel, o.tlp, markings, levels),
    }
    grans = []
    for prop, (lvl, rel, tlp) in o.granular.items():
        for ref in _marking_refs(lvl, rel, tlp, markings, levels):
            grans.append({"marking_ref": ref, "selectors": [prop]})
    if grans:
        obj["granular_markings"] = grans
    if o.grading_local is not None:
        obj["extensions"] = source_grading(
            "B", "2", description="agent", description_releasable=not o.grading_local
        )
    return obj


# ---------------------------------------------------------------- the oracle ---------


def _round_up(rows: list[tuple[int, int]], rank: int) -> int | None:
    """Rows are (from rank, to rank); the first row at or above ``rank`` decides."""
    above = [to for frm, to in sorted(rows) if frm >= rank]
    return above[0] if above else None


def _to_node(world, owner: str, rank: int) -> int | None:
    if owner == NODE:
        return rank
    placed = []
    for ag in world["ags"]:
        if ag.partner == owner and ag.condition in FULLY_SIGNED:
            r = _round_up([(b, a) for a, b in ag.rows], rank)
            if r is not None:
                placed.append(r)
    return max(placed) if placed else None


def _level_ok(world, ag: Ag, level: tuple[str, int] | None) -> bool:
    if level is None:
        return False
    owner, rank = level
    if owner == ag.partner:
        return rank <= ag.max_partner
    node_rank = _to_node(world, owner, rank)
    if node_rank is None:
        return False
    p_rank = _round_up(ag.rows, node_rank)
    return p_rank is not None and p_rank <= ag.max_partner


def _tlp_ok(tlp: str | None, origins: frozenset[str], to: str) -> bool:
    if tlp in ("red", "amber+strict"):
        return False
    return not (tlp == "amber" and origins - {to})


def _consented(world, obj: Obj, origin: str, to: str) -> bool:
    knows_key = any(a.partner == origin and a.condition in FULLY_SIGNED for a in world["ags"])
    return knows_key and world["consents"].get((obj.id, origin, to)) == "grant"


def oracle(world, to: str, obj: Obj) -> tuple[str | None, set[str]]:
    """(agreement id the release happens under, or None; properties removed)."""
    for ag in sorted(world["ags"], key=lambda a: a.id):
        in_force = ag.condition == "good"
        if not in_force or ag.partner != to or obj.type not in ag.types:
            continue
        if ag.topics and not ag.topics & obj.topics:
            continue
        if ag.regions and not ag.regions & obj.regions:
            continue
        if not _level_ok(world, ag, obj.level):
            continue
        if obj.rel is None or to not in obj.rel:
            continue
        if not _tlp_ok(obj.tlp, obj.origins, to):
            continue
        if any(x != to and not _consented(world, obj, x, to) for x in obj.origins):
            continue
        removed = set()
        for prop, (lvl, rel, tlp) in obj.granular.items():
            if lvl is not None and not _level_ok(world, ag, lvl):
                removed.add(prop)
            if rel is not None and to not in rel:
                removed.add(prop)
            if not _tlp_ok(tlp, obj.origins, to):
                removed.add(prop)
        return ag.id, removed
    return None, set()


# ---------------------------------------------------------------- the property -------


def _consent_objects(world) -> list[Consent]:
    out = []
    for (oid, origin, to), kind in world["consents"].items():
        req = request(oid, originator=origin, recipient=to, requester=NODE,
                      requester_key=KEYS[NODE], now=NOW - timedelta(days=2))  # fmt: skip
        if kind == "grant":
            out.append(grant(req, KEYS[origin], now=NOW - timedelta(days=1)))
        elif kind == "forged":
            out.append(grant(req, KEYS[to], now=NOW - timedelta(days=1)))
        else:
            out.append(req)
    return out


@settings(
    max_examples=examples(400),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(worlds())
def test_each_party_receives_exactly_what_the_oracle_allows(world: dict[str, Any]) -> None:
    levels = world["levels"]
    for ag in world["ags"]:
        _build_agreement(ag, levels)
    ctx = PolicyContext(
        NODE,
        levels[NODE],
        tuple(v for ag in world["ags"] for v in ag.versions),
        tuple(_consent_objects(world)),
        NOW,
    )
    markings: dict[str, Any] = {}
    recipients = [Party(p, p[-1]) for p in PARTNERS]
    recipients += [Party("identity--analyst", "analyst", internal=True), Party(NODE, "node")]
    recipients += [Party("identity--00000000-0000-4000-8000-00000000000f", "stranger")]
    for o in world["objs"]:
        stix = _stix(o, markings, levels)
        h = handling_of(stix, markings, scheme_owner=NODE)
        for party in recipients:
            d = decide(party, o.type, o.id, h, Provenance(o.origins), ctx,
                       topics=o.topics, regions=o.regions)  # fmt: skip
            if party.internal or party.identity_id == NODE:
                assert d.allow and d.redact == ()
                assert release(stix, d) == stix
                continue
            expected_ag, removed = oracle(world, party.identity_id, o)
            event("released" if expected_ag else "denied")
            if removed:
                event("redacted")
            assert d.allow is (expected_ag is not None), (party, o, d)
            if not d.allow:
                assert d.reasons and d.redact == ()
                continue
            assert d.agreement_id == expected_ag
            got = release(stix, d)
            assert {p for p in PROPS if p not in got} == removed, (party, o, d)
            if o.grading_local is not None:
                ext = got["extensions"][SOURCE_GRADING_EXT_ID]
                assert ("source_description" in ext) is (not o.grading_local)
                assert ext["source_reliability"] == "B"
            for gm in got.get("granular_markings", []):
                assert all(s in got for s in gm["selectors"])
