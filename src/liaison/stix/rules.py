"""Per-type rules: required properties, value types, timestamp order, special cases."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from liaison.stix._show import show
from liaison.stix.ids import identifier_type, is_language_tag
from liaison.stix.timestamps import compare_timestamps, is_timestamp
from liaison.stix.vocab import (
    ANY_OF,
    EXTENSION_TYPES,
    INT_RANGES,
    NOT_REL_ENDPOINT,
    NUMBER_RANGES,
    OPINION_VALUES,
    PROPERTY_KINDS,
    REQUIRED,
    SCO_TYPES,
    TIMESTAMP_ORDER,
    TIMESTAMP_PROPS,
)

__all__ = [
    "CHECKED_REFS",
    "KIND_CHECKS",
    "SAFETY_REFS",
    "SPECIAL",
    "WITH_KILL_CHAIN",
    "Strict",
    "check_kill_chain_phases",
    "check_type_rules",
    "stix_pattern_problem",
]


class Strict(str):
    """A finding of a strict check only: a STIX 2.1 rule the OASIS ``stix2-validator``
    does not enforce and Liaison's safety does not need (a warning at ingest)."""

    __slots__ = ()


#: Reference properties whose identifiers Liaison itself reads to decide who receives an
#: object: its handling (``object_marking_refs``) and its author (``created_by_ref``,
#: ADR 0005). Their syntax and target type are always errors, on every object.
SAFETY_REFS = frozenset({"created_by_ref", "object_marking_refs"})

#: The reference properties STIX 2.1 defines on SDOs, SROs and meta objects, whose
#: identifier syntax the OASIS ``stix2-validator`` checks too (errors here as well).
#: References in SCOs, in custom properties and in extensions are not checked by it:
#: a malformed one is a warning here (see docs/stix.md).
CHECKED_REFS: dict[str, frozenset[str]] = {
    "relationship": frozenset({"source_ref", "target_ref"}),
    "sighting": frozenset({"sighting_of_ref", "observed_data_refs", "where_sighted_refs"}),
    "report": frozenset({"object_refs"}),
    "grouping": frozenset({"object_refs"}),
    "note": frozenset({"object_refs"}),
    "opinion": frozenset({"object_refs"}),
    "observed-data": frozenset({"object_refs"}),
    "malware": frozenset({"operating_system_refs"}),  # sample_refs: not checked by it
    "malware-analysis": frozenset(
        {
            "host_vm_ref",
            "operating_system_ref",
            "installed_software_refs",
            "analysis_sco_refs",
            "sample_ref",
        }
    ),
    "language-content": frozenset({"object_ref"}),
}

#: Types whose ``kill_chain_phases`` STIX 2.1 defines (and checks).
WITH_KILL_CHAIN = frozenset({"attack-pattern", "indicator", "infrastructure", "malware", "tool"})
_NOT_SIGHTABLE = NOT_REL_ENDPOINT | SCO_TYPES
_RELATIONSHIP_TYPE_RE = re.compile(r"^[a-z0-9-]+\Z", re.ASCII)


def _is_strs(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


#: The value checks of ``vocab.PROPERTY_KINDS``.
KIND_CHECKS: dict[str, Callable[[object], bool]] = {
    "str": lambda v: isinstance(v, str),
    "strs": _is_strs,
    "bool": lambda v: isinstance(v, bool),
    "dict": lambda v: isinstance(v, dict) and bool(v),
}
_KIND_TEXT = {
    "str": "a string",
    "strs": "a non-empty list of strings",
    "bool": "a boolean",
    "dict": "a non-empty dictionary",
}


def check_type_rules(obj: dict[str, Any], type_: str, out: list[str]) -> None:
    """Append to ``out`` the reasons ``obj`` breaks the rules of its (known) type."""
    for prop in REQUIRED.get(type_, ()):
        if prop not in obj:
            missing = f"required property {show(prop)} is missing"
            # stix2-validator does not require an extension-definition's author
            strict = type_ == "extension-definition" and prop == "created_by_ref"
            out.append(Strict(missing) if strict else missing)
    any_of = ANY_OF.get(type_)
    if any_of is not None and not any(prop in obj for prop in any_of):
        out.append("at least one of " + ", ".join(repr(p) for p in any_of) + " is required")
    kinds = PROPERTY_KINDS.get(type_)
    if kinds is not None:
        for prop, kind in kinds.items():
            if prop in obj and not KIND_CHECKS[kind](obj[prop]):
                out.append(f"{prop} must be {_KIND_TEXT[kind]}")
    for prop, low, high in INT_RANGES.get(type_, ()):
        if prop in obj:
            value = obj[prop]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                out.append(f"{prop} must be an integer from {low} to {high}, not {show(value)}")
    for prop, flow, fhigh in NUMBER_RANGES.get(type_, ()):
        if prop in obj:
            value = obj[prop]
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not flow <= value <= fhigh
            ):
                out.append(f"{prop} must be a number from {flow:g} to {fhigh:g}, not {show(value)}")
    stamps = TIMESTAMP_PROPS.get(type_)
    if stamps is not None:
        _check_timestamps(obj, type_, stamps, out)
    if type_ in WITH_KILL_CHAIN and "kill_chain_phases" in obj:
        check_kill_chain_phases(obj["kill_chain_phases"], out)
    special = SPECIAL.get(type_)
    if special is not None:
        special(obj, out)


