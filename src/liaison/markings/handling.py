"""Handling: everything the policy engine needs about one object version, parsed once.

``handling_of`` reads an object's ``object_marking_refs``, ``granular_markings`` and
source-grading extension at ingest; the result is stored next to the object
(``Handling.to_json``) so a read never parses markings again.

A local client may post an object citing a marking-definition this node does not hold
yet (a public feed whose definition comes last): ``handling_of(..., pending=True)``
then records the ids it could not read in ``unresolved_markings``, and the policy
engine withholds the object from every partner until the handling is recomputed with
the definitions (``liaison.service.admission``). A handling recomputed after a
definition arrived that cannot be read (two TLPs, say) keeps the object withheld, with
the reason in ``marking_problem``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from liaison.errors import InvalidStixError
from liaison.markings.extensions import (
    CAVEATS_EXT_ID,
    CLASSIFICATION_EXT_ID,
    CREDIBILITY,
    RELEASABILITY_EXT_ID,
    RELIABILITY,
    SOURCE_GRADING_EXT_ID,
)
from liaison.markings.tlp import TLP_LEVELS, TLP_MARKINGS, tlp_of_definition

__all__ = ["GRADING_DESCRIPTION_SELECTOR", "Granular", "Handling", "Handlings", "handling_of"]

#: The selector redacted when the originator's source description must stay local.
GRADING_DESCRIPTION_SELECTOR = f"extensions.{SOURCE_GRADING_EXT_ID}.source_description"


@dataclass(frozen=True, slots=True)
class Granular:
    """A restriction on some properties only (STIX granular marking).

    ``None`` fields add nothing to the object-level handling.
    """

    selectors: tuple[str, ...]
    classification: str | None = None
    scheme_owner: str | None = None
    releasable_to: frozenset[str] | None = None
    tlp: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "selectors": list(self.selectors),
            "classification": self.classification,
            "scheme_owner": self.scheme_owner,
            "releasable_to": None if self.releasable_to is None else sorted(self.releasable_to),
            "tlp": self.tlp,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Granular:
        rel = d.get("releasable_to")
        return cls(
            selectors=tuple(d["selectors"]),
            classification=d.get("classification"),
            scheme_owner=d.get("scheme_owner"),
            releasable_to=None if rel is None else frozenset(rel),
            tlp=d.get("tlp"),
        )


@dataclass(frozen=True, slots=True)
class Handling:
    """Handling of one object version.

    ``releasable_to`` None means no releasability marking was stated; the policy
    engine reads that as "not releasable to partners" (see docs/adr/0002).
    """

    classification: str | None = None
    scheme_owner: str | None = None
    releasable_to: frozenset[str] | None = None
    tlp: str | None = None
    originator_control: bool = False
    no_evidence_use: bool = False
    statement: str | None = None
    grading: tuple[str, str] | None = None
    grading_description_local: bool = False
    granular: tuple[Granular, ...] = field(default=())
    #: Marking-definitions cited but not held here when this handling was read: the
    #: object is withheld from every partner until they arrive (fail closed).
    unresolved_markings: frozenset[str] = frozenset()
    #: Why markings read after a definition arrived make no sense: withheld for good.
    marking_problem: str | None = None

    def __post_init__(self) -> None:
        if self.tlp is not None and self.tlp not in TLP_LEVELS:
            raise InvalidStixError(f"unknown TLP level {self.tlp!r}")
        if (self.classification is None) != (self.scheme_owner is None):
            raise InvalidStixError("a classification needs its scheme owner, and only then")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "classification": self.classification,
            "scheme_owner": self.scheme_owner,
            "releasable_to": None if self.releasable_to is None else sorted(self.releasable_to),
            "tlp": self.tlp,
            "originator_control": self.originator_control,
            "no_evidence_use": self.no_evidence_use,
            "statement": self.statement,
            "grading": None if self.grading is None else list(self.grading),
            "grading_description_local": self.grading_description_local,
            "granular": [g.to_json() for g in self.granular],
        }
        # Only when set: handlings stored before these fields existed read the same.
        if self.unresolved_markings:
            out["unresolved_markings"] = sorted(self.unresolved_markings)
        if self.marking_problem:
            out["marking_problem"] = self.marking_problem
        return out

    @property
    def withheld(self) -> bool:
        """Whether the markings could not all be read: no partner receives the object."""
        return bool(self.unresolved_markings) or self.marking_problem is not None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Handling:
        rel = d.get("releasable_to")
        grading = d.get("grading")
        return cls(
            classification=d.get("classification"),
            scheme_owner=d.get("scheme_owner"),
            releasable_to=None if rel is None else frozenset(rel),
            tlp=d.get("tlp"),
            originator_control=bool(d.get("originator_control", False)),
            no_evidence_use=bool(d.get("no_evidence_use", False)),
            statement=d.get("statement"),
            grading=None if grading is None else (str(grading[0]), str(grading[1])),
            grading_description_local=bool(d.get("grading_description_local", False)),
            granular=tuple(Granular.from_json(g) for g in d.get("granular", ())),
            unresolved_markings=frozenset(d.get("unresolved_markings") or ()),
            marking_problem=d.get("marking_problem") or None,
        )


@dataclass
class _Acc:
    """Mutable accumulator while reading one set of marking refs."""

    classification: tuple[str, str] | None = None
    releasable_to: frozenset[str] | None = None
    tlp: str | None = None
    originator_control: bool = False
    no_evidence_use: bool = False
    statements: list[str] = field(default_factory=list)
    #: None: an unknown marking is an error; a set: unknown marking ids go there.
    unknown: set[str] | None = None


def _read_marking(ref: str, markings: Mapping[str, dict[str, Any]], acc: _Acc, owner: str) -> None:
    tlp = TLP_MARKINGS.get(ref)
    # An official TLP id means its level and nothing else, whatever body is stored
    # under it (a planted body must not add a classification to every TLP post).
    md = None if tlp is not None else markings.get(ref)
    if tlp is None and md is None:
        if acc.unknown is None:
            raise InvalidStixError(f"marking {ref} is not known to this node")
        acc.unknown.add(ref)
        return
    if tlp is None and md is not None:
        tlp = tlp_of_definition(md)
    if tlp is not None:
        if acc.tlp is not None and acc.tlp != tlp:
            raise InvalidStixError(f"two TLP markings: TLP:{acc.tlp.upper()} and TLP:{tlp.upper()}")
        acc.tlp = tlp
    if md is None:
        return
    exts = md.get("extensions") or {}
    cls = exts.get(CLASSIFICATION_EXT_ID)
    if isinstance(cls, dict):
        level = cls.get("level")
        if not isinstance(level, str) or not level:
            raise InvalidStixError(f"classification marking {ref} has no level")
        pair = (level, str(cls.get("scheme_owner") or owner))
        if acc.classification is not None and acc.classification != pair:
            raise InvalidStixError(f"two classifications: {acc.classification[0]} and {pair[0]}")
        acc.classification = pair
    rel = exts.get(RELEASABILITY_EXT_ID)
    if isinstance(rel, dict):
        parties = rel.get("releasable_to")
        if not isinstance(parties, list) or not all(isinstance(p, str) for p in parties):
            raise InvalidStixError(f"releasability marking {ref} needs a list of identity ids")
        new = frozenset(parties)
        acc.releasable_to = new if acc.releasable_to is None else acc.releasable_to & new
    cav = exts.get(CAVEATS_EXT_ID)
    if isinstance(cav, dict):
        acc.originator_control |= cav.get("originator_control") is True
        acc.no_evidence_use |= cav.get("no_evidence_use") is True
    if md.get("definition_type") == "statement":
        text = (md.get("definition") or {}).get("statement")
        if isinstance(text, str) and text not in acc.statements:
            acc.statements.append(text)


def _grading(obj: Mapping[str, Any]) -> tuple[tuple[str, str] | None, bool]:
    ext = (obj.get("extensions") or {}).get(SOURCE_GRADING_EXT_ID)
    if ext is None:
        return None, False
    if not isinstance(ext, dict):
        raise InvalidStixError("source grading extension must be an object")
    rel, cred = ext.get("source_reliability"), ext.get("information_credibility")
    if rel not in RELIABILITY or cred not in CREDIBILITY:
        raise InvalidStixError(f"source grading must be A-F / 1-6, got {rel!r}/{cred!r}")
    local = "source_description" in ext and ext.get("source_description_releasable") is not True
    return (str(rel), str(cred)), local


def handling_of(
    obj: Mapping[str, Any],
    markings: Mapping[str, dict[str, Any]],
    *,
    scheme_owner: str,
    pending: bool = False,
) -> Handling:
    """Parse the handling of ``obj``.

    ``markings`` maps marking-definition ids to objects (TLP ids resolve without it);
    ``scheme_owner`` is the identity whose scheme a classification marking that names
    no owner is read in. Raises ``InvalidStixError`` on unknown marking refs and
    contradictions (two TLPs, two classifications) -- unless ``pending``: then the
    ids of unknown markings are recorded in ``unresolved_markings`` (the rest is read
    as usual) and the object is withheld from partners until they are known.
    """
    try:
        return _handling_of(obj, markings, scheme_owner, pending)
    except (TypeError, AttributeError, KeyError, ValueError) as exc:
        raise InvalidStixError(f"malformed markings: {exc}") from exc


def _handling_of(
    obj: Mapping[str, Any], markings: Mapping[str, dict[str, Any]], scheme_owner: str, pending: bool
) -> Handling:
    unknown: set[str] | None = set() if pending else None
    acc = _Acc(unknown=unknown)
    refs = obj.get("object_marking_refs") or []
    if not isinstance(refs, list):
        raise InvalidStixError("object_marking_refs must be a list")
    for ref in refs:
        _read_marking(str(ref), markings, acc, scheme_owner)
    granular: list[Granular] = []
    for gm in obj.get("granular_markings") or []:
        if not isinstance(gm, dict) or not isinstance(gm.get("selectors"), list):
            raise InvalidStixError("a granular marking needs selectors")
        ref = gm.get("marking_ref")
        if ref is None:
            continue  # a language marking: nothing to enforce
        g = _Acc(unknown=unknown)
        _read_marking(str(ref), markings, g, scheme_owner)
        if g.classification is None and g.releasable_to is None and g.tlp is None:
            continue
        granular.append(
            Granular(
                selectors=tuple(str(s) for s in gm["selectors"]),
                classification=g.classification[0] if g.classification else None,
                scheme_owner=g.classification[1] if g.classification else None,
                releasable_to=g.releasable_to,
                tlp=g.tlp,
            )
        )
    grading, local = _grading(obj)
    return Handling(
        classification=acc.classification[0] if acc.classification else None,
        scheme_owner=acc.classification[1] if acc.classification else None,
        releasable_to=acc.releasable_to,
        tlp=acc.tlp,
        originator_control=acc.originator_control,
        no_evidence_use=acc.no_evidence_use,
        statement="\n".join(acc.statements) or None,
        grading=grading,
        grading_description_local=local,
        granular=tuple(granular),
        unresolved_markings=frozenset(unknown or ()),
    )


class Handlings:
    """``handling_of`` for the objects of one batch, read against one set of definitions.

    An object's handling depends on its ``object_marking_refs``, its
    ``granular_markings`` and its source-grading extension only (and on ``markings``,
    ``scheme_owner`` and ``pending``). Objects of a batch mostly cite the same few
    markings and have neither of the other two: for those the ``Handling`` (immutable)
    is read once per list of refs and shared. Every other object, and every refusal,
    goes through ``handling_of`` each time (an error is never remembered). ``markings``
    must not change while this is in use.
    """

    __slots__ = ("_markings", "_seen")

    #: At most this many lists of refs remembered.
    MAX = 4096

    def __init__(self, markings: Mapping[str, dict[str, Any]]) -> None:
        self._markings = markings
        self._seen: dict[tuple[tuple[str, ...], str, bool], Handling] = {}

    def __call__(self, obj: Mapping[str, Any], *, scheme_owner: str, pending: bool) -> Handling:
        """``handling_of(obj, markings, scheme_owner=..., pending=...)``, the same value."""
        refs = _plain_refs(obj)
        if refs is None:
            return handling_of(obj, self._markings, scheme_owner=scheme_owner, pending=pending)
        key = (refs, scheme_owner, pending)
        h = self._seen.get(key)
        if h is None:
            h = handling_of(obj, self._markings, scheme_owner=scheme_owner, pending=pending)
            if len(self._seen) < self.MAX:
                self._seen[key] = h
        return h


def _plain_refs(obj: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The marking refs of ``obj`` when they are all its handling depends on, else None."""
    if obj.get("granular_markings"):
        return None
    ext = obj.get("extensions")
    if ext is not None and (ext.__class__ is not dict or SOURCE_GRADING_EXT_ID in ext):
        return None
    refs = obj.get("object_marking_refs")
    if refs is None:
        return ()
    if refs.__class__ is not list:
        return None
    for r in refs:
        if r.__class__ is not str:
            return None
    return tuple(refs)


def statements_of(handlings: Iterable[Handling]) -> list[str]:
    """Every distinct statement line, in first-seen order."""
    out: list[str] = []
    for h in handlings:
        for line in (h.statement or "").split("\n"):
            if line and line not in out:
                out.append(line)
    return out
