"""One ``Store`` interface for collections, parties, object versions and records.

Usage::

    from liaison.store import open_store
    store = open_store("sqlite:///liaison.db", home=Path("node"), create=True)
    store.migrate()
    store.collections()

Backends: ``sqlite:///FILE`` (default, WAL) and ``postgresql://…``.
"""

from __future__ import annotations

from pathlib import Path

from liaison.errors import ConfigError
from liaison.store.base import Store, format_us, now_us
from liaison.store.model import (
    VERSION_ALL,
    VERSION_FIRST,
    VERSION_LAST,
    Collection,
    NewObject,
    ObjectQuery,
    ObjectRow,
    PartyRecord,
    PendingRow,
    Permission,
    Rehandled,
    StatusRecord,
)
from liaison.store.sqlite import SqliteStore

__all__ = [
    "VERSION_ALL",
    "VERSION_FIRST",
    "VERSION_LAST",
    "Collection",
    "NewObject",
    "ObjectQuery",
    "ObjectRow",
    "PartyRecord",
    "PendingRow",
    "Permission",
    "Rehandled",
    "SqliteStore",
    "StatusRecord",
    "Store",
    "format_us",
    "now_us",
    "open_store",
]


def open_store(url: str, *, home: Path, durable: bool = True, create: bool = False) -> Store:
    if url.startswith("sqlite:///"):
        p = Path(url[len("sqlite:///") :])
        return SqliteStore(p if p.is_absolute() else home / p, durable=durable, create=create)
    if url.startswith(("postgresql://", "postgres://")):
        from liaison.store.postgres import PostgresStore

        return PostgresStore(url)
    raise ConfigError(
        f"unsupported store {url.split(':', 1)[0]!r}: use sqlite:///FILE or postgresql://…"
    )