def _check_timestamps(
    obj: dict[str, Any], type_: str, stamps: tuple[str, ...], out: list[str]
) -> None:
    good: set[str] = set()
    for prop in stamps:
        if prop in obj:
            value = obj[prop]
            if is_timestamp(value):
                good.add(prop)
            else:
                out.append(
                    f"{prop} {show(value)} is not an RFC 3339 timestamp in UTC ending in 'Z'"
                )
    for later, earlier, strict in TIMESTAMP_ORDER.get(type_, ()):
        if later in good and earlier in good:
            order = compare_timestamps(obj[later], obj[earlier])
            if order < 0 or (strict and order == 0):
                relation = "later than" if strict else "equal to or later than"
                out.append(f"{later} must be {relation} {earlier}")


def check_kill_chain_phases(phases: object, out: list[str]) -> None:
    if not isinstance(phases, list) or not phases:
        out.append("kill_chain_phases must be a non-empty list")
        return
    for i, phase in enumerate(phases):
        if (
            not isinstance(phase, dict)
            or not isinstance(phase.get("kill_chain_name"), str)
            or not isinstance(phase.get("phase_name"), str)
        ):
            out.append(f"kill_chain_phases[{i}] needs 'kill_chain_name' and 'phase_name' strings")


def _ref_type(value: object) -> str | None:
    return identifier_type(value)


_OBJECT_PATH_RE = re.compile(r"\s*[a-z0-9-]+:[A-Za-z0-9_]", re.ASCII)
# Quoted strings (with backslash escapes) as one token, brackets, or a stray quote.
_PATTERN_TOKEN_RE = re.compile(r"'(?:[^'\\]|\\.)*'|[\[\]()]|'", re.DOTALL)


# The commonest pattern, one comparison with a string: ``[ipv4-addr:value = '...']``. The
# tokens below then are "[", the object path right after it, one quoted string and "]":
# no problem. The string is ``_PATTERN_TOKEN_RE``'s own quoted string, so it ends where
# that token would; nothing between holds a quote, a bracket or a parenthesis.
_ONE_COMPARISON_RE = re.compile(
    r"\[[a-z0-9-]+:[A-Za-z0-9_][^'\[\]()]*'(?:[^'\\]|\\.)*'\]\Z", re.ASCII | re.DOTALL
)


def stix_pattern_problem(pattern: str) -> str | None:
    """A cheap structural check of a STIX pattern (not the full grammar).

    Brackets and parentheses balanced outside quoted strings, strings terminated, at
    least one ``[object-type:property ...]`` comparison. Returns the problem or None.
    """
    if _ONE_COMPARISON_RE.match(pattern) is not None:
        return None
    depth: list[str] = []
    comparisons = 0
    for token in _PATTERN_TOKEN_RE.finditer(pattern):
        c = token.group()
        if c == "(":
            depth.append(c)
        elif c == "[":
            if "[" in depth:  # a list index inside an object path: body_multipart[*]
                depth.append("i")
            elif _OBJECT_PATH_RE.match(pattern, token.end()) is None:
                return "has a comparison without an object path (type:property)"
            else:
                comparisons += 1
                depth.append(c)
        elif c in "])":
            top = depth.pop() if depth else ""
            if (c == ")") != (top == "(") or not top:
                return "has unbalanced brackets"
        elif c == "'":
            return "has an unterminated string"
    if depth:
        return "has unbalanced brackets"
    if not comparisons:
        return "has no [object-type:property ...] comparison"
    return None


def _indicator(obj: dict[str, Any], out: list[str]) -> None:
    pattern = obj.get("pattern")
    if obj.get("pattern_type") == "stix" and isinstance(pattern, str):
        problem = stix_pattern_problem(pattern)
        if problem is not None:
            out.append(f"pattern {problem}")


