"""SQLite backend: one file in WAL mode, one connection per live thread.

A server's worker threads come and go (AnyIO ends a thread idle for ten seconds); the
connection of a thread that has ended is handed to the next thread that needs one, so
the connections -- each with its page cache -- number at most the threads alive at
once, however long the node runs."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

from liaison.db import Db
from liaison.errors import StorageError
from liaison.store.base import O_COLUMNS, Store
from liaison.store.db import SqliteDb
from liaison.store.schema import Dialect, migrations

__all__ = ["SqliteStore", "create_tables", "open_db", "open_existing", "read_snapshot"]

#: Page cache of each connection, KiB. A serving node has one connection per thread
#: that used the store (up to AnyIO's 40 request threads) and its indexing child has
#: its own: 64 MiB each took a node past 300 MiB after a few paginated reads of a
#: large store. Pages not cached come from the operating system's file cache.
CACHE_KIB = 16384
#: The write-ahead log is copied back into the database (a checkpoint, with its fsync)
#: once it holds this many bytes of pages (256 MiB; SQLite's default is 1,000 pages).
#: A batch of 500 objects writes a few MiB, so the default checkpointed every batch or
#: two, rewriting the same index pages each time: 20-30 % of an ingest's wall time
#: (py-spy, 100k objects). At 64 MiB a checkpoint still came every ~8 batches of a
#: large store, each writing back the pages of the id index that random ids dirty all
#: over it; at 256 MiB an ingest of 100,000 objects wrote 6 % fewer bytes and read 20 %
#: fewer pages, its storing thread 58 against 66 µs an object (two pairs, issue #15).
#: The log's index in shared memory stays small (8 bytes a page, ~256 KiB); the file
#: keeps its largest size on disk. Durability is the WAL's own fsync at each commit,
#: unchanged.
WAL_CHECKPOINT_BYTES = 256 << 20
#: Page size of a database this store creates (SQLite's default is 4 KiB; a database
#: keeps the size it was created with). An object row -- its signed body, handling and
#: search text -- is 2-3 KiB: one fitted on a 4 KiB page, with the rest of the page
#: left empty, so a batch of 500 wrote ~500 pages of rows to the WAL, one frame (two
#: ``pwrite`` calls) each, plus the index pages it dirtied. On 16 KiB pages rows pack
#: five or six to a page and a commit writes a quarter of the frames: the commit's CPU
#: (the kernel's, for the ``pwrite`` calls) fell from 17-18 to 11 µs an object
#: (``bench/bench_ingest_cpu.py``, 20,000 objects; issue #15).
PAGE_BYTES = 16384

#: Full-text search: FTS5, kept in step with objects by triggers.
_V2: tuple[str, ...] = (
    "ALTER TABLE objects ADD COLUMN search_text TEXT NOT NULL DEFAULT ''",
    """CREATE VIRTUAL TABLE objects_fts USING fts5(
        search_text, content='objects', content_rowid='seq',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER objects_fts_insert AFTER INSERT ON objects BEGIN
        INSERT INTO objects_fts(rowid, search_text) VALUES (new.seq, new.search_text); END""",
    """CREATE TRIGGER objects_fts_delete AFTER DELETE ON objects BEGIN
        INSERT INTO objects_fts(objects_fts, rowid, search_text)
        VALUES ('delete', old.seq, old.search_text); END""",
)

#: Full-text indexing leaves the storing transaction (issue #15): rows up to the
#: watermark ``search_indexed.seq`` are in the index; ``index_search`` adds the rest in
#: batches (a background worker, and every search first). A deleted row leaves the
#: index only if it was in it (a 'delete' of an absent row corrupts FTS5).
_V9: tuple[str, ...] = (
    "DROP TRIGGER IF EXISTS objects_fts_insert",
    "DROP TRIGGER IF EXISTS objects_fts_delete",
    """CREATE TABLE search_indexed (
        id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL)""",
    "INSERT INTO search_indexed (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM objects",
    """CREATE TRIGGER objects_fts_delete AFTER DELETE ON objects
        WHEN old.seq <= (SELECT seq FROM search_indexed WHERE id = 1) BEGIN
        INSERT INTO objects_fts(objects_fts, rowid, search_text)
        VALUES ('delete', old.seq, old.search_text); END""",
)

MIGRATIONS = migrations(Dialect("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "BLOB"), _V2, _V9)


def create_tables(conn: sqlite3.Connection) -> None:
    """Every table of the schema, on a fresh connection (tests and tools; a node home
    gets them from ``SqliteStore.migrate``, which also records the versions). The
    full-text index of what is stored there is built by ``SqliteStore.index_search``."""
    for _, statements in MIGRATIONS:
        for statement in statements:
            conn.execute(statement)


def open_db(path: str | Path) -> SqliteDb:
    """A ``Db`` on a SQLite file (or ``":memory:"``) holding the store's tables, created
    if the file has none -- for tools, benchmarks and tests of the modules above."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    if str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode=WAL")
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'objects'").fetchone() is None:
        create_tables(conn)
    return SqliteDb(conn)


