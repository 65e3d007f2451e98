"""Who is asking, where an object comes from, and the per-request policy context.

``PolicyContext`` is built once per request (or cached per agreement/consent change):
its constructor verifies every agreement and consent signature and precomputes the
lookups ``decide`` needs, so a decision is a handful of dict and set operations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from liaison.agreements.consent import Consent, verify_consent
from liaison.agreements.lifecycle import AgreementState, latest, problems, state
from liaison.agreements.model import Agreement
from liaison.errors import SignatureError
from liaison.markings.scale import ClassificationScale, equivalence_map
from liaison.policy.decision import Decision

__all__ = ["AgreementView", "Party", "PolicyContext", "Provenance"]


@dataclass(frozen=True, slots=True)
class Party:
    """Who receives. ``internal``: a member of this node's own organisation."""

    identity_id: str
    name: str
    internal: bool = False


@dataclass(frozen=True, slots=True)
class Provenance:
    """Whose material an object version contains.

    ``origins``: {X} if received from partner X, the union of the sources' origins if
    derived, empty if purely local. ``derived_from``: ids of the sources.
    """

    origins: frozenset[str] = frozenset()
    derived_from: tuple[str, ...] = ()

    @classmethod
    def local(cls) -> Provenance:
        return cls()

    @classmethod
    def received(cls, from_party: str) -> Provenance:
        return cls(frozenset({from_party}))

    @classmethod
    def derived(cls, sources: Mapping[str, Provenance]) -> Provenance:
        """Provenance of a product derived from ``sources`` (object id -> provenance)."""
        origins: frozenset[str] = frozenset().union(*(p.origins for p in sources.values()))
        return cls(origins, tuple(sources))


@dataclass(frozen=True, slots=True)
class AgreementView:
    """An in-force agreement as seen for one partner: everything precomputed."""

    agreement_id: str
    name: str
    partner: str
    stix_types: frozenset[str]
    topics: frozenset[str]
    regions: frozenset[str]
    partner_levels: Mapping[str, int]
    max_rank: int
    max_level: str
    node_to_partner: Mapping[int, int]
    allowed: Decision  # the (shared, immutable) decision when nothing is redacted


@dataclass(frozen=True)
class PolicyContext:
    """Everything ``decide`` needs besides the object: built once per request.

    ``agreements`` may hold several versions of each agreement (all are used to learn
    keys and equivalences when signed by every party; the latest version decides the
    state). ``consents`` may hold any consent versions; only grants whose latest
    verified answer about the same (object, originator, recipient) is a grant signed
    by the originator's key count; a denial as new as a grant wins over it.
    """

    node_identity_id: str
    node_levels: tuple[str, ...]
    agreements: tuple[Agreement, ...] = ()
    consents: tuple[Consent, ...] = ()
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    scale: ClassificationScale = field(init=False, repr=False)
    views: Mapping[str, tuple[AgreementView, ...]] = field(init=False, repr=False)
    states: Mapping[str, AgreementState] = field(init=False, repr=False)
    names: Mapping[str, str] = field(init=False, repr=False)
    keys: Mapping[str, str] = field(init=False, repr=False)
    granted: frozenset[tuple[str, str, str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        node = self.node_identity_id
        scale = ClassificationScale(node, self.node_levels)
        names: dict[str, str] = {}
        keys: dict[str, str] = {}
        # Every version signed by all its parties teaches keys, names and equivalences.
        for a in self.agreements:
            if a.status != "active" or problems(a):
                continue
            for p in a.parties:
                names.setdefault(p.identity_id, p.name)
                keys.setdefault(p.identity_id, p.public_key_b64)
            me = a.party(node)
            if me is None:
                continue
            for p in a.parties:
                if p.identity_id != node:
                    scale.add_scheme(
                        p.identity_id, p.classification_levels, a.pairs(p.identity_id, node)
                    )
        states: dict[str, AgreementState] = {}
        views: dict[str, list[AgreementView]] = {}
        for aid, a in sorted(latest(self.agreements).items()):
            st = state(a, self.now)
            states[aid] = st
            if st != "in-force" or a.party(node) is None:
                continue
            for p in a.parties:
                if p.identity_id == node:
                    continue
                levels = {lvl: i for i, lvl in enumerate(p.classification_levels)}
                max_level = a.max_classification[p.identity_id]
                views.setdefault(p.identity_id, []).append(
                    AgreementView(
                        agreement_id=aid,
                        name=a.name,
                        partner=p.identity_id,
                        stix_types=a.scope.stix_types,
                        topics=a.scope.topics,
                        regions=a.scope.regions,
                        partner_levels=levels,
                        max_rank=levels[max_level],
                        max_level=max_level,
                        node_to_partner=equivalence_map(
                            self.node_levels, p.classification_levels, a.pairs(node, p.identity_id)
                        ),
                        allowed=Decision(True, (f"released to {p.name} under {a.name}",), (), aid),
                    )
                )
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "states", states)
        object.__setattr__(self, "views", {k: tuple(v) for k, v in views.items()})
        object.__setattr__(self, "granted", _granted(self.consents, keys, self.now))

    def name(self, identity_id: str) -> str:
        return self.names.get(identity_id, identity_id)


def _granted(
    consents: Iterable[Consent], keys: Mapping[str, str], now: datetime
) -> frozenset[tuple[str, str, str]]:
    best: dict[tuple[str, str, str], Consent] = {}
    for c in consents:
        if c.decision == "requested":
            continue
        key = keys.get(c.signed_by)
        if key is None:
            continue
        try:
            verify_consent(c, key)
        except SignatureError:
            continue
        cur = best.get(c.key)
        # The newest answer counts; of two with the same ``modified``, the denial
        # (fail closed), whatever the order they come in.
        if (
            cur is None
            or c.modified > cur.modified
            or (c.modified == cur.modified and c.decision == "denied")
        ):
            best[c.key] = c
    return frozenset(
        k
        for k, c in best.items()
        if c.decision == "granted" and (c.valid_until is None or now < c.valid_until)
    )