def _relationship(obj: dict[str, Any], out: list[str]) -> None:
    kind_of_relation = obj.get("relationship_type")
    if isinstance(kind_of_relation, str) and not _RELATIONSHIP_TYPE_RE.match(kind_of_relation):
        out.append(f"relationship_type {show(kind_of_relation)} may only hold a-z, 0-9 and hyphens")
    for prop in ("source_ref", "target_ref"):
        kind = _ref_type(obj.get(prop))
        if kind in NOT_REL_ENDPOINT:
            out.append(f"{prop} must point to an SDO or SCO, not a {kind}")


def _sighting(obj: dict[str, Any], out: list[str]) -> None:
    kind = _ref_type(obj.get("sighting_of_ref"))
    if kind in _NOT_SIGHTABLE:
        out.append(f"sighting_of_ref must point to an SDO, not a {kind}")


def _malware(obj: dict[str, Any], out: list[str]) -> None:
    if obj.get("is_family") is True and "name" not in obj:
        out.append("name is required when is_family is true")


def _location(obj: dict[str, Any], out: list[str]) -> None:
    if ("latitude" in obj) != ("longitude" in obj):
        out.append("latitude and longitude must be given together")
    if "precision" in obj and "latitude" not in obj:
        out.append("precision requires latitude and longitude")


def _observed_data(obj: dict[str, Any], out: list[str]) -> None:
    if ("objects" in obj) == ("object_refs" in obj):
        out.append("exactly one of 'objects' and 'object_refs' is required")
    elif "objects" in obj and (not isinstance(obj["objects"], dict) or not obj["objects"]):
        out.append("objects must be a non-empty dictionary")


def _opinion(obj: dict[str, Any], out: list[str]) -> None:
    value = obj.get("opinion")
    if "opinion" in obj and not (isinstance(value, str) and value in OPINION_VALUES):
        out.append(f"opinion must be one of {', '.join(sorted(OPINION_VALUES))}, not {show(value)}")


def _marking_definition(obj: dict[str, Any], out: list[str]) -> None:
    kind = obj.get("definition_type")
    if ("definition" in obj) != (kind is not None):
        out.append("definition and definition_type must be given together")
        return
    if kind is None:
        return
    definition = obj["definition"]
    if not isinstance(kind, str):
        out.append("definition_type must be a string")
    elif not isinstance(definition, dict):
        out.append("definition must be a dictionary")
    elif kind == "tlp" and definition.get("tlp") not in ("white", "green", "amber", "red"):
        out.append("a tlp definition needs 'tlp' set to white, green, amber or red")
    elif kind == "statement" and not isinstance(definition.get("statement"), str):
        out.append("a statement definition needs a 'statement' string")


def _language_content(obj: dict[str, Any], out: list[str]) -> None:
    contents = obj.get("contents")
    if "contents" not in obj:  # absent (reported as required); null is not absent
        return
    if (
        not isinstance(contents, dict)
        or not contents
        or not all(is_language_tag(k) and isinstance(v, dict) and v for k, v in contents.items())
    ):
        out.append("contents must map language tags to non-empty dictionaries")


def _extension_definition(obj: dict[str, Any], out: list[str]) -> None:
    kinds = obj.get("extension_types")
    if "extension_types" not in obj:  # absent (reported as required); null is not absent
        return
    if (
        not isinstance(kinds, list)
        or not kinds
        or not all(isinstance(k, str) and k in EXTENSION_TYPES for k in kinds)
    ):
        out.append(
            "extension_types must be a non-empty list of " + ", ".join(sorted(EXTENSION_TYPES))
        )


def _artifact(obj: dict[str, Any], out: list[str]) -> None:
    has_payload, has_url = "payload_bin" in obj, "url" in obj
    if has_payload == has_url:
        out.append("exactly one of 'payload_bin' and 'url' is required")
    elif has_url and "hashes" not in obj:
        out.append("hashes is required when url is given")


#: The rules of a type beyond its tables, by type.
SPECIAL: dict[str, Callable[[dict[str, Any], list[str]], None]] = {
    "indicator": _indicator,
    "relationship": _relationship,
    "sighting": _sighting,
    "malware": _malware,
    "location": _location,
    "observed-data": _observed_data,
    "opinion": _opinion,
    "marking-definition": _marking_definition,
    "language-content": _language_content,
    "extension-definition": _extension_definition,
    "artifact": _artifact,
}