def open_existing(path: Path) -> SqliteDb:
    """A ``Db`` on an existing node database, read and written as it is (no schema
    change): for verifying a copied database outside its node home."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None, timeout=30)
        conn.execute("PRAGMA busy_timeout=30000")
    except sqlite3.Error as exc:
        raise StorageError(f"{path}: cannot open database: {exc}") from exc
    return SqliteDb(conn)


@contextlib.contextmanager
def read_snapshot(db: SqliteDb) -> Iterator[SqliteDb]:
    """``db`` in one read transaction for the block: in WAL mode every read in it sees
    the database as it was at its first read, while writers of other connections go on
    (a reader blocks no writer). The connection is read-only meanwhile (``query_only``),
    and the transaction ends with the block however it ends, so that it never holds
    back the WAL's checkpoint for longer than the block."""
    conn = db.raw
    if conn.in_transaction:
        raise StorageError("a snapshot cannot start inside a transaction")
    try:
        conn.execute("PRAGMA query_only=ON")
        conn.execute("BEGIN DEFERRED")
        # The snapshot is taken by the transaction's first read: here, not at whichever
        # statement of the caller's comes first.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        _end_snapshot(conn)
        raise StorageError(f"storage read failed: {exc}") from exc
    try:
        yield db
    finally:
        _end_snapshot(conn)


