"""The gate every read and write of objects passes: it asks the policy engine.

``PolicyGate.verdicts`` prepares, once per request, a function that gives for each
stored row the bytes the party may receive (redactions applied) or ``None``. Default
deny: anything the engine does not positively allow is withheld, and a withheld row
leaves no trace in the answer. ``admit`` hands a batch someone writes to the
``Admission`` rules (handling, write authority, acceptance, high-water mark).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from liaison.agreements import Agreement, Consent
from liaison.errors import AgreementError, LiaisonError
from liaison.markings.handling import Handling, handling_of
from liaison.node import Node
from liaison.policy import Decision, Party, PolicyContext, Provenance, decide
from liaison.service.admission import Admission, Admitted, topics_regions
from liaison.service.disclosure import Disclosure
from liaison.signing.objects import SignatureInfo
from liaison.store import ObjectRow, PartyRecord, Rehandled
from liaison.store.handling import Lookup

__all__ = ["PolicyGate", "Resign"]

_CONTEXT_TTL = 30.0

#: Re-sign a redacted copy: (object, originator identity or None for this node).
Resign = Callable[[dict[str, Any], str | None], dict[str, Any]]


class PolicyGate:
    """Default deny: a row is released only when the policy decision allows it."""

    def __init__(self, node: Node, resign: Resign) -> None:
        self.node = node
        self._resign = resign
        self._admission = Admission(node, self._handling)
        self._lock = threading.Lock()
        self._ctx: PolicyContext | None = None
        self._ctx_key: tuple[Any, ...] = ()
        self._ctx_time = 0.0
        self._handlings: dict[bytes, Handling] = {}

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
        # Keyed by the stored handling itself, not the bytes: a version's handling is
        # recomputed when a marking-definition it awaited arrives (same bytes).
        raw = row.handling.get("h") or {}
        key = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)
        h = self._handlings.get(key)
        if h is None:
            h = Handling.from_json(raw)
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
            names=_names(row),
        )

    def verdicts(self, party: PartyRecord) -> Disclosure:
        """What ``party`` receives of stored rows, for one request (see ``Disclosure``)."""
        return Disclosure(self, party, self.context())

    def preview(
        self, obj: dict[str, Any], markings: dict[str, dict[str, Any]]
    ) -> list[tuple[PartyRecord, Decision]]:
        """Would each partner receive ``obj``, composed here and not stored yet, and why.

        The object is this node's own (no provenance); a disabled partner receives
        nothing.
        """
        ctx = self.context()
        h = handling_of(obj, markings, scheme_owner=self.node.identity_id)
        topics, regions = topics_regions(obj)
        out: list[tuple[PartyRecord, Decision]] = []
        for p in sorted(self.node.partners(), key=lambda p: p.name):
            if p.disabled:
                out.append((p, Decision(False, ("party disabled",))))
                continue
            who = Party(identity_id=p.identity_id, name=p.name, internal=False)
            d = decide(
                who, str(obj["type"]), str(obj["id"]), h, Provenance(frozenset()), ctx,
                topics=topics, regions=regions,
            )  # fmt: skip
            out.append((p, d))
        return out

    def resign_copy(self, obj: dict[str, Any], row: ObjectRow) -> dict[str, Any]:
        """Sign a copy that differs from the stored bytes, naming the row's originator."""
        return self._resign(obj, self._originator(row))

    def _originator(self, row: ObjectRow) -> str | None:
        """Who originated a row's object (None: this node) -- named in a re-signed copy."""
        owner = self.node.store.owners([row.id]).get(row.id, "")
        return owner or None

    # --- writes -------------------------------------------------------------------------
    def admit(
        self,
        party: PartyRecord,
        objs: list[dict[str, Any]],
        infos: list[SignatureInfo],
        version_key: Callable[[dict[str, Any]], str],
        bodies: Sequence[bytes] | None = None,
    ) -> list[Admitted | str]:
        """Per object: its handling, originator and provenance to store, or why not.
        ``bodies``: ``orjson.dumps`` of each object, when the caller has them."""
        return self._admission.admit(party, objs, infos, self.context(), version_key, bodies)

    def rehandle(self, waiting: list[tuple[ObjectRow, str]], lookup: Lookup) -> list[Rehandled]:
        """The handling of stored versions whose awaited marking-definition arrived."""
        return self._admission.rehandle(waiting, lookup)


def _names(row: ObjectRow) -> frozenset[str] | None:
    names = row.handling.get("names")
    return frozenset(names) if isinstance(names, list) else None
