"""Checks of operator input, shared by the node, the CLI and the agreement spec.

Each ``check_*`` returns the value (normalised where said) or raises
``InvalidInputError`` with one line naming what is wrong.
"""

from __future__ import annotations

import difflib
import functools
import re
from urllib.parse import urlsplit

from liaison.errors import InvalidInputError, SignatureError
from liaison.signing import check_public_key
from liaison.stix.vocab import META_TYPES, SCO_TYPES, SDO_TYPES, SRO_TYPES

__all__ = [
    "check_country",
    "check_identity_id",
    "check_key",
    "check_name",
    "check_stix_type",
    "check_url",
    "countries",
]

#: The STIX 2.1 object types (custom ``x-`` types are accepted beside them).
STIX_TYPES = SDO_TYPES | SRO_TYPES | META_TYPES | SCO_TYPES
_CUSTOM_TYPE = re.compile(r"^x-[a-z0-9][a-z0-9-]{0,247}[a-z0-9]\Z")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
_IDENTITY = re.compile(r"^identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
#: ISO 3166-1 codes that are not countries: user-assigned (AA, QM-QZ, XA-XZ, ZZ) and
#: exceptionally reserved ones (EU, UN, …) that the CLDR territory list also holds.
_NOT_COUNTRIES = frozenset(
    {"AA", "ZZ", *(f"Q{c}" for c in "MNOPQRSTUVWXYZ"), *(f"X{chr(c)}" for c in range(65, 91))}
    | {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "FX", "IC", "SU", "TA", "UK", "UN"}
)


def check_name(name: str, what: str = "name") -> str:
    """``name`` if it is a valid party, user or collection alias name."""
    if not _NAME.match(name):
        raise InvalidInputError(
            f"{what} {name!r} must be 1-64 characters: letters, digits, '.', '_' or '-'"
        )
    return name


@functools.cache
def countries() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes of assigned countries (from CLDR, through Babel)."""
    from babel import Locale  # already a dependency (the console's translations)

    codes = {str(c) for c in Locale("en").territories}
    return frozenset(c for c in codes if len(c) == 2 and c.isalpha()) - _NOT_COUNTRIES


def check_country(code: str) -> str:
    """The upper-case ISO 3166-1 alpha-2 code of an assigned country, else an error."""
    upper = code.strip().upper()
    if upper not in countries():
        raise InvalidInputError(f"--country {code!r} is not an ISO 3166-1 alpha-2 country code")
    return upper


def check_identity_id(identity_id: str) -> str:
    """``identity_id`` if it is a STIX identity id (``identity--`` and a lower-case UUID)."""
    if not _IDENTITY.match(identity_id):
        raise InvalidInputError(
            f"{identity_id!r} is not a STIX identity id (identity--<uuid>, lower case)"
        )
    return identity_id


def check_url(url: str, what: str = "URL") -> str:
    """``url`` if it is an absolute http(s) URL with a host and no credentials in it."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError as exc:
        raise InvalidInputError(f"{what} {url!r} is not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(f"{what} {url!r} must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise InvalidInputError(f"{what} must not carry credentials (give them separately)")
    if any(c.isspace() for c in url):
        raise InvalidInputError(f"{what} {url!r} must not contain spaces")
    return url


def check_key(public_key_b64: str, what: str = "public key") -> str:
    """``public_key_b64`` if it is an Ed25519 public key (base64 of a curve point)."""
    try:
        return check_public_key(public_key_b64)
    except SignatureError as exc:
        raise InvalidInputError(f"{what}: {exc}") from exc


def check_stix_type(name: str) -> str:
    """``name`` if it is a STIX 2.1 object type or a custom ``x-`` type."""
    if name in STIX_TYPES or _CUSTOM_TYPE.match(name):
        return name
    close = difflib.get_close_matches(name, sorted(STIX_TYPES), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise InvalidInputError(f"unknown STIX type {name!r}{hint}")
