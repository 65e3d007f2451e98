"""Checks of the common properties that hold structure -- external references, granular
markings, extensions -- and of encoded (``*_hex``, ``*_bin``) values.

Used by ``liaison.stix.validate`` (every reason) and ``liaison.stix.fastpath`` (is there
any?). Each appends its reasons to ``out``; strict findings are ``rules.Strict``.
"""

from __future__ import annotations

import re
from typing import Any

from liaison.stix._show import show
from liaison.stix.ids import ID_RE, is_language_tag
from liaison.stix.refcheck import check_nested_dict
from liaison.stix.rules import Strict as _Strict
from liaison.stix.vocab import EXTENSION_TYPES

__all__ = [
    "EXT_NAME_RE",
    "LISTS_CHECKED_ELSEWHERE",
    "PROPERTY_RE",
    "check_encoded",
    "check_extensions",
    "check_external_references",
    "check_granular_markings",
]

#: Property names: 3-250 characters, a-z, 0-9 and _.
PROPERTY_RE = re.compile(r"^[a-z0-9_]{3,250}\Z", re.ASCII)
_NAME_START_RE = re.compile(r"[a-z][a-z0-9_]{2}", re.ASCII)
#: Extension names that are not extension-definition ids: ``acme-ext``.
EXT_NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*-ext\Z", re.ASCII)
_HEX_RE = re.compile(r"^(?:[a-fA-F0-9]{2})*\Z", re.ASCII)
_BASE64_RE = re.compile(
    r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z", re.ASCII
)
#: Lists whose emptiness a check of their own reports (or allows): not an empty list as a
#: custom property is.
LISTS_CHECKED_ELSEWHERE = frozenset(
    {"labels", "external_references", "granular_markings", "kill_chain_phases", "extension_types"}
)
_EXTREF_KEYS = frozenset({"source_name", "description", "url", "hashes", "external_id"})
#: Valid property names met inside extensions (the same few in every object: a partner's
#: signature extension, for one), bounded against hostile input.
_GOOD_EXT_NAMES: set[str] = set()
_CACHE_MAX = 20_000


def check_external_references(refs: object, out: list[str]) -> None:
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


def check_granular_markings(obj: dict[str, Any], out: list[str]) -> None:
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


def check_extensions(exts: object, out: list[str]) -> None:
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
        elif EXT_NAME_RE.match(key):
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
            if PROPERTY_RE.match(key) is None and key != "id":
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
            check_encoded(f"extensions.{name}.{key}", key, value, out)


def check_encoded(path: str, key: str, value: object, out: list[str], strict: bool = False) -> None:
    if key.endswith("_hex"):
        if not isinstance(value, str) or _HEX_RE.match(value) is None:
            bad = f"{path} must be an even number of hexadecimal digits"
            out.append(_Strict(bad) if strict else bad)
    elif not isinstance(value, str) or _BASE64_RE.match(value) is None:
        bad = f"{path} must be base64 (RFC 4648)"
        out.append(_Strict(bad) if strict else bad)


def _isone_of(value: object, allowed: frozenset[str]) -> bool:
    return isinstance(value, str) and value in allowed
