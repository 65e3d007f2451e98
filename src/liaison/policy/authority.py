"""Write authority: who may create a version of an object, a definition, a record.

The rule in one sentence (ADR 0005): **only an object's originator creates versions of
it, nobody remote erases anything, definitions never change, and everything a partner
writes is checked against who signed it.** ``authorize`` decides for one object version
handed to this node, from facts the service layer gathered (who sent it, who signed
it, who owns its id here, what is held under it); like ``decide`` it is pure and
default-deny, and a refusal carries a one-line reason.

* The **originator** of an object is the identity whose key signed it (a redacted copy
  names the originator in its signed statement). The originator of an *id* is the one
  of the first version held here; a later version must come from the same originator.
* From a **partner** P: the object is P's own (signed by P), or a **relay** of a third
  party T's object -- accepted only with T's signed consent for release to this node
  and only if T's own markings make it releasable to this node -- or one of this
  node's own objects coming back (taken only as a copy of a version held here).
  ``created_by_ref`` must name the originator.
* A **local client** writes for this node; it re-posts a partner's signed object
  unchanged (it stays the partner's, with its restrictions) but never versions it,
  and never attributes its own objects to a party this node knows.
* **Definitions**: a marking-definition is immutable (a second, different body under
  a held id is refused), official TLP ids and Liaison's content-derived marking ids
  are bound to their content, levels of this node's classification scheme are defined
  only by this node, and Liaison's own extension-definitions only come from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from liaison.markings.definitions import definition_problem, scheme_owner_of
from liaison.markings.extensions import LIAISON_EXTENSION_DEFINITIONS
from liaison.markings.handling import Handling
from liaison.policy.context import Party, PolicyContext
from liaison.signing import canonical
from liaison.signing.objects import SIGNATURE_EXT_ID, strip_signature

__all__ = [
    "RESERVED_EXTENSIONS",
    "Authorities",
    "Authority",
    "Write",
    "authorize",
    "definition_body",
]

#: Extension-definitions that only Liaison defines: id -> the one body it may have.
RESERVED_EXTENSIONS: Mapping[str, Mapping[str, Any]] = {
    d["id"]: d for d in LIAISON_EXTENSION_DEFINITIONS
}
_SIGNATURE_ONLY = frozenset({SIGNATURE_EXT_ID})
_DEFINITIONS = ("marking-definition", "extension-definition")


def _unmarked(h: Handling) -> bool:
    return h.classification is None and h.releasable_to is None and h.tlp is None


def definition_body(obj: Mapping[str, Any]) -> bytes:
    """The canonical bytes that identify a definition: without its origin signature."""
    return canonical(strip_signature(obj))


@dataclass(slots=True)
class Write:
    """One object version handed to this node, with the facts its admission depends on.

    Built once per object admitted and read only (not frozen: a frozen dataclass's
    ``__init__`` sets each field through ``object.__setattr__``, 3 µs an object here).

    ``signer``/``origin``: from the verified origin signature (for a local client's new
    object: this node). ``owner``: originator of the id held here (None: never held).
    ``held``: version keys of the id held here, in any collection. ``held_definition``:
    ``definition_body`` of the definition held under this id, if any.
    """

    object_id: str
    obj_type: str
    version_key: str
    sender: Party
    signer: str
    origin: str
    created_by: str | None
    handling: Handling
    owner: str | None = None
    held: frozenset[str] = frozenset()
    body: Mapping[str, Any] | None = None  # the object (needed for definitions)
    held_definition: bytes | None = None


@dataclass(slots=True)
class Authority:
    """The answer: refused (``reasons``), or whose object it is and whose material
    (read only; not frozen, like ``Write``, for the cost of its ``__init__``).

    ``originator``: the identity that owns the id (this node's identity for its own).
    ``origins``: provenance for the third-party rule. ``copy_only``: one of this node's
    own versions coming back from a partner -- nothing to store.
    """

    allow: bool
    reasons: tuple[str, ...]
    originator: str = ""
    origins: frozenset[str] = frozenset()
    copy_only: bool = False


def _deny(reason: str) -> Authority:
    return Authority(False, (reason,))


def _origin(w: Write, ctx: PolicyContext) -> Authority:
    """Whose object this is and whose material it carries, from who signed it."""
    node, sender = ctx.node_identity_id, w.sender
    name = ctx.name
    if sender.internal:
        if w.origin == node:
            return Authority(True, ("created by this node",), node)
        origins = {w.origin} | ({w.signer} if w.signer not in (w.origin, node) else set())
        return Authority(
            True, (f"{name(w.origin)}'s object, re-posted unchanged",), w.origin, frozenset(origins)
        )
    pid = sender.identity_id
    if w.signer not in (w.origin, pid):
        return _deny(
            f"signed by {name(w.signer)} for {name(w.origin)}: neither the originator nor "
            f"{sender.name} vouches for it"
        )
    if w.origin == node:
        if w.version_key in w.held:
            return Authority(True, ("this node's own version, already held",), node, copy_only=True)
        return _deny(
            f"this node's own object, in a version it does not hold: not taken from {sender.name}"
        )
    if w.origin == pid:
        return Authority(True, (f"{sender.name}'s own object",), pid, frozenset({pid}))
    # A relay: a third party's object passed on by the sender.
    t = name(w.origin)
    if w.obj_type in _DEFINITIONS and _unmarked(w.handling):
        # Definitions carry no intelligence; a receiver needs them to read what it
        # receives (their content is checked below).
        return Authority(
            True, (f"{t}'s definition relayed by {sender.name}",), w.origin,
            frozenset({w.origin, pid}),
        )  # fmt: skip
    if (w.object_id, w.origin, node) not in ctx.granted:
        return _deny(
            f"relayed by {sender.name}: {t}'s object, without {t}'s signed consent to release "
            "it to this node"
        )
    rel = w.handling.releasable_to
    if rel is None or node not in rel:
        return _deny(f"relayed by {sender.name}: {t}'s markings do not release it to this node")
    return Authority(
        True, (f"{t}'s object relayed by {sender.name} with {t}'s consent",), w.origin,
        frozenset({w.origin, pid}),
    )  # fmt: skip


def _authorship(w: Write, ctx: PolicyContext, known: frozenset[str]) -> str | None:
    """``created_by_ref`` may not name anyone but the originator (partners) or a party
    this node knows other than the originator (local clients: public feeds keep their
    authors)."""
    by = w.created_by
    if by is None or by == w.origin:
        return None
    if not w.sender.internal:
        return f"created_by_ref names {ctx.name(by)}, but the object is {ctx.name(w.origin)}'s"
    if by in known or by == ctx.node_identity_id:
        return f"a local client may not attribute {ctx.name(w.origin)}'s object to {ctx.name(by)}"
    return None


def _definition(w: Write, ctx: PolicyContext) -> str | None:
    body = w.body or {}
    if w.held_definition is not None:
        if definition_body(body) != w.held_definition:
            return f"{w.object_id} is held with other content; definitions never change"
        return None
    if w.obj_type == "marking-definition":
        problem = definition_problem(body, ignore_extensions=_SIGNATURE_ONLY)
        if problem is not None:
            return problem
        owner = scheme_owner_of(body)
        if owner == ctx.node_identity_id and not w.sender.internal:
            return f"{w.sender.name} may not define levels of this node's classification scheme"
        return None
    reserved = RESERVED_EXTENSIONS.get(w.object_id)
    if reserved is not None:
        if not w.sender.internal:
            return f"{w.object_id} is one of Liaison's own extension-definitions"
        if strip_signature(body) != reserved:
            return f"{w.object_id} is Liaison's own extension-definition; this one differs"
    return None


def authorize(w: Write, ctx: PolicyContext, *, known: frozenset[str] = frozenset()) -> Authority:
    """May this version be stored, and as whose? Default deny, one reason when refused.

    ``known``: identity ids of the parties this node knows (partners, agreement parties).

    A rule added here that reads more of a non-definition version than its signer,
    origin, owner and ``created_by_ref`` must be added to ``Authorities._key`` too (or
    make ``_key`` decline such versions): ``Authorities`` shares an allowed answer among
    the versions of a batch that have the same four facts.
    """
    got = _origin(w, ctx)
    if not got.allow:
        return got
    # Marking-definitions are bound to their content and immutable instead: whoever
    # holds the same body may send it again.
    owned = w.obj_type != "marking-definition" and not got.copy_only
    if owned and w.owner is not None and w.owner != got.originator:
        return _deny(f"{w.object_id} belongs to another originator: only it may version it")
    problem = _authorship(w, ctx, known)
    if problem is None and w.obj_type in _DEFINITIONS:
        problem = _definition(w, ctx)
    return got if problem is None else _deny(problem)


class Authorities:
    """``authorize`` for the versions one sender hands this node in one batch, under one
    context and one ``known``: the same answers, the common ones decided once.

    For an object that is not a definition, sent by a local client or by a partner as
    its own (signed by it, its originator, not this node), ``authorize`` reads nothing
    of the version but who signed it, whose it is, the owner of its id here and its
    ``created_by_ref`` (``_origin``, the owner rule, ``_authorship``: no version key,
    held versions, handling, consent or body). An allowed answer for those four facts
    is remembered and shared by the objects that have the same (an ``Authority`` is
    read only); a refusal, whose reason names the object, never is. Everything else
    -- definitions, relays, this node's own objects back from a partner -- is decided
    by ``authorize`` each time.
    """

    __slots__ = ("_common", "_ctx", "_known", "_node", "_sender")

    def __init__(self, sender: Party, ctx: PolicyContext, known: frozenset[str]) -> None:
        self._sender = sender
        self._ctx = ctx
        self._known = known
        self._node = ctx.node_identity_id
        self._common: dict[tuple[str, str, str | None, str | None], Authority] = {}

    def _key(
        self, obj_type: object, signer: object, origin: object, owner: object, created_by: object
    ) -> tuple[str, str, str | None, str | None] | None:
        """The four facts, when ``authorize`` reads nothing else (exactly ``str`` values:
        equal keys, equal facts); else None."""
        if (
            obj_type in _DEFINITIONS
            or signer.__class__ is not str
            or origin.__class__ is not str
            or not (owner is None or owner.__class__ is str)
            or not (created_by is None or created_by.__class__ is str)
        ):
            return None
        sender = self._sender
        if not sender.internal and (origin != sender.identity_id or origin == self._node):
            return None  # a relay, or this node's own object: the version decides
        return (signer, origin, owner, created_by)  # type: ignore[return-value]

    def remembered(
        self, obj_type: str, signer: str, origin: str, owner: str | None, created_by: str | None
    ) -> Authority | None:
        """``authorize``'s answer for a version with these facts, if already decided
        (allowed) for another of this batch; else None: ask with the whole ``Write``."""
        key = self._key(obj_type, signer, origin, owner, created_by)
        return None if key is None else self._common.get(key)

    def __call__(self, w: Write) -> Authority:
        """``authorize(w, ctx, known=known)``, the allowed answers for the common facts
        remembered (``remembered``)."""
        if w.sender is not self._sender:
            raise ValueError("a write of another sender than this batch's")
        got = authorize(w, self._ctx, known=self._known)
        if got.allow:
            key = self._key(w.obj_type, w.signer, w.origin, w.owner, w.created_by)
            if key is not None:
                self._common[key] = got
        return got