def _end_snapshot(conn: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    with contextlib.suppress(sqlite3.Error):
        conn.execute("PRAGMA query_only=OFF")


def _no_room(path: Path) -> str:
    """What SQLite reports as a disk I/O error is often a full disk: say so when it is
    (opening a WAL database creates its -wal and -shm files)."""
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        return ""
    return " (the disk is full)" if free < 1 << 20 else ""


class SqliteStore(Store):
    placeholder = "?"
    driver_errors = (sqlite3.Error,)
    integrity_errors = (sqlite3.IntegrityError,)

    def __init__(self, path: Path, *, durable: bool = True, create: bool = False) -> None:
        self.path = path
        self.durable = durable
        if not create and not path.exists():
            raise StorageError(f"{path}: database file missing")
        if create and not path.exists():
            # Intelligence lives here: owner-only, like the key. SQLite gives the -wal
            # and -shm files the mode of the database file.
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                pass
            except OSError as exc:
                raise StorageError(f"{path}: cannot create database: {exc}") from exc
        self._local = threading.local()
        # Every open connection, with the thread using it (None: free for another).
        self._all: list[tuple[weakref.ref[threading.Thread] | None, sqlite3.Connection]] = []
        self._lock = threading.Lock()
        self._connection()  # fail early on a file that is not a database

    @property
    def description(self) -> str:
        return f"sqlite:///{self.path}"

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        conn = self._reuse()
        if conn is None:
            conn = self._open()
            with self._lock:
                self._all.append((weakref.ref(threading.current_thread()), conn))
        self._local.conn = conn
        return conn

    def _reuse(self) -> sqlite3.Connection | None:
        """The connection of a thread that has ended, now this thread's, reset to the
        store's settings (a derived-index worker may have lowered ``synchronous``)."""
        me = weakref.ref(threading.current_thread())
        with self._lock:
            for i, (owner, conn) in enumerate(self._all):
                thread = owner() if owner is not None else None
                if thread is None or not thread.is_alive():
                    self._all[i] = (me, conn)
                    break
            else:
                return None
        try:
            if conn.in_transaction:  # its thread ended inside one: nothing of it stays
                conn.rollback()
            self._settings(conn)
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: cannot use database: {exc}") from exc
        return conn

    def _open(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            conn.execute("PRAGMA busy_timeout=30000")
            if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
                # A new, empty database: its page size is set before its first page
                # (journal_mode=WAL writes the header; afterwards the size is fixed).
                conn.execute(f"PRAGMA page_size={PAGE_BYTES}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            page = int(conn.execute("PRAGMA page_size").fetchone()[0])
            conn.execute(f"PRAGMA wal_autocheckpoint={max(1, WAL_CHECKPOINT_BYTES // page)}")
            self._settings(conn)
        except sqlite3.Error as exc:
            raise StorageError(
                f"{self.path}: cannot open database: {exc}{_no_room(self.path)}"
            ) from exc
        return conn

    def _settings(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA synchronous={'FULL' if self.durable else 'NORMAL'}")

    def connections(self) -> int:
        """How many connections are open (at most the threads that used the store and
        were alive at once)."""
        with self._lock:
            return len(self._all)

    def _migrations(self) -> Sequence[tuple[int, Sequence[str]]]:
        return MIGRATIONS

    @contextlib.contextmanager
    def connection(self) -> Iterator[Db]:
        conn = self._connection()
        db = getattr(self._local, "db", None)
        if db is None or db.raw is not conn:
            db = self._local.db = SqliteDb(conn)
        yield db

    @contextlib.contextmanager
    def _write(self, *, ordered: bool = True, flush: bool = True) -> Iterator[Any]:
        # What writes through ``connection()`` inside this write (the audit log, the
        # ledgers, the correlation index) opens no savepoint: a failure in it fails
        # the whole write, caught or not (``SqliteDb.flat``), so that the write keeps
        # nothing of a part that failed -- as a savepoint rolled back would have.
        with self.connection() as db, super()._write(ordered=ordered, flush=flush) as cur:
            own = cast(SqliteDb, db)
            own.flat, own.broken = True, False
            try:
                yield cur
                if own.broken:
                    raise StorageError("storage write failed: a part of it failed")
            finally:
                own.flat = False

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Db]:
        with self.connection() as db, read_snapshot(cast(SqliteDb, db)):
            self._local.snapshot = True
            try:
                yield db
            finally:
                self._local.snapshot = False

    def _in_snapshot(self) -> bool:
        return bool(getattr(self._local, "snapshot", False))

    def _search_sql(
        self, collection_ids: Sequence[str], terms: Sequence[str], recent: bool, upto: int
    ) -> tuple[str, list[Any]]:
        match = " ".join(f'"{t}"' for t in terms)  # terms are \w+ words: safe to quote
        marks = ",".join("?" * len(collection_ids))
        sql = (
            f"SELECT {O_COLUMNS} FROM objects_fts f JOIN objects o ON o.seq = f.rowid"
            f" WHERE objects_fts MATCH ? AND o.is_last = 1 AND o.collection_id IN ({marks})"
            " AND o.seq <= ?" + (" ORDER BY o.seq DESC" if recent else " ORDER BY f.rank, o.seq")
        )
        return sql, [match, *collection_ids, upto]

    @contextlib.contextmanager
    def _unflushed(self, conn: Any) -> Iterator[None]:
        # WAL with synchronous=NORMAL for this one transaction: its commit appends to
        # the WAL without an fsync; a killed process loses nothing, and the next FULL
        # commit syncs the WAL with these frames in it (a connection of a derived
        # writer is at NORMAL already and stays so).
        (level,) = conn.execute("PRAGMA synchronous").fetchone()
        if int(level) <= 1:
            yield
            return
        conn.execute("PRAGMA synchronous=NORMAL")
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.execute(f"PRAGMA synchronous={int(level)}")

    def derived_writer(self) -> None:
        # WAL with synchronous=NORMAL: a commit is not fsynced, but stays atomic; a
        # later FULL commit of another connection syncs the WAL with it.
        with contextlib.suppress(sqlite3.Error):
            self._connection().execute("PRAGMA synchronous=NORMAL")

    def index_search(self, limit: int = 2000) -> int:
        # The rows go from one table to the other inside SQLite: their texts are not
        # read into Python and bound again (issue #15).
        with self._write() as cur:
            cur.execute(
                "SELECT COUNT(*), MAX(seq) FROM (SELECT seq FROM objects"
                " WHERE seq > (SELECT seq FROM search_indexed WHERE id = 1)"
                " ORDER BY seq LIMIT ?)",
                (int(limit),),
            )
            count, top = cur.fetchone()
            if not count:
                return 0
            cur.execute(
                "INSERT INTO objects_fts (rowid, search_text) SELECT seq, search_text"
                " FROM objects WHERE seq > (SELECT seq FROM search_indexed WHERE id = 1)"
                " AND seq <= ? ORDER BY seq",
                (top,),
            )
            cur.execute("UPDATE search_indexed SET seq = ? WHERE id = 1", (top,))
        return int(count)

    # --- object and owner rows: multi-row statements ----------------------------------
    # ``ROWS_PER_STATEMENT`` rows an ``INSERT OR IGNORE`` whose rows written are counted
    # (``SqliteDb.executemany``, ``insert_new``: no statement journal, a refused row
    # still fails the write), not a statement stepped, reset and bound again a row:
    # 2.4 % fewer instructions for the whole ingest (callgrind, 4,000 objects:
    # 2,184 M -> 2,132 M; issue #15).
    def _flush(self, cur: Any, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            SqliteDb(cur.connection).executemany(self._INSERT_OBJECT, rows)
            rows.clear()

    # --- owners: a row for an id another party originated only -----------------------
    # An id held here with no ``owners`` row is this node's own ('', issue #15): the
    # row of each id a local client stored put a random key into the table's index,
    # dirtying most of its pages at every commit -- 12 % of the bytes an ingest wrote
    # at 20,000 objects. An id another party originated still gets its row; so does
    # one of this node's that is deleted (``_erasing``), so that its owner outlives
    # its rows as before. Migration 5's rows of this node's ids stay, meaning the same.
    _THEIRS = 300  # rows a statement

    def _add_owners(self, cur: Any, owners: list[tuple[str, str]]) -> None:
        theirs = [(i, o) for i, o in owners if o]
        # An id held before this write (a row older than the newest, which is this
        # write's) has its owner already: a row, or none for this node's own -- not
        # to be taken by the first row another party's version would add.
        for start in range(0, len(theirs), self._THEIRS):
            chunk = theirs[start : start + self._THEIRS]
            cur.execute(
                "INSERT OR IGNORE INTO owners (id, originator)"
                " SELECT v.column1, v.column2 FROM (VALUES "
                + ", ".join(["(?, ?)"] * len(chunk))
                + ") AS v WHERE NOT EXISTS (SELECT 1 FROM objects o WHERE o.id = v.column1"
                " AND o.date_added_us <"
                " (SELECT date_added_us FROM objects ORDER BY seq DESC LIMIT 1))",
                [x for row in chunk for x in row],
            )

    def _erasing(self, cur: Any, object_id: str) -> None:
        cur.execute("INSERT OR IGNORE INTO owners (id, originator) VALUES (?, '')", (object_id,))

    def owners(self, ids: Sequence[str]) -> dict[str, str]:
        # One statement a chunk, so one snapshot: in two (the rows, then the ids held
        # without one), a deletion of one of this node's ids committed in between
        # (its '' row written, its objects gone) made it look never held -- and a
        # partner's "first version" of it admissible (tests/unit/store/
        # test_sqlite_owners_race.py).
        out: dict[str, str] = {}
        with self._read() as cur:
            for i in range(0, len(ids), 500):
                chunk = list(ids[i : i + 500])
                marks = ",".join("?" * len(chunk))
                cur.execute(
                    f"SELECT id, originator FROM owners WHERE id IN ({marks})"
                    " UNION ALL SELECT DISTINCT o.id, '' FROM objects o"
                    f" WHERE o.id IN ({marks})"
                    " AND NOT EXISTS (SELECT 1 FROM owners w WHERE w.id = o.id)",
                    chunk + chunk,
                )
                out.update((str(k), str(v)) for k, v in cur.fetchall())
        return out

    def owner_count(self) -> int:
        with self._read() as cur:
            cur.execute(
                "SELECT (SELECT COUNT(*) FROM owners) + (SELECT COUNT(*) FROM"
                " (SELECT DISTINCT id FROM objects) AS d"
                " WHERE NOT EXISTS (SELECT 1 FROM owners w WHERE w.id = d.id))"
            )
            return int(cur.fetchone()[0])

    def _begin_write(self, conn: Any) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def close(self) -> None:
        with self._lock:
            for _, conn in self._all:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._local = threading.local()
