"""Report versions ready to store, with predictable ids and versions (store tests)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson

from liaison.store import NewObject


def report_row(i: int, fields: dict[str, Any], search_text: str = "") -> NewObject:
    """Report ``i`` (id, version and microseconds from ``i``) holding ``fields``."""
    oid = f"report--{uuid.UUID(int=i)}"
    body = orjson.dumps({"id": oid, **fields})
    return NewObject(
        id=oid,
        type="report",
        spec_version="2.1",
        version=f"2026-01-01T00:00:00.{i:06d}Z",
        version_us=1_767_225_600_000_000 + i,
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
        handling={"h": {}},
        origins=(),
        received_from="",
        search_text=search_text,
    )
