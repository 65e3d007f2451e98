"""The schema both backends share, written once; each backend names its own types.

Only the full-text search (migration 2) differs by more than type names: FTS5 on
SQLite, a generated ``tsvector`` on PostgreSQL -- each backend supplies it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["COPY", "Copied", "Dialect", "created_tables", "migrations"]


@dataclass(frozen=True)
class Dialect:
    seq: str  # an auto-increasing integer primary key
    bigint: str
    blob: str
    int_key: str = "INTEGER PRIMARY KEY"  # an integer primary key the writer assigns
    auto_key: str = "INTEGER PRIMARY KEY"  # one the database assigns, values may be given
    compact: str = " WITHOUT ROWID"  # a clustered table with a composite key (SQLite)
    real: str = "REAL"


_V1 = (
    """CREATE TABLE IF NOT EXISTS collections (
        id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
        alias TEXT)""",
    """CREATE TABLE IF NOT EXISTS parties (
        name TEXT PRIMARY KEY, identity_id TEXT NOT NULL, internal INTEGER NOT NULL,
        token_hash TEXT NOT NULL, public_key TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL DEFAULT '', disabled INTEGER NOT NULL DEFAULT 0)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS parties_token ON parties (token_hash)",
    """CREATE TABLE IF NOT EXISTS permissions (
        party TEXT NOT NULL REFERENCES parties(name) ON DELETE CASCADE,
        collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        can_read INTEGER NOT NULL, can_write INTEGER NOT NULL,
        PRIMARY KEY (party, collection_id))""",
    """CREATE TABLE IF NOT EXISTS objects (
        seq {seq},
        collection_id TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
        spec_version TEXT NOT NULL, version TEXT NOT NULL, version_us {bigint} NOT NULL,
        vkey TEXT NOT NULL, date_added TEXT NOT NULL, date_added_us {bigint} NOT NULL,
        is_first INTEGER NOT NULL, is_last INTEGER NOT NULL,
        body {blob} NOT NULL, sha256 TEXT NOT NULL, handling TEXT NOT NULL,
        origins TEXT NOT NULL, received_from TEXT NOT NULL DEFAULT '')""",
    "CREATE UNIQUE INDEX IF NOT EXISTS objects_version ON objects (collection_id, id, vkey)",
    "CREATE INDEX IF NOT EXISTS objects_id ON objects (collection_id, id, version_us)",
    "CREATE INDEX IF NOT EXISTS objects_added ON objects (collection_id, date_added_us)",
    "CREATE INDEX IF NOT EXISTS objects_type ON objects (collection_id, type, seq)",
    "CREATE INDEX IF NOT EXISTS objects_by_id ON objects (id, is_last)",
    """CREATE TABLE IF NOT EXISTS statuses (
        id TEXT PRIMARY KEY, collection_id TEXT NOT NULL, party TEXT NOT NULL,
        body TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS records (
        kind TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (kind, key))""",
)

#: Pages in seq order within a collection: an index range, no sort.
_V3 = ("CREATE INDEX IF NOT EXISTS objects_seq ON objects (collection_id, seq)",)

#: Objects not yet correlated (correlation runs after the storing transaction).
_V4 = (
    "ALTER TABLE objects ADD COLUMN correlated INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX IF NOT EXISTS objects_pending ON objects (seq) WHERE correlated = 0",
)


#: Who originated each object id held here (write authority, ADR 0005). A row outlives
#: the object's deletion, so an erased id cannot be taken over by someone else. The
#: originator is an identity id, '' for this node; the backfill takes the first copy's
#: sender (objects stored before this migration). On SQLite an id of this node's has a
#: row only once its rows are deleted (``SqliteStore.owners``: held without a row, '').
_V5 = (
    """CREATE TABLE IF NOT EXISTS owners (
        id TEXT PRIMARY KEY, originator TEXT NOT NULL)""",
    """INSERT INTO owners (id, originator)
        SELECT id, MIN(received_from) FROM objects GROUP BY id""",
)


