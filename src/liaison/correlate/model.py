"""Records of the correlation index, its configuration, and the names of a STIX object."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final

from liaison.correlate.names import NameMatch
from liaison.correlate.observables import OBSERVABLE_TYPES, custom_kind
from liaison.errors import InvalidInputError

__all__ = [
    "LOCAL",
    "Candidate",
    "Correlation",
    "CorrelationConfig",
    "LeanObject",
    "default_block_list",
    "lean_object",
    "names_of",
]

#: The only viewer allowed to read correlations: the node's own analysts.
LOCAL: Final = "local"
_NAME_TYPES: Final = ("identity", "intrusion-set", "threat-actor", "location", "campaign")


@functools.cache
def default_block_list() -> frozenset[tuple[str, str]]:
    """``(kind, normalised value)`` pairs that never correlate (``data/blocklist.txt``:
    package data, read once)."""
    text = resources.files("liaison.correlate").joinpath("data/blocklist.txt").read_text("utf-8")
    out: set[tuple[str, str]] = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            kind, _, value = line.partition(" ")
            out.add((kind, value.strip()))
    return frozenset(out)


@dataclass(frozen=True)
class CorrelationConfig:
    """Guard thresholds and the block list (``("*", value)`` blocks a value of any kind).

    ``max_scored_per_name`` bounds the work per name: at most that many indexed
    spellings are compared with it, the ones sharing its rarest keys (``lookup``).
    """

    max_objects_per_value: int = 50
    max_candidates_per_key: int = 1000
    max_objects_per_name: int = 1000
    max_scored_per_name: int = 64
    block_list: frozenset[tuple[str, str]] = field(default_factory=default_block_list)
    default_region: str | None = None

    def __post_init__(self) -> None:
        if (
            self.max_objects_per_value < 2
            or self.max_candidates_per_key < 1
            or self.max_objects_per_name < 1
            or self.max_scored_per_name < 1
        ):
            raise InvalidInputError("correlation guard thresholds must be positive")

    def blocked(self, kind: str, value: str) -> bool:
        return (kind, value) in self.block_list or ("*", value) in self.block_list


@dataclass(frozen=True)
class Correlation:
    """Two objects linked by a shared observable or a matching name (local knowledge)."""

    id: int
    object_a: str
    object_b: str
    source_a: str
    source_b: str
    kind: str  # "observable" | "name"
    rule: str
    score: float
    value_a: str
    value_b: str
    explanation: str
    created: str

    def other(self, object_id: str) -> str:
        return self.object_b if object_id == self.object_a else self.object_a

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class Candidate:
    """An indexed name that matches an ad-hoc query."""

    object_id: str
    source: str
    name: str
    kind: str
    match: NameMatch


def names_of(obj: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(kind, name)`` pairs of a STIX object: its ``name``, ``aliases`` and ``x_aliases``."""
    typ = obj.get("type")
    if typ not in _NAME_TYPES:
        return []
    if typ == "identity":
        kind = "person" if obj.get("identity_class") == "individual" else "organization"
    elif typ == "threat-actor":
        kind = "person" if obj.get("resource_level") == "individual" else "organization"
    elif typ == "intrusion-set":
        kind = "organization"
    elif typ == "location":
        kind = "place"
    else:
        kind = "other"
    found: list[str] = []
    for key in ("name", "city") if typ == "location" else ("name",):
        if isinstance(obj.get(key), str):
            found.append(obj[key])
    for key in ("aliases", "x_aliases"):
        value = obj.get(key)
        if isinstance(value, list):
            found.extend(v for v in value if isinstance(v, str))
    seen = dict.fromkeys(n.strip() for n in found if n.strip())
    return [(kind, n[:300]) for n in seen]


#: In a JSON text, what could be the name of a custom property (a property's or not).
_CUSTOM = re.compile(rb'"(x_[^"]*)"')
#: Such names found to be of no property that correlating reads.
_PLAIN: set[bytes] = set()


class LeanObject(dict[str, str]):
    """A stored object as ``lean_object`` reads it: its id, type and version, and
    nothing else to correlate -- ``names_of`` and ``observables_of`` find nothing in it,
    so planning does not ask them (issue #15: asking cost the correlator 1-2 µs for
    each of the six objects in ten that are lean)."""

    __slots__ = ()


def lean_object(object_id: str, type_: str, version: str, body: bytes) -> LeanObject | None:
    """A stored object as correlating it reads it -- its id, type and version -- when
    it certainly holds nothing else that is read: no name (``names_of``), no observable
    (``observables_of``), not revoked; else None, and its body is to be parsed.

    Decided on the JSON text ``body`` alone, without parsing it (issue #15: parsing
    every pending body was a tenth of the correlator's CPU), conservatively: by its
    type, and by the absence of anything that could be a ``revoked`` property other
    than ``false`` (ATT&CK objects say so) or a custom property holding observables
    (``custom_kind``) -- and of any ``\\u`` escape, through which a property's name
    could hide. ``version`` is the object's TAXII version (``modified``, else
    ``created``, as stored: ``PendingRow.version``); '' (none): parsed.
    """
    if not version or type_ in _NAME_TYPES or type_ in OBSERVABLE_TYPES:
        return None
    if b"\\" in body and b"\\u" in body:  # one byte looked for first: fast
        return None
    revoked = body.count(b'"revoked"')  # ATT&CK objects say "revoked": false
    if revoked and revoked != body.count(b'"revoked":false'):
        return None
    for name in _CUSTOM.findall(body):
        if name in _PLAIN:
            continue
        if b"\\" in name or custom_kind(name.decode("utf-8", "replace")) is not None:
            return None
        if len(_PLAIN) < 4096:  # names repeat: every ATT&CK object has its x_mitre_*
            _PLAIN.add(name)
    return LeanObject(id=object_id, type=type_, modified=version)
