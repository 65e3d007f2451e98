"""Reference properties at any depth: are they identifiers, of the right type?

Used by ``liaison.stix.validate``. What is an error and what a strict finding (a
warning at ingest) follows docs/stix.md: a reference holding anything but a string or
a number is always an error -- link removal (``liaison.stix.refs.links``) reads a
reference as a string and a list of references as a list of strings, so an identifier
hidden in anything else would escape it.
"""

from __future__ import annotations

from typing import Any

from validate_reference._show import show
from validate_reference.ids import ID_RE, identifier_type
from validate_reference.refs import MAX_DEPTH
from validate_reference.rules import Strict

__all__ = [
    "ENCODED",
    "PLAIN",
    "REF",
    "REFS",
    "check_nested",
    "check_nested_dict",
    "check_ref",
    "check_ref_list",
    "kind_of",
    "one_of",
]

# Kinds of key: plain, ``*_ref``, ``*_refs``, ``*_hex``/``*_bin``. A cache of the kind of
# nested keys already seen, bounded against hostile input.
PLAIN, REF, REFS, ENCODED = 0, 1, 2, 3
_KINDS: dict[str, int] = {}
_CACHE_MAX = 20_000
_CONTAINERS = (dict, list)


def kind_of(key: str) -> int:
    """``REF``, ``REFS``, ``ENCODED`` or ``PLAIN``, from how a property name ends."""
    if key.endswith("_ref"):
        return REF
    if key.endswith("_refs"):
        return REFS
    return ENCODED if key.endswith(("_hex", "_bin")) else PLAIN


def _not_id(path: str, value: object) -> str:
    return f"{path} {show(value)} is not an identifier (<type>--<UUID>)"


def check_ref(
    path: str,
    value: object,
    allowed: frozenset[str] | None,
    hard: bool,
    aimed: bool,
    out: list[str],
) -> None:
    """One ``*_ref`` value. ``hard``: its syntax is an error; ``aimed``: its target type.

    A container is always an error: link removal (``liaison.stix.refs.links``) reads the
    string of a reference and does not look inside anything else, so an identifier
    hidden there would reach a partner who does not receive what it names.
    """
    if isinstance(value, str):
        if ID_RE.match(value) is None:
            out.append(_not_id(path, value) if hard else Strict(_not_id(path, value)))
        elif allowed and value.rpartition("--")[0] not in allowed:
            wrong = f"{path} must point to {one_of(allowed)}, not {show(value)}"
            out.append(wrong if aimed else Strict(wrong))
    elif hard or isinstance(value, _CONTAINERS):
        out.append(_not_id(path, value))
    else:
        out.append(Strict(_not_id(path, value)))


def check_ref_list(
    path: str,
    value: object,
    allowed: frozenset[str] | None,
    hard: bool,
    aimed: bool,
    out: list[str],
    *,
    top: bool = False,
) -> None:
    """One ``*_refs`` value: a list of references (see ``_check_ref``).

    Anything but a list that holds anything but a scalar is an error (link removal reads
    lists of strings only); an empty list is an error at the top level, where the OASIS
    validator refuses it too.
    """
    if not isinstance(value, list):
        bad = f"{path} must be a non-empty list of identifiers"
        out.append(Strict(bad) if not hard and _scalar_not_str(value) else bad)
        return
    if not value:
        bad = f"{path} must be a non-empty list of identifiers"
        out.append(bad if hard or top else Strict(bad))
        return
    for i, item in enumerate(value):
        if item.__class__ is str:
            kind = identifier_type(item)
            if kind is not None and (not allowed or kind in allowed):
                continue  # the common case
        check_ref(f"{path}[{i}]", item, allowed, hard, aimed, out)


def _scalar_not_str(value: object) -> bool:
    return not isinstance(value, str | dict | list)


def check_nested(
    path: str, value: dict[str, Any] | list[Any], depth: int, out: list[str], hard: bool
) -> None:
    """References inside a nested value; ``path`` names ``value`` in the reasons.

    ``hard``: the references here are read by Liaison (granular markings): a malformed
    one is an error; elsewhere (custom properties, extensions) a warning.
    """
    if depth >= MAX_DEPTH:  # refs deeper are not followed by link removal: an error
        out.append(f"{path} is nested more than {MAX_DEPTH} levels deep")
        return
    if isinstance(value, dict):
        check_nested_dict(path, -1, value, depth, out, hard)
        return
    for i, item in enumerate(value):
        if isinstance(item, _CONTAINERS):
            if isinstance(item, dict):  # the common case (external_references, ...)
                check_nested_dict(path, i, item, depth + 1, out, hard)
            else:
                check_nested(f"{path}[{i}]", item, depth + 1, out, hard)


def check_nested_dict(
    parent: str, index: int, value: dict[str, Any], depth: int, out: list[str], hard: bool
) -> None:
    """Like _check_nested for a dictionary at ``parent`` (item ``index`` if >= 0).

    The path string is only built when needed: most nested dictionaries hold no error.
    """
    if depth >= MAX_DEPTH:
        out.append(f"{_path(parent, index)} is nested more than {MAX_DEPTH} levels deep")
        return
    kinds = _KINDS
    for key, item in value.items():
        kind = kinds.get(key)
        if kind is None:
            if not isinstance(key, str):
                continue
            kind = kind_of(key)
            if len(kinds) < _CACHE_MAX:
                kinds[key] = kind
        if kind == REF:
            if not isinstance(item, str) or ID_RE.match(item) is None:
                check_ref(f"{_path(parent, index)}.{key}", item, None, hard, False, out)
        elif kind == REFS:
            check_ref_list(f"{_path(parent, index)}.{key}", item, None, hard, False, out)
        elif isinstance(item, _CONTAINERS):
            check_nested(f"{_path(parent, index)}.{key}", item, depth + 1, out, hard)


def _path(parent: str, index: int) -> str:
    return parent if index < 0 else f"{parent}[{index}]"


def one_of(types: frozenset[str]) -> str:
    """``type`` or ``one of a, b`` for a reason text."""
    names = sorted(types)
    return names[0] if len(names) == 1 else "one of " + ", ".join(names)
