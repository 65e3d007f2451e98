"""Validate one STIX 2.1 object as it crosses the boundary.

``validate_object`` never raises: it returns one readable reason per problem, ``[]``
when the object is valid. Unknown properties and custom object types are accepted when
their common properties are right (they are kept, never stripped). Per-type rules live
in ``liaison.stix.rules``; the tables in ``liaison.stix.vocab``.

Some findings are *strict*: rules of STIX 2.1 the OASIS ``stix2-validator`` does not
enforce at its default strictness and on which nothing in Liaison's safety depends
(a custom ``*_ref`` holding ``""``, a reference in an SCO to the wrong type, a property
name inside an extension). Given a ``warnings`` list, ``validate_object`` puts them
there instead of failing the object; docs/stix.md lists which checks stay errors, and
why.

Most objects received are well formed: ``liaison.stix.fastpath.plainly_valid`` recognises
those first, without wording a reason; the checks here then run only for the others,
with the same verdict either way (tests/unit/stix/test_stix_validate_equivalence.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liaison.stix._show import show
from liaison.stix.commons import (
    LISTS_CHECKED_ELSEWHERE,
    PROPERTY_RE,
    check_encoded,
    check_extensions,
    check_external_references,
    check_granular_markings,
)
from liaison.stix.fastpath import plainly_valid
from liaison.stix.ids import TYPE_RE, identifier_type, is_language_tag
from liaison.stix.refcheck import (
    PLAIN,
    REF,
    REFS,
    check_nested,
    check_ref,
    check_ref_list,
    kind_of,
)
from liaison.stix.rules import CHECKED_REFS, SAFETY_REFS, check_type_rules
from liaison.stix.rules import Strict as _Strict
from liaison.stix.timestamps import compare_timestamps, is_millis_timestamp, is_timestamp
from liaison.stix.vocab import (
    META_TYPES,
    PROPERTY_KINDS,
    REF_TARGETS,
    RESERVED_PROPERTIES,
    SCO_TYPES,
    SDO_TYPES,
    SRO_TYPES,
)

__all__ = ["MAX_REASONS", "object_version", "validate_object"]

#: At most this many reasons are returned; the last one then counts the others.
MAX_REASONS = 50

_NO_TARGETS: dict[str, frozenset[str]] = {}
_NO_KINDS: dict[str, str] = {}
_SKIP = frozenset({"external_references"})
_SKIP_OBSERVED = frozenset({"external_references", "objects"})
_SKIP_SCO: frozenset[str] = frozenset()
_COMMON_TARGETS = REF_TARGETS["*"]
_NO_REFS: frozenset[str] = frozenset()


# Kinds of key (``liaison.stix.refcheck``). A cache of the kind of the valid top-level
# names already seen, bounded against hostile input.
_PLAIN, _REF, _REFS = PLAIN, REF, REFS
_GOOD_NAMES: dict[str, int] = {"id": _PLAIN, "type": _PLAIN}
_CACHE_MAX = 20_000
_CONTAINERS = (dict, list)

# Categories: which common properties are required.
_SDO, _SCO, _MARKING, _CUSTOM = "sdo", "sco", "marking", "custom"


def object_version(obj: Mapping[str, Any]) -> str | None:
    """The TAXII version of an object: ``modified``, else ``created``, else None."""
    value = obj.get("modified")  # unrolled: it runs several times per object stored
    if isinstance(value, str):
        return value
    value = obj.get("created")
    return value if isinstance(value, str) else None


def validate_object(obj: object, warnings: list[str] | None = None) -> list[str]:
    """Check ``obj`` against the STIX 2.1 rules; ``[]`` when valid.

    Each reason is prefixed with the object's id when the id itself is valid. With a
    ``warnings`` list, the findings of strict checks (which ``stix2-validator`` does not
    make, and safety does not need) are appended to it and not returned; without one,
    every finding is returned.
    """
    if plainly_valid(obj):  # the common case, without a reason to word (fastpath.py)
        return []
    if not isinstance(obj, dict):
        return [f"a STIX object must be a JSON object, not {type(obj).__name__}"]
    out: list[str] = []
    type_ = obj.get("type")
    type_ok = False
    if type_ is None:
        out.append("required property 'type' is missing")
    elif not isinstance(type_, str) or not (3 <= len(type_) <= 250 and TYPE_RE.match(type_)):
        out.append(
            f"type {show(type_)} is not a valid type name "
            "(3-250 characters: a-z, 0-9 and single inner hyphens, a letter first)"
        )
    elif type_ == "bundle":
        out.append("a bundle is not a STIX object: validate the objects it carries")
    elif type_ == "action":
        out.append("type 'action' is reserved by STIX 2.1")
    else:
        type_ok = True

    id_ = obj.get("id")
    id_ok = False
    if id_ is None:
        out.append("required property 'id' is missing")
    elif not isinstance(id_, str) or identifier_type(id_) is None:
        out.append(f"id {show(id_)} is not of the form <type>--<UUID>")
    elif isinstance(type_, str) and not id_.startswith(type_ + "--"):
        out.append(f"id {show(id_)} does not start with its type '{type_}--'")
    else:
        id_ok = True

    if type_ok:
        assert isinstance(type_, str)
        category = _category(type_, obj)
        _check_common(obj, category, out)
        _check_properties(obj, type_, category, out)
        if category == _MARKING and id_ok:
            marks = obj.get("object_marking_refs")
            if isinstance(marks, list) and id_ in marks:
                out.append("a marking-definition must not mark itself in object_marking_refs")
        check_type_rules(obj, type_, out)
    else:
        _check_properties(obj, "", _CUSTOM, out)

    if warnings is not None and out:
        strict = [str(r) for r in out if isinstance(r, _Strict)]
        out = [r for r in out if not isinstance(r, _Strict)]
        warnings.extend(_finish(strict, id_ if id_ok else None))
    return _finish(out, id_ if id_ok else None)


def _finish(out: list[str], id_: object) -> list[str]:
    """At most ``MAX_REASONS`` plain strings, prefixed with the id when it is valid."""
    if not out:
        return out
    out = [str(r) for r in out]
    if len(out) > MAX_REASONS:
        hidden = len(out) - MAX_REASONS + 1
        out[MAX_REASONS - 1 :] = [f"... and {hidden} more problems"]
    if out and id_ is not None:
        return [f"{id_}: {reason}" for reason in out]
    return out


def _category(type_: str, obj: dict[str, Any]) -> str:
    if type_ in SDO_TYPES or type_ in SRO_TYPES:
        return _SDO
    if type_ in SCO_TYPES:
        return _SCO
    if type_ in META_TYPES:
        return _MARKING if type_ == "marking-definition" else _SDO
    # Custom type: an extension may say what it is; otherwise accept either shape.
    exts = obj.get("extensions")
    if isinstance(exts, dict):
        for ext in exts.values():
            if isinstance(ext, dict):
                kind = ext.get("extension_type")
                if kind == "new-sdo" or kind == "new-sro":
                    return _SDO
                if kind == "new-sco":
                    return _SCO
    return _CUSTOM


def _check_common(obj: dict[str, Any], category: str, out: list[str]) -> None:
    spec = obj.get("spec_version")
    if "spec_version" not in obj:  # optional on SCOs; null is not absent
        if category in (_SDO, _MARKING):
            out.append("required property 'spec_version' is missing")
    elif spec != "2.1":
        out.append(f"spec_version must be '2.1', not {show(spec)}")

    if category == _SCO:
        if "defanged" in obj and not isinstance(obj["defanged"], bool):
            out.append("defanged must be a boolean")
    else:
        _check_created_modified(obj, category, out)
    if category in (_SDO, _CUSTOM):
        # Defined for SDOs and SROs only: on SCOs and markings these would be custom.
        _check_sdo_common(obj, out)
    if "external_references" in obj and category != _SCO:
        check_external_references(obj["external_references"], out)
    if "granular_markings" in obj:
        check_granular_markings(obj, out)
    if "extensions" in obj:
        check_extensions(obj["extensions"], out)


def _check_sdo_common(obj: dict[str, Any], out: list[str]) -> None:
    if "revoked" in obj and not isinstance(obj["revoked"], bool):
        out.append("revoked must be a boolean")
    if "confidence" in obj:
        conf = obj["confidence"]
        if isinstance(conf, bool) or not isinstance(conf, int) or not 0 <= conf <= 100:
            out.append(f"confidence must be an integer from 0 to 100, not {show(conf)}")
    if "lang" in obj and not is_language_tag(obj["lang"]):
        out.append(f"lang {show(obj['lang'])} is not an RFC 5646 language tag")
    if "labels" in obj:
        labels = obj["labels"]
        if (
            not isinstance(labels, list)
            or not labels
            or not all(isinstance(label, str) for label in labels)
        ):
            out.append("labels must be a non-empty list of strings")


def _check_created_modified(obj: dict[str, Any], category: str, out: list[str]) -> None:
    created: Any = obj.get("created")
    modified: Any = obj.get("modified")
    created_ok = modified_ok = False
    if created is None:
        if category != _CUSTOM:
            out.append("required property 'created' is missing")
    else:
        created_ok = _check_millis("created", created, out)
    if modified is None:
        if category == _SDO:
            out.append("required property 'modified' is missing")
    else:
        modified_ok = _check_millis("modified", modified, out)
    if created_ok and modified_ok and compare_timestamps(modified, created) < 0:
        out.append(f"modified ({modified}) is earlier than created ({created})")


def _check_millis(name: str, value: object, out: list[str]) -> bool:
    if is_millis_timestamp(value):  # the common case: one regular expression
        return True
    if not is_timestamp(value):
        out.append(f"{name} {show(value)} is not an RFC 3339 timestamp in UTC ending in 'Z'")
    else:
        out.append(f"{name} {show(value)} must be precise to at least the millisecond")
    return False


def _good(ref: str, allowed: frozenset[str] | None) -> bool:
    """An identifier of an allowed type (any type when ``allowed`` is None)."""
    kind = identifier_type(ref)
    return kind is not None and (not allowed or kind in allowed)


def _check_properties(obj: dict[str, Any], type_: str, category: str, out: list[str]) -> None:
    """Property names, reserved names and every reference, however deeply nested."""
    targets = REF_TARGETS.get(type_, _NO_TARGETS)
    # Containers not walked here: the deprecated observed-data ``objects`` (local refs,
    # not identifiers) and external_references (walked by their own check).
    skip = _SKIP_OBSERVED if type_ == "observed-data" else _SKIP_SCO if category == _SCO else _SKIP
    own_checks = PROPERTY_KINDS.get(type_) or _NO_KINDS
    checked = CHECKED_REFS.get(type_, _NO_REFS)
    sco = category == _SCO
    names = _GOOD_NAMES
    for key, value in obj.items():
        kind = names.get(key)
        if kind is None:
            if not isinstance(key, str) or PROPERTY_RE.match(key) is None:
                out.append(
                    f"property name {show(key)} is not valid (3-250 characters: a-z, 0-9 and _)"
                )
                continue
            if key in RESERVED_PROPERTIES:
                if category != _CUSTOM:
                    out.append(f"property {show(key)} is reserved by STIX 2.1")
                    continue
                kind = _PLAIN
            else:
                kind = kind_of(key)
                if len(names) < _CACHE_MAX:
                    names[key] = kind
        if kind == _PLAIN:
            if isinstance(value, _CONTAINERS):
                if not value:
                    if (
                        isinstance(value, list)
                        and key not in own_checks
                        and key not in LISTS_CHECKED_ELSEWHERE
                    ):
                        bad = f"{key} is an empty list (omit the property instead)"
                        # stix2-validator checks no custom property of a marking-definition
                        out.append(_Strict(bad) if category == _MARKING else bad)
                elif key in skip:
                    pass
                else:
                    check_nested(key, value, 1, out, key == "granular_markings")
        else:
            if kind in (_REF, _REFS):
                allowed = targets.get(key) or _COMMON_TARGETS.get(key)
                if kind == _REF and value.__class__ is str and _good(value, allowed):
                    continue  # the common case, without a call
                hard = key in SAFETY_REFS or key in checked
                # Targets are errors where the OASIS validator checks them (SDOs) or
                # where Liaison reads the identifier (SAFETY_REFS); in SCOs, warnings.
                aimed = key in SAFETY_REFS or (allowed is not None and not sco)
                if kind == _REF:
                    check_ref(key, value, allowed, hard, aimed, out)
                else:
                    check_ref_list(key, value, allowed, hard, aimed, out, top=True)
            else:
                check_encoded(key, key, value, out, category == _MARKING)
