"""Helpers for the audit tests (imported by ``conftest.py`` and the test modules)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

from liaison.audit import AuditEntry
from liaison.store.db import SqliteDb
from liaison.store.sqlite import create_tables

MakeEntries = Callable[..., list[AuditEntry]]


def open_db(path: Path | str) -> SqliteDb:
    """As the node's store opens it: autocommit mode, WAL, explicit transactions, and
    the store's tables (created by the store's schema, never by the audit module)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit_entries'").fetchone() is None:
        create_tables(conn)
    return SqliteDb(conn)


def stix_id(kind: str, n: int) -> str:
    return f"{kind}--{uuid.UUID(int=n)}"
