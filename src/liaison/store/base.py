"""The one ``Store`` interface: every table the node keeps, behind one class.

Its public methods are written once, over a small dialect seam (``liaison.store.core``),
in parts by responsibility: ``ObjectStore`` (object versions), ``PartyStore``
(collections, parties, permissions), ``RecordStore`` (status resources and small
records) and ``HandlingStore`` (versions awaiting a marking-definition, collections'
default handling). A backend (``SqliteStore``, ``PostgresStore``) supplies only the hooks. Every
table is created by the migrations of ``liaison.store.schema``; the audit log and the
correlation index reach their rows through ``Store.connection()`` (``liaison.db.Db``).
"""

from __future__ import annotations

from liaison.store.core import O_COLUMNS, OBJECT_COLUMNS, format_us, now_us
from liaison.store.handling import HandlingStore
from liaison.store.objects import ObjectStore
from liaison.store.parties import PartyStore
from liaison.store.records import RecordStore

__all__ = ["OBJECT_COLUMNS", "O_COLUMNS", "Store", "format_us", "now_us"]


class Store(ObjectStore, PartyStore, RecordStore, HandlingStore):
    """Collections, parties, object versions, status resources and small records."""
