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
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from validate_reference._show import show
from validate_reference.ids import ID_RE, TYPE_RE, identifier_type, is_language_tag
from validate_reference.refcheck import (
    PLAIN,
    REF,
    REFS,
    check_nested,
    check_nested_dict,
    check_ref,
    check_ref_list,
    kind_of,
)
from validate_reference.rules import CHECKED_REFS, SAFETY_REFS, check_type_rules
from validate_reference.rules import Strict as _Strict
from validate_reference.timestamps import compare_timestamps, is_timestamp
from validate_reference.vocab import (
    EXTENSION_TYPES,
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

_PROPERTY_RE = re.compile(r"^[a-z0-9_]{3,250}\Z", re.ASCII)
_NAME_START_RE = re.compile(r"[a-z][a-z0-9_]{2}", re.ASCII)
_EXT_NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*-ext\Z", re.ASCII)
_HEX_RE = re.compile(r"^(?:[a-fA-F0-9]{2})*\Z", re.ASCII)
_BASE64_RE = re.compile(
    r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z", re.ASCII
)
_MILLIS_RE = re.compile(r"\.[0-9]{3,}Z\Z")
_NO_TARGETS: dict[str, frozenset[str]] = {}
_NO_KINDS: dict[str, str] = {}
_EXTREF_KEYS = frozenset({"source_name", "description", "url", "hashes", "external_id"})
_SKIP = frozenset({"external_references"})
_SKIP_OBSERVED = frozenset({"external_references", "objects"})
_SKIP_SCO: frozenset[str] = frozenset()
_LISTS_CHECKED_ELSEWHERE = frozenset(
    {"labels", "external_references", "granular_markings", "kill_chain_phases", "extension_types"}
)
_COMMON_TARGETS = REF_TARGETS["*"]
_NO_REFS: frozenset[str] = frozenset()


# Kinds of key (``liaison.stix.refcheck``). A cache of the kind of the valid top-level
# names already seen, bounded against hostile input.
_PLAIN, _REF, _REFS = PLAIN, REF, REFS
_GOOD_NAMES: dict[str, int] = {"id": _PLAIN, "type": _PLAIN}
_CACHE_MAX = 20_000
#: Valid property names met inside extensions (the same few in every object: a partner's
#: signature extension, for one), bounded like ``_GOOD_NAMES``.
_GOOD_EXT_NAMES: set[str] = set()
_CONTAINERS = (dict, list)

# Categories: which common properties are required.
_SDO, _SCO, _MARKING, _CUSTOM = "sdo", "sco", "marking", "custom"


def object_version(obj: Mapping[str, Any]) -> str | None:
    """The TAXII version of an object: ``modified``, else ``created``, else None."""
    for key in ("modified", "created"):
        value = obj.get(key)
        if isinstance(value, str):
            return value
    return None


def validate_object(obj: object, warnings: list[str] | None = None) -> list[str]:
    """Check ``obj`` against the STIX 2.1 rules; ``[]`` when valid.

    Each reason is prefixed with the object's id when the id itself is valid. With a
    ``warnings`` list, the findings of strict checks (which ``stix2-validator`` does not
    make, and safety does not need) are appended to it and not returned; without one,
    every finding is returned.
    """
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
        _check_external_references(obj["external_references"], out)
    if "granular_markings" in obj:
        _check_granular_markings(obj, out)
    if "extensions" in obj:
        _check_extensions(obj["extensions"], out)


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
    if value.__class__ is str and value in _MILLIS_OK:  # often created == modified
        return True
    if not is_timestamp(value):
        out.append(f"{name} {show(value)} is not an RFC 3339 timestamp in UTC ending in 'Z'")
        return False
    assert isinstance(value, str)
    if _MILLIS_RE.search(value) is None:
        out.append(f"{name} {show(value)} must be precise to at least the millisecond")
        return False
    if value.__class__ is str and len(value) <= 40:
        if len(_MILLIS_OK) >= 4096:
            _MILLIS_OK.clear()
        _MILLIS_OK.add(value)
    return True


#: Strings already found to be timestamps precise to the millisecond (bounded).
_MILLIS_OK: set[str] = set()


def _check_external_references(refs: object, out: list[str]) -> None:
    if not isinstance(refs, list) or not refs:
        out.append("external_references must be a non-empty list")
        return
    for i, ref in enumerate(refs):
        if not isinstance(ref, dict):
            out.append(f"external_references[{i}] must be a dictionary")
            continue
        if not isinstance(ref.get("source_name"), str):
            out.append(f"external_references[{i}] needs a 'source_name' string")
        for key in ("description", "url", "external_id"):
            if key in ref and not isinstance(ref[key], str):
                out.append(f"external_references[{i}].{key} must be a string")
        if "hashes" in ref and (not isinstance(ref["hashes"], dict) or not ref["hashes"]):
            out.append(f"external_references[{i}].hashes must be a non-empty dictionary")
        if not ref.keys() <= _EXTREF_KEYS:  # custom keys may hold references
            check_nested_dict("external_references", i, ref, 2, out, False)


def _check_granular_markings(obj: dict[str, Any], out: list[str]) -> None:
    marks = obj["granular_markings"]
    if not isinstance(marks, list) or not marks:
        out.append("granular_markings must be a non-empty list")
        return
    for i, mark in enumerate(marks):
        where = f"granular_markings[{i}]"
        if not isinstance(mark, dict):
            out.append(f"{where} must be a dictionary")
            continue
        has_ref, has_lang = "marking_ref" in mark, "lang" in mark
        if has_ref == has_lang:
            out.append(f"{where} needs exactly one of 'marking_ref' and 'lang'")
        elif has_ref:
            ref = mark["marking_ref"]
            if (
                isinstance(ref, str)
                and ID_RE.match(ref)
                and not ref.startswith("marking-definition--")
            ):
                out.append(
                    f"{where}.marking_ref must point to a marking-definition, not {show(ref)}"
                )
        elif not is_language_tag(mark["lang"]):
            out.append(f"{where}.lang {show(mark['lang'])} is not an RFC 5646 language tag")
        selectors = mark.get("selectors")
        if (
            not isinstance(selectors, list)
            or not selectors
            or not all(isinstance(s, str) and s for s in selectors)
        ):
            out.append(f"{where}.selectors must be a non-empty list of strings")
            continue
        for selector in selectors:
            if not _selector_resolves(obj, selector):
                out.append(f"{where}: selector {show(selector)} does not select a property")


def _selector_resolves(obj: dict[str, Any], selector: str) -> bool:
    node: Any = obj
    for step in selector.split("."):
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif (
            isinstance(node, list)
            and step.isascii()
            and step.isdigit()
            and len(step) < 10
            and int(step) < len(node)
        ):
            node = node[int(step)]
        else:
            return False
    return True


def _check_extensions(exts: object, out: list[str]) -> None:
    if not isinstance(exts, dict) or not exts:
        out.append("extensions must be a non-empty dictionary")
        return
    for key, ext in exts.items():
        if not isinstance(key, str):
            out.append(f"extension key {show(key)} must be a string")
        elif key.startswith("extension-definition--"):
            if ID_RE.match(key) is None:
                out.append(f"extension key {show(key)} is not a valid extension-definition id")
            elif not isinstance(ext, dict):
                out.append(f"extension {show(key)} must be a dictionary")
            elif "extension_type" not in ext:
                out.append(f"extension {show(key)} needs an 'extension_type'")
            elif not _isone_of(ext["extension_type"], EXTENSION_TYPES):
                out.append(
                    f"extension {show(key)} has unknown extension_type "
                    f"{show(ext['extension_type'])}"
                )
            else:
                _check_extension_properties(key, ext, out)
        elif _EXT_NAME_RE.match(key):
            if not isinstance(ext, dict) or not ext:
                out.append(f"extension {show(key)} must be a non-empty dictionary")
            else:
                _check_extension_properties(key, ext, out)
        else:
            out.append(
                f"extension key {show(key)} is neither an extension-definition id "
                "nor a '*-ext' name"
            )


def _check_extension_properties(name: str, ext: dict[str, Any], out: list[str]) -> None:
    """Extension properties follow the rules of top-level properties."""
    good = _GOOD_EXT_NAMES
    for key, value in ext.items():
        if key.__class__ is not str or key not in good:
            if not isinstance(key, str):
                out.append(f"extensions.{name}: property name {show(key)} is not a string")
                continue
            if _PROPERTY_RE.match(key) is None and key != "id":
                bad = (
                    f"extensions.{name}: property name {show(key)} is not valid "
                    "(3-250 characters: a-z, 0-9 and _)"
                )
                # stix2-validator only checks how the name starts (its pattern is not
                # anchored at the end): a name it accepts is a warning here.
                out.append(_Strict(bad) if _NAME_START_RE.match(key) else bad)
                continue
            if key.__class__ is str and len(good) < _CACHE_MAX:
                good.add(key)
        if isinstance(value, list) and not value:
            out.append(f"extensions.{name}.{key} is an empty list (omit the property instead)")
        elif key.endswith(("_hex", "_bin")):
            _check_encoded(f"extensions.{name}.{key}", key, value, out)


def _good(ref: str, allowed: frozenset[str] | None) -> bool:
    """An identifier of an allowed type (any type when ``allowed`` is None)."""
    kind = identifier_type(ref)
    return kind is not None and (not allowed or kind in allowed)


def _check_encoded(
    path: str, key: str, value: object, out: list[str], strict: bool = False
) -> None:
    if key.endswith("_hex"):
        if not isinstance(value, str) or _HEX_RE.match(value) is None:
            bad = f"{path} must be an even number of hexadecimal digits"
            out.append(_Strict(bad) if strict else bad)
    elif not isinstance(value, str) or _BASE64_RE.match(value) is None:
        bad = f"{path} must be base64 (RFC 4648)"
        out.append(_Strict(bad) if strict else bad)


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
            if not isinstance(key, str) or _PROPERTY_RE.match(key) is None:
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
                        and key not in _LISTS_CHECKED_ELSEWHERE
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
                _check_encoded(key, key, value, out, category == _MARKING)


def _isone_of(value: object, allowed: frozenset[str]) -> bool:
    return isinstance(value, str) and value in allowed
