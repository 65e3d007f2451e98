"""A collection's default handling: the markings given to what is posted unmarked.

An operator sharing a feed sets, per collection, a classification (a level of this
node's scheme), a releasability list (identity ids) and a TLP level
(``liaison collection add|set … --classification --rel-to --tlp``). At ingest, an object
a local client posts with no markings of its own gets the corresponding
marking-definitions -- built by the helpers of ``liaison.markings``, so their ids are
derived from their content -- and references, before the node signs it: the stored
object is exactly what is served.

Usage::

    d = DefaultHandling(classification="CONFIDENTIEL", releasable_to=(dz,), tlp="green")
    marked = d.apply(obj, node_identity)       # a copy with object_marking_refs
    d.definitions(node_identity)               # the marking-definitions it cites
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from liaison.errors import InvalidInputError
from liaison.markings.extensions import classification_marking, releasability_marking
from liaison.markings.tlp import TLP_LEVELS, official_tlp, tlp_id

__all__ = ["DefaultHandling", "carries_markings"]

#: Types a default never marks: definitions carry no intelligence, and official and
#: content-derived definitions are bound to their exact content.
_NEVER = frozenset({"marking-definition", "extension-definition"})


def carries_markings(obj: Mapping[str, Any]) -> bool:
    """Whether an object has object-level markings of its own (``object_marking_refs``).

    Granular markings alone do not count: they restrict parts of an object, and keep
    doing so (redaction) under the default the object gets.
    """
    return bool(obj.get("object_marking_refs"))


@dataclass(frozen=True)
class DefaultHandling:
    """What a collection marks unmarked objects with. ``releasable_to``: identity ids of
    partners (this node is always added); empty means no releasability marking."""

    classification: str | None = None
    releasable_to: tuple[str, ...] = ()
    tlp: str | None = None

    def __post_init__(self) -> None:
        if self.tlp is not None and self.tlp not in TLP_LEVELS:
            raise InvalidInputError(
                f"unknown TLP level {self.tlp!r} (one of {', '.join(TLP_LEVELS)})"
            )
        if self.classification is not None and not self.classification.strip():
            raise InvalidInputError("a classification level must not be empty")
        if any(not p.startswith("identity--") for p in self.releasable_to):
            raise InvalidInputError("releasable_to takes identity ids")
        if self.empty:
            raise InvalidInputError(
                "a default handling needs a classification, a releasability list or a TLP"
            )

    @property
    def empty(self) -> bool:
        return self.classification is None and not self.releasable_to and self.tlp is None

    def to_json(self) -> dict[str, Any]:
        return {
            "classification": self.classification,
            "releasable_to": sorted(set(self.releasable_to)),
            "tlp": self.tlp,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> DefaultHandling:
        return cls(
            classification=d.get("classification"),
            releasable_to=tuple(d.get("releasable_to") or ()),
            tlp=d.get("tlp"),
        )

    def definitions(self, node_identity: str) -> list[dict[str, Any]]:
        """The marking-definitions the default cites (classification in this node's
        scheme, REL TO this node and the listed parties, the official TLP 2.0 one)."""
        out: list[dict[str, Any]] = []
        if self.classification is not None:
            out.append(classification_marking(self.classification, node_identity))
        if self.releasable_to:
            out.append(releasability_marking([node_identity, *self.releasable_to]))
        if self.tlp is not None:
            official = official_tlp(tlp_id(self.tlp))
            assert official is not None  # every TLP level has its official definition
            out.append(official)
        return out

    def refs(self, node_identity: str) -> list[str]:
        """The ``object_marking_refs`` an unmarked object gets."""
        return [d["id"] for d in self.definitions(node_identity)]

    def applies_to(self, obj: Mapping[str, Any]) -> bool:
        """Whether ``obj`` gets this default: it carries no markings and is no definition."""
        return obj.get("type") not in _NEVER and not carries_markings(obj)

    def apply(self, obj: Mapping[str, Any], node_identity: str) -> dict[str, Any]:
        """A copy of ``obj`` marked with this default (``obj`` itself is not changed)."""
        return {**obj, "object_marking_refs": self.refs(node_identity)}
