"""Reading request bodies safely: size limit, strict UTF-8 JSON, nesting limit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from starlette.requests import Request

from liaison.errors import InvalidInputError, TooLargeError

__all__ = ["json_depth_ok", "read_json"]


def json_depth_ok(value: Any, max_depth: int) -> bool:
    """True when no container in ``value`` is nested deeper than ``max_depth``."""
    return not _too_deep((value,), max_depth)


def _too_deep(items: Iterable[Any], budget: int) -> bool:
    """Whether a container among ``items`` holds more than ``budget`` levels of
    containers (itself included). Recursion is bounded by the budget, and a string (most
    values) costs one look at its exact type: this runs on every request body."""
    for v in items:
        t = v.__class__
        if t is str:
            continue
        if t is dict or isinstance(v, dict):
            if budget == 0 or _too_deep(v.values(), budget - 1):
                return True
        elif (t is list or isinstance(v, list)) and (budget == 0 or _too_deep(v, budget - 1)):
            return True
    return False


async def read_json(request: Request, *, max_bytes: int, max_depth: int) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > max_bytes:
                raise TooLargeError(f"the body is over the limit of {max_bytes} bytes")
        except ValueError as exc:
            raise InvalidInputError("Content-Length is not a number") from exc
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise TooLargeError(f"the body is over the limit of {max_bytes} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw:
        raise InvalidInputError("the body is empty")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInputError(f"the body is not valid UTF-8 JSON: {exc}") from exc
    if not json_depth_ok(data, max_depth):
        raise InvalidInputError(f"the body nests deeper than {max_depth} levels")
    return data
