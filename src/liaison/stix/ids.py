"""STIX identifiers (``<type>--<UUID>``) and type names."""

from __future__ import annotations

import re
import uuid

from liaison.errors import InvalidInputError

__all__ = [
    "ID_RE",
    "TYPE_RE",
    "id_type",
    "identifier_of",
    "identifier_type",
    "identifiers_of",
    "is_identifier",
    "is_language_tag",
    "is_type_name",
    "new_id",
]

#: Type names: lowercase ASCII letters, digits and single hyphens, 3-250 characters,
#: beginning with a letter (STIX 2.1; the OASIS ``stix2`` library says the same).
TYPE_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*\Z", re.ASCII)
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
#: ``<type>--<UUID>`` with an RFC 4122 UUID (versions 1-5, variant 10xx).
ID_RE = re.compile(rf"^([a-z][a-z0-9]*(?:-[a-z0-9]+)*)--{_UUID}\Z", re.ASCII)

#: RFC 5646 language tags, syntax only: a 2-8 letter primary subtag (or the ``x-``/``i-``
#: prefixes) followed by 1-8 character subtags, e.g. ``fr``, ``ar-Latn``, ``en-GB``.
_LANG_RE = re.compile(r"^(?:[a-zA-Z]{2,8}|[xXiI](?=-))(?:-[a-zA-Z0-9]{1,8})*\Z", re.ASCII)


def is_language_tag(value: object) -> bool:
    """True if ``value`` looks like an RFC 5646 language tag (syntax only)."""
    return isinstance(value, str) and _LANG_RE.match(value) is not None


def is_type_name(value: object) -> bool:
    """True if ``value`` is a syntactically valid STIX type name."""
    return isinstance(value, str) and 3 <= len(value) <= 250 and TYPE_RE.match(value) is not None


def is_identifier(value: object) -> bool:
    """True if ``value`` is a ``<type>--<UUID>`` identifier."""
    return isinstance(value, str) and ID_RE.match(value) is not None


#: Identifiers already found valid -> their type: an object's ``created_by_ref`` and
#: markings recur, and a relationship names objects of its batch. Bounded.
_KNOWN_IDS: dict[str, str] = {}
_KNOWN_IDS_MAX = 16_384


def identifier_type(value: object) -> str | None:
    """The type of ``value`` if it is a ``<type>--<UUID>`` identifier (``ID_RE``; the
    type is what precedes the last ``--``), else None. Identifiers found are remembered."""
    if value.__class__ is str:
        known = _KNOWN_IDS.get(value)  # type: ignore[call-overload]
        if known is not None:
            return known
    if not isinstance(value, str) or ID_RE.match(value) is None:
        return None
    kind = value.rpartition("--")[0]
    if value.__class__ is str:
        if len(_KNOWN_IDS) >= _KNOWN_IDS_MAX:
            _KNOWN_IDS.clear()
        _KNOWN_IDS[value] = kind
    return kind


def identifiers_of(values: list[object], allowed: frozenset[str] | None) -> bool:
    """True if every item of ``values`` is a ``str`` (not a subclass) that
    ``identifier_type`` finds an identifier of an ``allowed`` type (any type when
    ``allowed`` is None or empty). A list of references, checked in one call."""
    known = _KNOWN_IDS.get
    for value in values:
        # ``_kind_of(value)``, its look-up inline (a call a reference saved)
        kind = known(value) if value.__class__ is str else None  # type: ignore[call-overload]
        if kind is None:
            kind = _kind_of(value)
        if kind is None or (allowed and kind not in allowed):
            return False
    return True


def identifier_of(value: object, allowed: frozenset[str] | None) -> bool:
    """``identifiers_of([value], allowed)``, without the list: one reference."""
    kind = _KNOWN_IDS.get(value) if value.__class__ is str else None  # type: ignore[call-overload]
    if kind is None:
        kind = _kind_of(value)
    return kind is not None and (not allowed or kind in allowed)


def _kind_of(value: object) -> str | None:
    """The type of the identifier ``value`` is (a ``str`` exactly), remembered; None."""
    if value.__class__ is not str:
        return None
    kind = _KNOWN_IDS.get(value)  # type: ignore[call-overload]
    return kind if kind is not None else identifier_type(value)


def id_type(identifier: str) -> str:
    """The type part of an identifier (everything before the last ``--``)."""
    return identifier.rpartition("--")[0]


def new_id(type_: str) -> str:
    """A fresh ``<type>--<uuid4>`` identifier; raises InvalidInputError for a bad type."""
    if not is_type_name(type_):
        raise InvalidInputError(f"{type_!r} is not a valid STIX type name")
    return f"{type_}--{uuid.uuid4()}"
