"""TAXII 2.1 media types and content negotiation."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from liaison.errors import NotAcceptableError, UnsupportedMediaTypeError

__all__ = ["STIX", "TAXII", "check_accept", "check_content_type", "json_response"]

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"


def _parse(value: str) -> list[tuple[str, dict[str, str]]]:
    out = []
    for part in value.split(","):
        bits = [b.strip() for b in part.split(";")]
        if not bits[0]:
            continue
        params = {}
        for b in bits[1:]:
            if "=" in b:
                k, v = b.split("=", 1)
                params[k.strip().lower()] = v.strip().strip('"')
        out.append((bits[0].lower(), params))
    return out


def check_accept(accept: str | None) -> None:
    """Raise NotAcceptableError unless the client accepts TAXII 2.1 JSON."""
    if not accept:
        return
    for mtype, params in _parse(accept):
        if params.get("q") in ("0", "0.0", "0.00", "0.000"):
            continue
        if mtype in ("*/*", "application/*"):
            return
        if mtype == "application/taxii+json" and params.get("version", "2.1") == "2.1":
            return
    raise NotAcceptableError(f"this server answers only {TAXII}; the request accepts {accept!r}")


def check_content_type(content_type: str | None) -> None:
    """Raise UnsupportedMediaTypeError unless the body is TAXII 2.1 JSON."""
    parsed = _parse(content_type or "")
    if len(parsed) == 1:
        mtype, params = parsed[0]
        if mtype == "application/taxii+json" and params.get("version", "2.1") == "2.1":
            return
    raise UnsupportedMediaTypeError(
        f"the body must be {TAXII}, not {content_type or 'unspecified'!r}"
    )


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A TAXII JSON answer (``application/taxii+json;version=2.1``)."""
    return Response(orjson.dumps(body), status_code=status, media_type=TAXII, headers=headers)
