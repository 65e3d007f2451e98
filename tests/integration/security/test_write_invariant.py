"""Property: no object's bytes, handling, provenance or originator change unless its
originator signed the change.

Hypothesis generates sequences of writes by three actors against DZ -- DZ's own
analyst (a local client), the partner MR and the hostile partner XX (both with write
access, signing with their own keys, over HTTP): new objects, new versions of anyone's
ids, re-posts of held bytes, planted definitions, consents and deletions. After every
step the store is compared with the step before.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import orjson
import pytest
from hostile import Hostile, build, report
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from liaison.agreements import Consent, grant, request
from liaison.demo.run import LEVELS
from liaison.markings import (
    CLASSIFICATION_EXT_ID,
    RELEASABILITY_EXT_ID,
    classification_marking,
    releasability_marking,
)
from liaison.markings.tlp import TLP_AMBER, tlp_id
from liaison.policy.authority import definition_body
from liaison.signing.objects import sign_objects, strip_signature
from liaison.store import Permission, format_us, now_us
from suite_support import examples

ACTORS = ("analyst", "MR", "XX")
Key = tuple[str, str, str]  # collection, id, version


@pytest.fixture(scope="module")
def arena(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    h = build(tmp_path_factory.mktemp("invariant") / "world")
    dz = h.dz.node
    party = dz.store.party("MR")
    dz.store.update_party(replace(party, permissions=(Permission(h.dz.collection_id, True, True),)))
    h.dz.exchange.gate.invalidate()  # type: ignore[attr-defined]
    try:
        yield h
    finally:
        h.world.close()


@dataclass(frozen=True)
class Snapshot:
    rows: dict[Key, tuple[str, str, tuple[str, ...], str]]  # sha, handling, origins, added
    owners: dict[str, str]
    definitions: dict[str, set[bytes]]


def snapshot(h: Hostile) -> Snapshot:
    rows: dict[Key, tuple[str, str, tuple[str, ...], str]] = {}
    defs: dict[str, set[bytes]] = {}
    for r in h.dz.rows():
        handling = orjson.dumps(r.handling, option=orjson.OPT_SORT_KEYS).decode()
        rows[(r.collection_id, r.id, r.version)] = (r.sha256, handling, r.origins, r.date_added)
        if r.type == "marking-definition":
            defs.setdefault(r.id, set()).add(definition_body(orjson.loads(r.body)))
    with h.db() as db:  # every id ever held, deleted ones included
        # (an id held without an owners row is this node's: SQLite writes none, issue #15)
        owners = {
            str(i): str(o)
            for i, o in db.execute(
                "SELECT id, originator FROM owners UNION ALL SELECT DISTINCT id, '' FROM"
                " objects WHERE id NOT IN (SELECT id FROM owners)"
            )
        }
    return Snapshot(rows, owners, defs)


def identity(h: Hostile, actor: str) -> str:
    return h.dz.node.identity_id if actor == "analyst" else h.world[actor].node.identity_id


def _marks(h: Hostile, actor: str) -> list[dict[str, Any]]:
    code = "DZ" if actor == "analyst" else actor
    ids = [h.world[c].node.identity_id for c in ("DZ", "MR", "XX")]
    return [classification_marking(LEVELS[code][1], identity(h, actor)), releasability_marking(ids)]


def _sign(h: Hostile, actor: str, objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if actor == "analyst":
        return objs
    node = h.world[actor].node
    return sign_objects(objs, node.key, node.identity_id, format_us(now_us()))


def _post(h: Hostile, actor: str, objs: list[dict[str, Any]]) -> None:
    with h.client(actor) as c:
        r = c.post(h.objects_url, json={"objects": _sign(h, actor, objs)})
    assert r.status_code == 202, r.text


def _later(obj: dict[str, Any], n: int) -> dict[str, Any]:
    out = strip_signature(obj)
    out["modified"] = f"2031-0{1 + n % 9}-0{1 + n % 9}T00:00:0{n % 10}.000Z"
    out["description"] = f"Version {n}."
    return out


def act(h: Hostile, actor: str, kind: str, pick: int) -> str | None:
    """Perform one write; return the id whose dates its originator may have moved."""
    held = h.dz.rows()
    if kind in ("version", "consent", "delete"):  # intelligence, not definitions
        held = [r for r in held if r.type not in ("marking-definition", "extension-definition")]
    target = held[pick % len(held)] if held else None
    body = orjson.loads(target.body) if target else None
    ids = [h.world[c].node.identity_id for c in ("DZ", "MR", "XX")]
    if kind == "new":
        marks = _marks(h, actor)
        obj = report(identity(h, actor), [m["id"] for m in marks] + [tlp_id("green")], "New")
        _post(h, actor, [*marks, obj])
    elif kind == "version" and body is not None:
        later = _later(body, pick)
        if pick % 3 == 1:  # claim the authorship too, or drop it
            later["created_by_ref"] = identity(h, actor)
        elif pick % 3 == 2:
            later.pop("created_by_ref", None)
        _post(h, actor, [later])
    elif kind == "repost" and body is not None:
        _post(h, actor, [body])
    elif kind == "forged-definition":
        rel = releasability_marking(ids)
        rel["extensions"][RELEASABILITY_EXT_ID]["releasable_to"] = [identity(h, actor)]
        cls = classification_marking(LEVELS["DZ"][4], ids[0])
        cls["extensions"][CLASSIFICATION_EXT_ID]["level"] = LEVELS["DZ"][0]
        amber = copy.deepcopy(TLP_AMBER)
        amber["name"] = "TLP:CLEAR really"
        _post(h, actor, [rel, cls, amber])
    elif kind == "definition-over" and body is not None and body["type"] == "marking-definition":
        changed = strip_signature(body)
        changed["name"] = f"changed {pick}"
        _post(h, actor, [changed])
    elif kind == "consent" and target is not None and actor != "analyst":
        me = identity(h, actor)
        to = next(i for i in ids if i != me)
        req = request(
            target.id, originator=me, recipient=to, requester=me,
            requester_key=h.world[actor].node.key,
        )  # fmt: skip
        answer = grant(Consent.from_stix(req.to_stix()), h.world[actor].node.key)
        with h.client(actor) as c:
            c.post("/api/liaison/consents/", json=answer.to_stix())
        return target.id
    elif kind == "delete" and target is not None:
        with h.client(actor) as c:
            r = c.delete(f"{h.objects_url}{target.id}/")
        assert (r.status_code == 200) == (actor == "analyst"), r.text
    return None


def check(
    h: Hostile, actor: str, kind: str, before: Snapshot, after: Snapshot, moved: str | None
) -> None:
    me = identity(h, actor)
    for oid, owner in before.owners.items():
        assert after.owners.get(oid) == owner, f"{oid}: originator changed by {actor} {kind}"
    for key, (sha, handling, origins, added) in before.rows.items():
        now = after.rows.get(key)
        if now is None:
            assert actor == "analyst" and kind == "delete", f"{key} erased by {actor} {kind}"
            continue
        assert now[:3] == (sha, handling, origins), f"{key} rewritten by {actor} {kind}"
        if now[3] != added:  # re-dated: only by a grant from the object's originator
            owner = after.owners.get(key[1]) or h.dz.node.identity_id
            assert kind == "consent" and moved == key[1] and owner == me, key
    for key in set(after.rows) - set(before.rows):
        oid = key[1]
        if oid in after.definitions:
            assert len(after.definitions[oid]) == 1, f"{oid}: a second body under a held id"
            continue
        owner = after.owners[oid] or h.dz.node.identity_id
        assert owner == me, f"{key}: new version of {owner}'s id accepted from {actor}"


ACTION = st.tuples(
    st.sampled_from(ACTORS),
    st.sampled_from(
        ["new", "version", "repost", "forged-definition", "definition-over", "consent", "delete"]
    ),
    st.integers(min_value=0, max_value=10_000),
)


@example(steps=[(a, "version", p) for a in ACTORS for p in (1, 2, 5, 7)])
@settings(
    max_examples=examples(20),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(ACTION, min_size=1, max_size=8))
def test_no_write_without_the_originator_s_signature(
    arena: Hostile, steps: list[tuple[str, str, int]]
) -> None:
    for actor, kind, pick in steps:
        before = snapshot(arena)
        moved = act(arena, actor, kind, pick)
        check(arena, actor, kind, before, snapshot(arena), moved)


def test_the_arena_lets_owners_write(arena: Hostile) -> None:
    """The property is not vacuous: each actor's own writes do land."""
    for actor in ACTORS:
        before = snapshot(arena)
        act(arena, actor, "new", 0)
        after = snapshot(arena)
        fresh = {k[1] for k in set(after.rows) - set(before.rows)}
        assert any((after.owners[i] or arena.dz.node.identity_id) == identity(arena, actor)
                   for i in fresh), actor  # fmt: skip
