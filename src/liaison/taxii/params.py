"""TAXII query parameters -> validated ``Filters`` and page size."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from starlette.datastructures import QueryParams

from liaison.errors import InvalidInputError
from liaison.service import Filters
from liaison.stix import parse_timestamp

__all__ = ["check_object_id", "filters_from", "limit_from"]

_KNOWN = {
    "added_after",
    "limit",
    "next",
    "match[id]",
    "match[type]",
    "match[version]",
    "match[spec_version]",
}
_TYPE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*\Z")
_ID = re.compile(
    r"^[a-z0-9]+(-[a-z0-9]+)*--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
    r"-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_VALUES = 1000


def _us(ts: str, what: str) -> int:
    try:
        return (parse_timestamp(ts) - _EPOCH) // timedelta(microseconds=1)
    except (InvalidInputError, ValueError) as exc:  # ValueError: a year datetime refuses (0000)
        raise InvalidInputError(f"{what}: {ts!r} is not a STIX timestamp") from exc


def _values(params: QueryParams, key: str) -> tuple[str, ...]:
    out: list[str] = []
    for raw in params.getlist(key):
        out.extend(v.strip() for v in raw.split(",") if v.strip())
    if len(out) > _MAX_VALUES:
        raise InvalidInputError(f"{key}: at most {_MAX_VALUES} values")
    return tuple(out)


def check_object_id(object_id: str) -> str:
    if not _ID.match(object_id):
        raise InvalidInputError(f"{object_id!r} is not a STIX identifier")
    return object_id


def filters_from(params: QueryParams, *, allow: set[str] | None = None) -> Filters:
    for key in params:
        if key not in _KNOWN:
            raise InvalidInputError(f"unknown query parameter {key!r}")
        if allow is not None and key not in allow:
            raise InvalidInputError(f"query parameter {key!r} is not supported here")
    added = params.getlist("added_after")
    if len(added) > 1:
        raise InvalidInputError("added_after may be given once")
    ids = _values(params, "match[id]")
    for i in ids:
        check_object_id(i)
    types = _values(params, "match[type]")
    for t in types:
        if not _TYPE.match(t):
            raise InvalidInputError(f"match[type]: {t!r} is not a STIX type")
    versions: list[str] = []
    stamps: list[int] = []
    for v in _values(params, "match[version]"):
        if v in ("first", "last", "all"):
            versions.append(v)
        else:
            stamps.append(_us(v, "match[version]"))
            versions.append("timestamp")
    spec = _values(params, "match[spec_version]")
    for s in spec:
        if s not in ("2.0", "2.1"):
            raise InvalidInputError(f"match[spec_version]: unknown version {s!r}")
    return Filters(
        added_after_us=_us(added[0], "added_after") if added else None,
        ids=ids,
        types=types,
        versions=tuple(versions) or ("last",),
        version_us=tuple(stamps),
        spec_versions=spec,
    )


def limit_from(params: QueryParams, *, default: int, maximum: int) -> int:
    raw = params.get("limit")
    if raw is None:
        return default
    try:
        n = int(raw)
    except ValueError as exc:
        raise InvalidInputError(f"limit: {raw!r} is not a whole number") from exc
    if n < 1:
        raise InvalidInputError("limit must be at least 1")
    return min(n, maximum)
