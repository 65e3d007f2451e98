"""Admission of what a party hands this node: handling, authority, provenance.

``Admission.admit`` prepares, for a batch, everything the pure rules need -- the
marking-definitions cited, the owners of the ids, the versions and definitions
already held, the parties this node knows -- with a handful of queries per batch,
then asks, per object: is it well marked (``handling_of``), may this sender write
it (``policy.authority.authorize``), does our agreement with a partner accept it
(``policy.acceptance.accept``), and is a derived product at least as restricted as its
sources (``policy.check_derivation``). The answer per object is what to store (its
handling, originator and provenance) or a one-line reason.

A local client's object may cite a marking-definition this node does not hold yet: it
is stored with ``unresolved_markings`` in its handling -- withheld from every partner --
and listed as awaiting that definition; ``rehandle`` recomputes its handling when the
definition arrives. A partner's object citing an unknown marking is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from liaison.errors import InvalidInputError, PolicyError
from liaison.markings import RELEASABILITY_EXT_ID
from liaison.markings.handling import Handling, Handlings, handling_of
from liaison.markings.tlp import TLP_MARKINGS
from liaison.node import Node
from liaison.policy import Decision, Party, PolicyContext, check_derivation
from liaison.policy.acceptance import accept
from liaison.policy.authority import Authorities, Write, definition_body
from liaison.signing.objects import SignatureInfo
from liaison.stix.refs import links
from liaison.store import ObjectRow, PartyRecord, Rehandled
from liaison.store.handling import Lookup

__all__ = ["DERIVED_FROM", "Admission", "Admitted", "topics_regions"]

#: Property naming the sources a product was derived from (object ids).
DERIVED_FROM = "x_liaison_derived_from"
TOPICS = "x_liaison_topics"
REGIONS = "x_liaison_regions"
DEFINITIONS = ("marking-definition", "extension-definition")


@dataclass(frozen=True)
class Admitted:
    """What to store with an accepted object version.

    ``originator``: who owns the id ('' for this node). ``copy_only``: this node's own
    version coming back from a partner: report it, store nothing. ``awaits``: the
    marking-definitions it cites that this node does not hold yet (local clients only).
    """

    handling: dict[str, Any]
    origins: tuple[str, ...]
    originator: str = ""
    copy_only: bool = False
    awaits: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        handling: dict[str, Any],
        origins: tuple[str, ...],
        originator: str,
        copy_only: bool,
        awaits: tuple[str, ...],
    ) -> Admitted:
        """``Admitted(...)``, the same value, without the frozen dataclass's ``__init__``
        (one per object admitted)."""
        out = _new(cls)
        _setattr(
            out,
            "__dict__",
            {
                "handling": handling,
                "origins": origins,
                "originator": originator,
                "copy_only": copy_only,
                "awaits": awaits,
            },
        )
        return out


_new = object.__new__
_setattr = object.__setattr__
_STR = frozenset({str})


def _strings(v: Any) -> list[str]:
    return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []


def topics_regions(obj: dict[str, Any]) -> tuple[list[str], list[str]]:
    return _strings(obj.get(TOPICS)), _strings(obj.get(REGIONS))


@dataclass
class _Facts:
    markings: dict[str, dict[str, Any]]
    sources: dict[str, ObjectRow]
    owners: dict[str, str]
    held: dict[str, set[str]]
    definitions: dict[str, bytes]
    known: frozenset[str]
    handlings: Handlings  # handling_of against ``markings``, read once per list of refs
    me: str  # this node's identity
    authorities: Authorities  # ``authorize`` for this sender, ``known`` and context
    #: ``accept``'s answers in this batch (it is pure): type, handling, topics, regions.
    accepted: dict[tuple[str, Handling, tuple[str, ...], tuple[str, ...]], Decision] = field(
        default_factory=dict
    )
    #: ``Handling.to_json`` of each handling met in this batch, by identity (with the
    #: handling itself, so that the identity stays its own): the objects of a batch
    #: share a few handlings (``handlings``), each read once.
    json: dict[int, tuple[Handling, dict[str, Any]]] = field(default_factory=dict)
    #: The stored handling of the objects of this batch that link to nothing and are
    #: not marking-definitions: one value per handling, topics and regions, shared
    #: (read only, as every stored handling: it is serialised, never changed).
    plain: dict[tuple[int, tuple[str, ...], tuple[str, ...]], dict[str, Any]] = field(
        default_factory=dict
    )


class Admission:
    """Checks a batch of objects a party hands this node (see module docstring)."""

    def __init__(self, node: Node, handling: Callable[[ObjectRow], Handling]) -> None:
        self.node = node
        self._handling = handling

    def _facts(
        self, objs: list[dict[str, Any]], ctx: PolicyContext, held_ids: list[str], who: Party
    ) -> _Facts:
        """What the rules need about this batch. ``held_ids``: the ids whose held
        versions the rules read -- those of objects a partner sends that were signed
        by this node (``authorize`` takes one of them only as a copy of a version held
        here); nothing else reads them."""
        store = self.node.store
        markings = {o["id"]: o for o in objs if o.get("type") == "marking-definition"}
        wanted: set[str] = set()
        sources: set[str] = set()
        for o in objs:
            refs = o.get("object_marking_refs")
            if refs.__class__ is list and set(map(type, refs)) <= _STR:
                wanted.update(refs)  # (strings only: ``_marking_refs``, read in C)
                if o.get("granular_markings") is not None:
                    wanted.update(_marking_refs(o))
            else:
                wanted.update(_marking_refs(o))
            if DERIVED_FROM in o:
                sources.update(_derived(o))
        ids = sorted({o["id"] for o in objs})
        defs = sorted({o["id"] for o in objs if o.get("type") in DEFINITIONS})
        definitions: dict[str, bytes] = {}
        for row in store.latest_by_ids(sorted((wanted - set(markings)) | set(defs))):
            body = orjson.loads(row.body)
            if row.id in wanted and row.id not in markings:
                markings[row.id] = body
            if row.id in defs:
                definitions.setdefault(row.id, definition_body(body))
        me = self.node.identity_id
        known = {p.identity_id for p in store.parties() if not p.internal} | set(ctx.names)
        known.discard(me)
        frozen = frozenset(known)
        return _Facts(
            markings=markings,
            sources={r.id: r for r in store.latest_by_ids(sorted(sources))},
            owners={k: v or me for k, v in store.owners(ids).items()},
            held=store.held_versions(held_ids) if held_ids else {},
            definitions=definitions,
            known=frozen,
            handlings=Handlings(markings),
            me=me,
            authorities=Authorities(who, ctx, frozen),
        )

    def admit(
        self,
        party: PartyRecord,
        objs: list[dict[str, Any]],
        infos: list[SignatureInfo],
        ctx: PolicyContext,
        version_key: Callable[[dict[str, Any]], str],
        bodies: Sequence[bytes] | None = None,
    ) -> list[Admitted | str]:
        """Per object: what to store, or why it is refused (``bodies``: each object's
        ``orjson.dumps``, if the caller has them: ``links`` reads them)."""
        if not objs:
            return []
        me = self.node.identity_id
        held_ids = (
            []
            if party.internal
            else sorted({o["id"] for o, info in zip(objs, infos, strict=True) if info.origin == me})
        )
        who = Party(identity_id=party.identity_id, name=party.name, internal=party.internal)
        facts = self._facts(objs, ctx, held_ids, who)
        batch = {o["id"] for o in objs}
        out: list[Admitted | str] = []
        given: Sequence[bytes | None] = [None] * len(objs) if bodies is None else bodies
        for o, info, body in zip(objs, infos, given, strict=True):
            try:
                out.append(self._one(o, info, who, facts, batch, ctx, version_key, body))
            except (InvalidInputError, PolicyError) as exc:
                out.append(str(exc))
        return out

    def _one(
        self,
        o: dict[str, Any],
        info: SignatureInfo,
        who: Party,
        facts: _Facts,
        batch: set[str],
        ctx: PolicyContext,
        version_key: Callable[[dict[str, Any]], str],
        body: bytes | None = None,
    ) -> Admitted:
        me = facts.me
        # A classification marking naming no scheme is read in its originator's scheme.
        # A local client may cite a definition not held yet: the object then waits for
        # it, withheld from partners; a partner's object is refused (fail closed).
        h = facts.handlings(o, scheme_owner=info.origin, pending=who.internal)
        created_by = o.get("created_by_ref")
        if not isinstance(created_by, str):
            created_by = None
        owner = facts.owners.get(o["id"])
        authorities = facts.authorities
        # the answer for the same signer, origin, owner and author, if it reads no more
        verdict = authorities.remembered(o["type"], info.signer, info.origin, owner, created_by)
        if verdict is None:
            verdict = authorities(
                Write(
                    object_id=o["id"],
                    obj_type=o["type"],
                    version_key=version_key(o),
                    sender=who,
                    signer=info.signer,
                    origin=info.origin,
                    created_by=created_by,
                    handling=h,
                    owner=owner,
                    held=frozenset(facts.held.get(o["id"], ())),
                    body=o,
                    held_definition=facts.definitions.get(o["id"]),
                )
            )
        if not verdict.allow:
            raise PolicyError("; ".join(verdict.reasons))
        # ``topics_regions(o)``, inline: most objects have neither (a call each saved)
        topics = _strings(o[TOPICS]) if TOPICS in o else []
        regions = _strings(o[REGIONS]) if REGIONS in o else []
        origins = set(verdict.origins)
        if not who.internal and not verdict.copy_only:
            key = (o["type"], h, tuple(topics), tuple(regions))
            d = facts.accepted.get(key)
            if d is None:
                d = facts.accepted[key] = accept(
                    who, o["type"], h, ctx, topics=topics, regions=regions
                )
            if not d.allow:
                raise PolicyError("not accepted: " + "; ".join(d.reasons))
        derived = _derived(o) if DERIVED_FROM in o else None
        if derived and who.internal:
            if h.unresolved_markings:  # its high-water mark could not be checked
                raise PolicyError(
                    "a derived product must cite marking-definitions this node holds: "
                    + ", ".join(sorted(h.unresolved_markings))
                )
            src: list[Handling] = []
            for sid in derived:
                row = facts.sources.get(sid)
                if row is None:
                    if sid in batch:
                        raise PolicyError(f"derive from {sid} after storing it, not with it")
                    raise InvalidInputError(f"{DERIVED_FROM}: source {sid} is not held here")
                source = self._handling(row)
                if source.withheld:
                    raise PolicyError(
                        f"{DERIVED_FROM}: the markings of {sid} are not all known yet"
                    )
                src.append(source)
                origins.update(row.origins)
            check_derivation(h, src, scale=ctx.scale)
        got = facts.json.get(id(h))
        if got is None or got[0] is not h:
            got = facts.json[id(h)] = (h, h.to_json())
        linked = links(o, body)
        handling: dict[str, Any]
        if linked or o["type"] == "marking-definition":
            handling = {"h": got[1], "topics": topics, "regions": regions}
            if linked:  # read paths drop links to what a reader does not receive
                handling["links"] = linked
            if o["type"] == "marking-definition":
                listed = _releasability_list(o)
                if listed is not None:
                    handling["names"] = sorted(listed)
        else:
            same = (id(h), tuple(topics), tuple(regions))
            shared = facts.plain.get(same)
            if shared is None:
                shared = facts.plain[same] = {"h": got[1], "topics": topics, "regions": regions}
            handling = shared
        origins.discard(me)
        # ``Admitted.of(...)``, inline (one per object admitted)
        out = _new(Admitted)
        _setattr(
            out,
            "__dict__",
            {
                "handling": handling,
                "origins": tuple(sorted(origins)) if origins else (),
                "originator": "" if verdict.originator == me else verdict.originator,
                "copy_only": verdict.copy_only,
                "awaits": tuple(sorted(h.unresolved_markings)) if h.unresolved_markings else (),
            },
        )
        return out

    def rehandle(self, waiting: list[tuple[ObjectRow, str]], lookup: Lookup) -> list[Rehandled]:
        """The handling of stored versions that awaited marking-definitions, read again.

        ``waiting``: (row, originator of its id, '' this node); ``lookup`` reads the
        definitions in the storing transaction. A version whose markings are still not
        all held keeps waiting (for the rest); one whose markings now contradict each
        other stays withheld from partners for good, with the reason
        (``marking_problem``). Never released early: the handling is recomputed whole.
        """
        me = self.node.identity_id
        bodies = [(row, owner, orjson.loads(row.body)) for row, owner in waiting]
        wanted = {r for _, _, o in bodies for r in _marking_refs(o)} - set(TLP_MARKINGS)
        markings = {
            r.id: orjson.loads(r.body) for r in lookup(sorted(wanted)) if r.type == DEFINITIONS[0]
        }
        out: list[Rehandled] = []
        for row, owner, o in bodies:
            try:
                h = handling_of(o, markings, scheme_owner=owner or me, pending=True)
            except (InvalidInputError, PolicyError) as exc:
                old = Handling.from_json(row.handling.get("h") or {})
                h = replace(old, unresolved_markings=frozenset(), marking_problem=str(exc))
            handling = {**row.handling, "h": h.to_json()}
            out.append(Rehandled(row, owner, handling, tuple(sorted(h.unresolved_markings))))
        return out


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