#: Each partner's ledger: a Merkle log of the exchanges with that partner only, whose
#: signed heads and proofs the partner checks (ADR 0006). Keys as in ``audit_nodes``.
_V6 = (
    """CREATE TABLE IF NOT EXISTS ledger_entries (
        party TEXT NOT NULL, seq {bigint} NOT NULL, time TEXT NOT NULL,
        action TEXT NOT NULL, body {blob} NOT NULL, leaf {blob} NOT NULL,
        PRIMARY KEY (party, seq))""",
    """CREATE TABLE IF NOT EXISTS ledger_nodes (
        party TEXT NOT NULL, key {bigint} NOT NULL, hash {blob} NOT NULL,
        PRIMARY KEY (party, key))""",
    """CREATE TABLE IF NOT EXISTS ledger_heads (
        id {seq}, party TEXT NOT NULL, size {bigint} NOT NULL, root {blob} NOT NULL,
        timestamp TEXT NOT NULL, key TEXT NOT NULL, signature TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ledger_heads_party ON ledger_heads (party, id)",
)


#: The audit log, gossip with partners' heads, and the correlation index: tables that
#: ``liaison.audit`` and ``liaison.correlate`` used to create themselves (their layout
#: unchanged, so that homes made before this migration need nothing).
_V7 = (
    # audit log (liaison.audit.log): entries, object index, tree nodes, signed heads
    """CREATE TABLE IF NOT EXISTS audit_entries (
        seq {int_key}, time TEXT NOT NULL, actor TEXT NOT NULL,
        action TEXT NOT NULL, body {blob} NOT NULL, leaf {blob} NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS audit_refs (
        seq {bigint} NOT NULL, ref {bigint} NOT NULL, PRIMARY KEY (seq, ref)){compact}""",
    "CREATE TABLE IF NOT EXISTS audit_nodes (key {int_key}, hash {blob} NOT NULL)",
    """CREATE TABLE IF NOT EXISTS audit_heads (
        id {auto_key}, size {bigint} NOT NULL, root {blob} NOT NULL,
        timestamp TEXT NOT NULL, key TEXT NOT NULL, signature TEXT NOT NULL)""",
    # gossip (liaison.audit.gossip): partners' heads kept, alarms
    """CREATE TABLE IF NOT EXISTS audit_peer_heads (
        peer TEXT PRIMARY KEY, head TEXT NOT NULL, received_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS audit_alarms (
        id {auto_key}, peer TEXT NOT NULL, time TEXT NOT NULL, kind TEXT NOT NULL,
        reason TEXT NOT NULL, evidence TEXT NOT NULL,
        acknowledged_by TEXT, acknowledged_at TEXT)""",
    "CREATE INDEX IF NOT EXISTS audit_alarms_peer ON audit_alarms(peer)",
    # correlation index (liaison.correlate.index)
    """CREATE TABLE IF NOT EXISTS corr_object (
        object_id TEXT PRIMARY KEY, modified TEXT NOT NULL, source TEXT NOT NULL,
        type TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS corr_spelling (
        id {auto_key}, kind TEXT NOT NULL, name TEXT NOT NULL, UNIQUE (kind, name))""",
    """CREATE TABLE IF NOT EXISTS corr_spelling_key (
        key TEXT NOT NULL, spelling_id {bigint} NOT NULL, PRIMARY KEY (key, spelling_id)
        ){compact}""",
    """CREATE TABLE IF NOT EXISTS corr_name (
        spelling_id {bigint} NOT NULL, object_id TEXT NOT NULL,
        PRIMARY KEY (spelling_id, object_id)){compact}""",
    "CREATE INDEX IF NOT EXISTS corr_name_object ON corr_name (object_id)",
    """CREATE TABLE IF NOT EXISTS corr_observable (
        kind TEXT NOT NULL, value TEXT NOT NULL, object_id TEXT NOT NULL,
        PRIMARY KEY (kind, value, object_id)){compact}""",
    "CREATE INDEX IF NOT EXISTS corr_observable_object ON corr_observable (object_id)",
    """CREATE TABLE IF NOT EXISTS corr_saturated (
        kind TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, value)){compact}""",
    """CREATE TABLE IF NOT EXISTS corr_correlation (
        id {auto_key}, object_a TEXT NOT NULL, object_b TEXT NOT NULL,
        kind TEXT NOT NULL, rule TEXT NOT NULL, score {real} NOT NULL,
        value_a TEXT NOT NULL, value_b TEXT NOT NULL, explanation TEXT NOT NULL,
        created TEXT NOT NULL, UNIQUE (object_a, object_b, kind, value_a, value_b))""",
    "CREATE INDEX IF NOT EXISTS corr_correlation_b ON corr_correlation (object_b)",
)


#: Object versions a local client stored citing a marking-definition not held yet: each
#: is withheld from partners until the definition arrives, then its handling is
#: recomputed (issue #16). Keyed by what identifies a stored version (``seq`` changes
#: when a version is re-dated). And each collection's default handling, applied at
#: ingest to what local clients post unmarked (JSON: classification, releasable_to, tlp).
_V8 = (
    """CREATE TABLE IF NOT EXISTS awaiting_markings (
        marking_id TEXT NOT NULL, collection_id TEXT NOT NULL, id TEXT NOT NULL,
        vkey TEXT NOT NULL, PRIMARY KEY (marking_id, collection_id, id, vkey))""",
    """CREATE TABLE IF NOT EXISTS collection_defaults (
        collection_id TEXT PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
        handling TEXT NOT NULL)""",
)


#: Only the indexes a read path uses (issue #15, each proved by EXPLAIN in
#: ``tests/integration/store/test_query_plans.py``): ``objects_version`` serves every
#: look-up by collection and id, ``objects_seq`` every page (``added_after`` becomes a
#: seq), so these two cost every insert and serve nothing.
_V9 = (
    "DROP INDEX IF EXISTS objects_id",
    "DROP INDEX IF EXISTS objects_added",
)


#: Correlation leaves the per-row ``correlated`` flag for a watermark (issue #15), as the
#: full-text index did: marking a batch rewrote pages of ``objects`` (whose rows carry
#: the bodies) and kept a partial index in step on every insert. Rows up to
#: ``corr_watermark.seq`` are correlated (no row yet: none is), and so is every row
#: listed in ``corr_ahead`` -- rows above the mark that the flag said were done when
#: this migration ran (none, unless rows were correlated out of seq order); the mark
#: is the highest seq with every row at or below it correlated. Correlating a version
#: twice is not harmless (a value can saturate, a revoked object come back), so those
#: rows are remembered, not redone. The ``correlated`` column stays, unused: dropping
#: it would rewrite the whole table on SQLite.
_V11 = (
    """CREATE TABLE IF NOT EXISTS corr_watermark (
        id INTEGER PRIMARY KEY CHECK (id = 1), seq {bigint} NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS corr_ahead (seq {int_key})",
    """INSERT INTO corr_watermark (id, seq)
        SELECT 1, COALESCE((SELECT MIN(seq) FROM objects WHERE correlated = 0) - 1, MAX(seq))
        FROM objects HAVING COUNT(*) > 0""",
    """INSERT INTO corr_ahead (seq) SELECT seq FROM objects
        WHERE correlated <> 0 AND seq > (SELECT seq FROM corr_watermark WHERE id = 1)""",
    "DROP INDEX IF EXISTS objects_pending",
)


#: One index for every look-up by id (issue #15): ``objects_key`` (id first) serves the
#: look-ups by collection and id that ``objects_version`` served, the unique key, and
#: those by id alone that ``objects_by_id`` served (``is_last`` is read from the few
#: rows of an id). Ids are random, so each such index had every batch dirty pages all
#: over it: one fewer is a third less of that write traffic.
_V12 = (
    "CREATE UNIQUE INDEX IF NOT EXISTS objects_key ON objects (id, collection_id, vkey)",
    "DROP INDEX IF EXISTS objects_version",
    "DROP INDEX IF EXISTS objects_by_id",
)


def migrations(
    d: Dialect,
    search: Sequence[str],
    search_v9: Sequence[str] = (),
    search_v10: Sequence[str] = (),
    search_v13: Sequence[str] = (),
    own_v14: Sequence[str] = (),
) -> tuple[tuple[int, Sequence[str]], ...]:
    """Versioned schema changes, applied in order by ``liaison migrate``.

    ``search`` (2), ``search_v9`` (9), ``search_v10`` (10) and ``search_v13`` (13) are
    the backend's own full-text statements (10: PostgreSQL's index leaves the storing
    transaction too; 13: its documents hold the words alone, as SQLite's); ``own_v14``
    (14) the backend's own tuning (PostgreSQL: which columns ANALYZE samples).
    """

    def typed(stmts: Sequence[str]) -> tuple[str, ...]:
        return tuple(
            s.format(
                seq=d.seq,
                bigint=d.bigint,
                blob=d.blob,
                int_key=d.int_key,
                auto_key=d.auto_key,
                compact=d.compact,
                real=d.real,
            )
            for s in stmts
        )

    return (
        (1, typed(_V1)),
        (2, tuple(search)),
        (3, _V3),
        (4, _V4),
        (5, _V5),
        (6, typed(_V6)),
        (7, typed(_V7)),
        (8, _V8),
        (9, (*_V9, *search_v9)),
        (10, tuple(search_v10)),
        (11, typed(_V11)),
        (12, _V12),
        (13, tuple(search_v13)),
        (14, tuple(own_v14)),
    )


@dataclass(frozen=True)
class Copied:
    """How ``liaison store copy`` copies a table: in key order, resumably.

    ``resume``: a monotonic integer key a copy resumes after; ``identity``: a column
    the database numbers (its sequence is moved past the copied rows); ``always``: that
    column is ``GENERATED ALWAYS`` on PostgreSQL (copied values need overriding).
    """

    keys: tuple[str, ...]
    resume: str | None = None
    identity: str | None = None
    always: bool = False


#: Every table of the schema, parents first. A test checks that each table the
#: migrations create is here: a new table is copied, and verified, or the build fails.
COPY: dict[str, Copied] = {
    "collections": Copied(("id",)),
    "parties": Copied(("name",)),
    "collection_defaults": Copied(("collection_id",)),
    "permissions": Copied(("party", "collection_id")),
    "statuses": Copied(("id",)),
    "records": Copied(("kind", "key")),
    "objects": Copied(("seq",), "seq", "seq", always=True),
    "owners": Copied(("id",)),
    "awaiting_markings": Copied(("marking_id", "collection_id", "id", "vkey")),
    "ledger_entries": Copied(("party", "seq")),
    "ledger_nodes": Copied(("party", "key")),
    "ledger_heads": Copied(("id",), "id", "id", always=True),
    "audit_entries": Copied(("seq",), "seq"),
    "audit_refs": Copied(("ref", "seq"), "seq"),
    "audit_nodes": Copied(("key",)),
    "audit_heads": Copied(("id",), "id", "id"),
    "audit_peer_heads": Copied(("peer",)),
    "audit_alarms": Copied(("id",), "id", "id"),
    "corr_object": Copied(("object_id",)),
    "corr_spelling": Copied(("id",), "id", "id"),
    "corr_spelling_key": Copied(("key", "spelling_id")),
    "corr_name": Copied(("spelling_id", "object_id")),
    "corr_observable": Copied(("kind", "value", "object_id")),
    "corr_saturated": Copied(("kind", "value")),
    "corr_correlation": Copied(("id",), "id", "id"),
    "corr_watermark": Copied(("id",)),
    "corr_ahead": Copied(("seq",), "seq"),
}

_CREATE = re.compile(r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.I)


def created_tables() -> list[str]:
    """The tables the migrations create (not the full-text index), in creation order."""
    out: list[str] = []
    for _, statements in migrations(Dialect("", "", ""), ()):
        for statement in statements:
            m = _CREATE.match(statement)
            if m and m.group(1) not in out:
                out.append(m.group(1))
    return out
