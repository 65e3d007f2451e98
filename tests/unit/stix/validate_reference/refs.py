"""Every ``*_ref`` / ``*_refs`` in an object, wherever it is nested."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import orjson

__all__ = ["DERIVED_FROM", "MAX_DEPTH", "NOT_LINKS", "iter_refs", "links", "without_links"]

#: Nesting deeper than this is not followed (and is an error for ``validate_object``).
MAX_DEPTH = 64


def iter_refs(obj: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield ``(path, identifier)`` for every reference property in ``obj``.

    Paths use dots for dictionary keys and ``[i]`` for list items, e.g.
    ``created_by_ref``, ``object_refs[2]``, ``granular_markings[0].marking_ref``.
    Only string values are yielded (``validate_object`` reports the others). The
    deprecated ``objects`` container of observed-data holds local references
    (``"0"``, ``"1"``), not identifiers, and is skipped.
    """
    skip_objects = obj.get("type") == "observed-data"
    for key, value in obj.items():
        if skip_objects and key == "objects":
            continue
        yield from _walk(key, key, value, 1)


def _walk(key: str, path: str, value: Any, depth: int) -> Iterator[tuple[str, str]]:
    if key.endswith("_ref"):
        if isinstance(value, str):
            yield path, value
        return
    if key.endswith("_refs"):
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, str):
                    yield f"{path}[{i}]", item
        return
    if depth >= MAX_DEPTH:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str):
                yield from _walk(k, f"{path}.{k}", v, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                for k, v in item.items():
                    if isinstance(k, str):
                        yield from _walk(k, f"{path}[{i}].{k}", v, depth + 2)
            elif isinstance(item, list):
                yield from _walk("", f"{path}[{i}]", item, depth + 1)


#: References that are not intelligence links: authorship and markings.
NOT_LINKS = frozenset({"created_by_ref", "object_marking_refs", "granular_markings"})
#: The sources a derived product names (a Liaison property, a list of ids).
DERIVED_FROM = "x_liaison_derived_from"
#: Single references without which the object means nothing.
_REQUIRED = frozenset(
    {
        ("relationship", "source_ref"),
        ("relationship", "target_ref"),
        ("sighting", "sighting_of_ref"),
    }
)
#: Lists STIX requires to be non-empty, where the releasing node's identity stands in.
_PLACEHOLDER_OK = frozenset(
    {("report", "object_refs"), ("grouping", "object_refs"), ("note", "object_refs"),
     ("opinion", "object_refs")}
)  # fmt: skip
#: Lists STIX requires to be non-empty, with no meaningful stand-in.
_REQUIRED_LISTS = frozenset({("observed-data", "object_refs")})


def links(obj: Mapping[str, Any]) -> list[str]:
    """Every object id ``obj`` points at as intelligence (not authorship or markings).

    It runs at ingest for every object. The order found is the order stored (in the
    handling an audit entry binds): the top-level properties in order, then what is
    nested (``_walk_links``). Most objects hold no reference below the top level -- a
    large one such as an ATT&CK technique has hundreds of nested values and no link at
    all -- and that is seen without walking them: every key that could name a
    reference contains ``_ref``, and orjson writes keys and strings with ``_ref`` in
    them verbatim (an escape begins with a backslash and cannot make or break one), so
    when the serialised object holds no more ``_ref`` than its top-level keys, nothing
    below them does. Then only the top-level references are read, in order (the keys
    to read are found once per list of keys); otherwise, or for anything orjson does
    not serialise, the whole object is walked.
    """
    try:
        keys = tuple(obj)
        plan = _PLANS.get(keys)
        if plan is None:
            plan = _plan(keys)
        top, picks = plan
        if orjson.dumps(obj).count(b"_ref") == top:
            out: dict[str, None] = {}
            for key, kind in picks:
                value = obj[key]
                if kind == _REF:
                    if isinstance(value, str):
                        out[value] = None
                elif isinstance(value, list):  # *_refs, x_liaison_derived_from
                    for v in value:
                        if isinstance(v, str):
                            out[v] = None
            return list(out)
    except (TypeError, orjson.JSONEncodeError):
        pass  # a key that is not a string, a value orjson does not serialise
    return _walk_links(obj)


#: Per list of top-level keys: how many ``_ref`` they hold, and those to read (in order)
#: with their kind (``_REF``; ``_REFS`` for ``*_refs`` and ``x_liaison_derived_from``).
_PLANS: dict[tuple[str, ...], tuple[int, tuple[tuple[str, int], ...]]] = {}


def _plan(keys: tuple[str, ...]) -> tuple[int, tuple[tuple[str, int], ...]]:
    top = 0
    picks: list[tuple[str, int]] = []
    for key in keys:
        if key.__class__ is not str:
            raise TypeError("a key that is not a string")
        top += key.count("_ref")
        if key in NOT_LINKS:
            continue
        kind = _REFS if key == DERIVED_FROM else _kind(key)
        if kind != _PLAIN:
            picks.append((key, kind))
    plan = (top, tuple(picks))
    if len(_PLANS) < 4096 and len(keys) <= 64 and sum(map(len, keys)) <= 4096:
        _PLANS[keys] = plan  # remembered only when small: keys come from the sender
    return plan


def _walk_links(obj: Mapping[str, Any]) -> list[str]:
    """``links`` by walking every list and dictionary.

    Iterative and allocation-light. What a key is (``*_ref``, ``*_refs`` or neither) is
    looked up, not recomputed; only lists and dictionaries are walked.
    """
    out: dict[str, None] = {}
    observed = obj.get("type") == "observed-data"
    stack: list[Any] = []
    push = stack.append
    kinds = _KINDS
    for key, value in obj.items():
        kind = kinds.get(key)
        if kind is None:
            kind = _kind(key)
        if kind == _PLAIN:
            if not isinstance(value, _CONTAINERS):
                continue
            if key in NOT_LINKS or (observed and key == "objects"):
                continue  # markings; observed-data's local references
            if key == DERIVED_FROM and isinstance(value, list):
                for v in value:
                    if isinstance(v, str):
                        out[v] = None
                for v in value:
                    if isinstance(v, _CONTAINERS):
                        push(v)
            else:
                push(value)
        elif key in NOT_LINKS:
            continue  # authorship, markings
        elif kind == _REF:
            if isinstance(value, str):
                out[value] = None
        elif isinstance(value, list):
            for v in value:
                if isinstance(v, str):
                    out[v] = None
    depth = 0
    pop = stack.pop
    while stack and depth < 100_000:  # bounded: validate_object caps nesting anyway
        depth += 1
        item = pop()
        if isinstance(item, dict):
            for key, value in item.items():
                kind = kinds.get(key)
                if kind is None:
                    if not isinstance(key, str):
                        continue
                    kind = _kind(key)
                if kind == _PLAIN:
                    cls = value.__class__
                    if (
                        cls is dict
                        or cls is list
                        or (cls is not str and isinstance(value, _CONTAINERS))
                    ):
                        push(value)
                elif kind == _REF:
                    if isinstance(value, str):
                        out[value] = None
                elif isinstance(value, list):
                    for v in value:
                        if isinstance(v, str):
                            out[v] = None
        else:
            for v in item:
                if isinstance(v, _CONTAINERS):
                    push(v)
    return list(out)


_CONTAINERS = (dict, list)
_PLAIN, _REF, _REFS = 0, 1, 2
#: What each key already met is: ``*_ref``, ``*_refs`` or neither (bounded).
_KINDS: dict[str, int] = {}


def _kind(key: str) -> int:
    kind = _REF if key.endswith("_ref") else _REFS if key.endswith("_refs") else _PLAIN
    if len(_KINDS) < 20_000 and len(key) <= 250:  # a property name has 3-250 characters
        _KINDS[key] = kind
    return kind


def without_links(
    obj: Mapping[str, Any], hidden: set[str] | frozenset[str], placeholder: str
) -> dict[str, Any] | None:
    """A copy of ``obj`` that names none of ``hidden``, or None when it cannot exist.

    Optional references are removed, lists filtered (and dropped when emptied); a
    report's, grouping's, note's or opinion's emptied ``object_refs`` holds
    ``placeholder`` (the releasing node's identity: "contents withheld"). A relationship
    or sighting whose required end is hidden, an observed-data with no object left, or a
    hidden reference nested inside another property cannot be released at all.
    """
    otype = str(obj.get("type", ""))
    out = dict(obj)
    for key, value in obj.items():
        if key in NOT_LINKS:
            continue
        if key.endswith("_ref") and isinstance(value, str):
            if value in hidden:
                if (otype, key) in _REQUIRED:
                    return None
                del out[key]
        elif (key.endswith("_refs") or key == DERIVED_FROM) and isinstance(value, list):
            if any(
                isinstance(v, dict | list) and any(r in hidden for r in links({"x": v}))
                for v in value
            ):
                return None  # a link nested in an odd list: fail closed
            kept = [v for v in value if v not in hidden]
            if len(kept) == len(value):
                continue
            if kept:
                out[key] = kept
            elif (otype, key) in _PLACEHOLDER_OK:
                out[key] = [placeholder]
            elif (otype, key) in _REQUIRED_LISTS:
                return None
            else:
                del out[key]
        elif (
            isinstance(value, dict | list)
            and not (otype == "observed-data" and key == "objects")
            and any(ref in hidden for _, ref in _walk(key, key, value, 1))
        ):
            return None  # a nested link we do not rewrite: fail closed
    return out
