"""The gate every read and write of objects passes: it asks the policy engine.

``PolicyGate.for_party`` prepares, once per request, a function that gives for each
stored row the bytes the party may receive (redactions applied) or ``None``. Default
deny: anything the engine does not positively allow is withheld, and a withheld row
leaves no trace in the answer. ``admit`` computes, at ingest, the handling (markings
parsed once), the provenance (whose material it contains) and enforces the
high-water mark on derived products and our agreement on what partners send us.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import orjson

from liaison.agreements import Agreement, Consent
from liaison.errors import AgreementError, InvalidInputError, LiaisonError, PolicyError
from liaison.markings import RELEASABILITY_EXT_ID
from liaison.markings.handling import Handling, handling_of
from liaison.node import Node
from liaison.policy import (
    Decision,
    Party,
    PolicyContext,
    Provenance,
    check_derivation,
    decide,
    release,
)
from liaison.policy.acceptance import accept
from liaison.service.exchange import Admitted, Verdict
from liaison.store import ObjectRow, PartyRecord

__all__ = ["DERIVED_FROM", "PolicyGate", "topics_regions"]

#: Property naming the sources a product was derived from (object ids).
DERIVED_FROM = "x_liaison_derived_from"
TOPICS = "x_liaison_topics"
REGIONS = "x_liaison_regions"
_CONTEXT_TTL = 30.0


def topics_regions(obj: dict[str, Any]) -> tuple[list[str], list[str]]:
    def strings(v: Any) -> list[str]:
        return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []

    return strings(obj.get(TOPICS)), strings(obj.get(REGIONS))


class PolicyGate:
    """Default deny: a row is released only when the policy decision allows it."""

    def __init__(self, node: Node, resign: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self.node = node
        self._resign = resign
        self._lock = threading.Lock()
        self._ctx: PolicyContext | None = None
        self._ctx_key: tuple[Any, ...] = ()
        self._ctx_time = 0.0
        self._handlings: dict[str, Handling] = {}

    # --- the context: agreements and consents in force ---------------------------------
    def context(self) -> PolicyContext:
        store = self.node.store
        key = store.generation(("agreement", "consent"))
        with self._lock:
            fresh = time.monotonic() - self._ctx_time < _CONTEXT_TTL
            if self._ctx is not None and key == self._ctx_key and fresh:
                return self._ctx
        agreements: list[Agreement] = []
        for _, raw in store.records("agreement"):
            try:
                agreements.append(Agreement.from_stix(raw))
            except AgreementError:
                continue  # a malformed agreement is simply never in force
        consents: list[Consent] = []
        for _, raw in store.records("consent"):
            try:
                consents.append(Consent.from_stix(raw))
            except LiaisonError:
                continue
        ctx = PolicyContext(
            node_identity_id=self.node.identity_id,
            node_levels=tuple(self.node.settings.classification_levels),
            agreements=tuple(agreements),
            consents=tuple(consents),
        )
        with self._lock:
            self._ctx, self._ctx_key, self._ctx_time = ctx, key, time.monotonic()
        return ctx

    def invalidate(self) -> None:
        with self._lock:
            self._ctx = None

    def _handling(self, row: ObjectRow) -> Handling:
        key = row.sha256
        h = self._handlings.get(key)
        if h is None:
            h = Handling.from_json(row.handling.get("h") or {})
            if len(self._handlings) > 200_000:
                self._handlings.clear()
            self._handlings[key] = h
        return h

    # --- reads --------------------------------------------------------------------------
    def decide(
        self, party: PartyRecord, row: ObjectRow, ctx: PolicyContext | None = None
    ) -> Decision:
        if party.disabled:
            return Decision(False, ("party disabled",))
        ctx = ctx or self.context()
        who = Party(identity_id=party.identity_id, name=party.name, internal=party.internal)
        return decide(
            who,
            row.type,
            row.id,
            self._handling(row),
            Provenance(frozenset(row.origins)),
            ctx,
            topics=row.handling.get("topics", ()),
            regions=row.handling.get("regions", ()),
        )

    def verdicts(self, party: PartyRecord) -> Callable[[ObjectRow], Verdict]:
        ctx = self.context()

        def verdict(row: ObjectRow) -> Verdict:
            d = self.decide(party, row, ctx)
            if not d.allow:
                return Verdict(None, d.reasons)
            if not d.redact:
                return Verdict(row.body, d.reasons, d.agreement_id)
            redacted = self._resign(release(orjson.loads(row.body), d))
            return Verdict(orjson.dumps(redacted), d.reasons, d.agreement_id)

        return verdict

    # --- writes -------------------------------------------------------------------------
    def admit(self, party: PartyRecord, objs: list[dict[str, Any]]) -> list[Admitted | str]:
        if not objs:
            return []
        ctx = self.context()
        store = self.node.store
        markings = {o["id"]: o for o in objs if o.get("type") == "marking-definition"}
        wanted: set[str] = set()
        sources: set[str] = set()
        for o in objs:
            wanted.update(_marking_refs(o))
            sources.update(_derived(o))
        wanted -= set(markings)
        for row in store.latest_by_ids(sorted(wanted)):
            markings.setdefault(row.id, orjson.loads(row.body))
        source_rows = {r.id: r for r in store.latest_by_ids(sorted(sources))}
        batch_ids = {o["id"]: o for o in objs}
        owner = self.node.identity_id if party.internal else party.identity_id
        who = Party(identity_id=party.identity_id, name=party.name, internal=party.internal)
        out: list[Admitted | str] = []
        for o in objs:
            try:
                out.append(self._admit_one(o, who, owner, markings, source_rows, batch_ids, ctx))
            except (InvalidInputError, PolicyError) as exc:
                out.append(str(exc))
        return out

    def _admit_one(
        self,
        o: dict[str, Any],
        who: Party,
        owner: str,
        markings: dict[str, dict[str, Any]],
        source_rows: dict[str, ObjectRow],
        batch: dict[str, dict[str, Any]],
        ctx: PolicyContext,
    ) -> Admitted:
        h = handling_of(o, markings, scheme_owner=owner)
        if o["type"] == "marking-definition":
            listed = _releasability_list(o)
            if listed is not None:
                h = replace(h, releasable_to=listed)
        topics, regions = topics_regions(o)
        origins: set[str] = set()
        if not who.internal:
            origins.add(who.identity_id)
            d = accept(who, o["type"], h, ctx, topics=topics, regions=regions)
            if not d.allow:
                raise PolicyError("not accepted: " + "; ".join(d.reasons))
        derived = _derived(o)
        if derived and who.internal:
            src: list[Handling] = []
            for sid in derived:
                row = source_rows.get(sid)
                if row is None:
                    if sid in batch:
                        raise PolicyError(f"derive from {sid} after storing it, not with it")
                    raise InvalidInputError(f"{DERIVED_FROM}: source {sid} is not held here")
                src.append(self._handling(row))
                origins.update(row.origins)
            check_derivation(h, src, scale=ctx.scale)
        handling = {"h": h.to_json(), "topics": topics, "regions": regions}
        return Admitted(handling=handling, origins=tuple(sorted(origins)))


def _marking_refs(o: dict[str, Any]) -> Iterable[str]:
    refs = o.get("object_marking_refs")
    if isinstance(refs, list):
        yield from (r for r in refs if isinstance(r, str))
    gms = o.get("granular_markings")
    if isinstance(gms, list):
        for g in gms:
            if isinstance(g, dict) and isinstance(g.get("marking_ref"), str):
                yield g["marking_ref"]


def _derived(o: dict[str, Any]) -> list[str]:
    v = o.get(DERIVED_FROM)
    return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []


def _releasability_list(marking: dict[str, Any]) -> frozenset[str] | None:
    ext = marking.get("extensions")
    if isinstance(ext, dict):
        body = ext.get(RELEASABILITY_EXT_ID)
        if isinstance(body, dict) and isinstance(body.get("releasable_to"), list):
            return frozenset(x for x in body["releasable_to"] if isinstance(x, str))
    return None
