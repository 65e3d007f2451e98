"""The steps of an ingest before the policy: validation, a collection's default markings,
and what the TAXII status says about each object.

* ``checked``: each object is validated (``liaison.stix.validate_object``); findings of
  checks stricter than the OASIS ``stix2-validator`` are kept as warnings, not failures
  (docs/stix.md), and reported in the success's ``message``.
* ``with_default``: objects a local client posts with no markings of their own get the
  collection's default handling (``liaison.markings.defaults``) -- before signing, so the
  stored object is exactly what is served -- and the marking-definitions it cites are
  stored with them (not listed in the status: the client did not post them).
* ``Received``: successes and failures, as the TAXII status lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from liaison.errors import InvalidInputError
from liaison.signing.objects import signature_of
from liaison.stix import object_version, timestamp_us, validate_object
from liaison.stix.fastpath import plainly_valid

if TYPE_CHECKING:  # a type only: the sync's checking process imports this module and
    from liaison.markings.defaults import DefaultHandling  # no markings (docs/adr/0010)

__all__ = [
    "Defaulted",
    "Notes",
    "Received",
    "check_one",
    "checked",
    "message",
    "waiting",
    "with_default",
]

#: (id, version) -> what the node noticed about that object (warnings).
Notes = dict[tuple[str, str | None], list[str]]


@dataclass
class Received:
    """What happened to a batch of objects handed to the node."""

    successes: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    stored: list[dict[str, str]] = field(default_factory=list)  # id, version, digest
    new: int = 0
    duplicates: int = 0

    def fail(self, obj: Any, message: str) -> None:
        self.failures.append(
            _failure(obj.get("id") if isinstance(obj, dict) else None, obj, message)
        )


def checked(
    objects: list[Any], result: Received, us: Callable[[str], int] = timestamp_us
) -> tuple[list[dict[str, Any]], Notes]:
    """The valid objects (the others failed in ``result``) and their warnings.

    ``us``: ``timestamp_us`` or a function with its values and errors that remembers
    them (the caller parses each version once: it stores the microseconds)."""
    valid: list[dict[str, Any]] = []
    notes: Notes = {}
    for obj in objects:
        if check_one(obj, result, us, notes):
            valid.append(obj)
    return valid, notes


def check_one(obj: Any, result: Received, us: Callable[[str], int], notes: Notes) -> bool:
    """``checked`` of one object: True if it is valid (its warnings, if any, added to
    ``notes``), else False and it failed in ``result``. For callers that take each object
    through all its checks in turn while it is in the processor's caches."""
    warned: list[str] | None = None
    # ``validate_object`` begins with ``plainly_valid`` (no reason, no warning): asked
    # here first, one call fewer an object in the common case
    if plainly_valid(obj):  # a dict, then
        version = obj.get("modified")  # ``object_version(obj)``, its common case inline
        if version.__class__ is not str:
            version = object_version(obj)
    else:
        warned = []
        reasons = validate_object(obj, warned)
        if reasons:
            result.fail(obj, "; ".join(reasons))
            return False
        version = object_version(obj)
    if version is not None:  # on an SCO, a custom 'modified' the rules do not check
        try:
            us(version)
        except (InvalidInputError, ValueError, OverflowError) as exc:
            result.fail(obj, f"its version {version[:40]!r} is not a timestamp: {exc}")
            return False
    if warned:
        found = [f"warning: {w.removeprefix(obj['id'] + ': ')}" for w in warned]
        notes.setdefault((obj["id"], version), []).extend(found)
    return True


@dataclass(frozen=True)
class Defaulted:
    """A batch after ``with_default``: the objects (definitions added first), the ids of
    the definitions the node added, and the (id, version) of the objects it marked."""

    objects: list[dict[str, Any]]
    added: frozenset[str] = frozenset()
    marked: frozenset[tuple[str, str | None]] = frozenset()


def with_default(
    objs: list[dict[str, Any]], default: DefaultHandling | None, node_identity: str
) -> Defaulted:
    """Mark what carries no markings of its own with the collection's default.

    Objects already signed (a partner's, re-posted unchanged) keep their bytes: marking
    them would break the signature of their originator.
    """
    if default is None:
        return Defaulted(objs)
    out: list[dict[str, Any]] = []
    marked: set[tuple[str, str | None]] = set()
    for o in objs:
        if signature_of(o) is None and default.applies_to(o):
            o = default.apply(o, node_identity)
            marked.add((o["id"], object_version(o)))
        out.append(o)
    if not marked:
        return Defaulted(objs)
    posted = {o["id"] for o in objs}
    extra = [d for d in default.definitions(node_identity) if d["id"] not in posted]
    return Defaulted([*extra, *out], frozenset(d["id"] for d in extra), frozenset(marked))


def waiting(ids: Sequence[str]) -> str:
    """The note on an object stored while marking-definitions it cites are not held."""
    return (
        "withheld from partners until this node holds "
        + ", ".join(ids)
        + " (the marking-definition it cites)"
    )


def message(said: str, notes: Sequence[str]) -> str:
    """A success's message: what happened, then what the node noticed (TAXII 2.1 has no
    warnings in a status: see docs/stix.md)."""
    return f"{said}; " + "; ".join(notes) if notes else said


def _failure(oid: Any, obj: Any, message: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": oid if isinstance(oid, str) else "", "message": message}
    if isinstance(obj, dict):
        ver = obj.get("modified") or obj.get("created")
        if isinstance(ver, str):
            out["version"] = ver
    return out
