"""Helpers for the audit tests (imported by ``conftest.py`` and the test modules)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

from liaison.audit import AuditEntry

MakeEntries = Callable[..., list[AuditEntry]]


def open_db(path: Path) -> sqlite3.Connection:
    """As the node's store opens it: autocommit mode, WAL, explicit transactions."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def stix_id(kind: str, n: int) -> str:
    return f"{kind}--{uuid.UUID(int=n)}"
