"""PostgreSQL backend: psycopg 3 with a connection pool; stateless across processes.

Writers of objects take a transaction-scoped advisory lock, so that ``seq`` order is
commit order and ``date_added`` grows strictly, whatever the number of ``liaison
serve`` processes on the same database. Nothing is cached in-process.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psycopg
import psycopg_pool
from psycopg import sql

from liaison.db import Db
from liaison.errors import StorageError
from liaison.store.base import O_COLUMNS, Store
from liaison.store.db import PgDb
from liaison.store.model import PendingRow
from liaison.store.schema import Dialect, migrations

__all__ = ["PostgresStore"]

_WRITE_LOCK = 0x4C49_4149  # "LIAI": the advisory lock of object writers
#: The lock of the writers that remove object rows (delete, re-date), taken after the
#: writers' lock, and of a correlator's check and watermark move (``mark_correlated``);
#: the full-text indexer's step holds it shared (``_INDEX_MARK``).
_REMOVE_LOCK = 0x4C49_4152  # "LIAR"
#: For this transaction only: its commit does not wait for the WAL to reach the disk.
_NO_FLUSH_WAIT = "set_config('synchronous_commit', 'off', true)"
#: For this transaction only, plans may be kept, made with sequential scans discouraged
#: (as the indexer's step, ``_INDEX_MARK``): a derived writer's transaction -- a
#: correlator's batch -- runs the same few statements again and again, each an index
#: probe or an insert, and ``force_custom_plan`` (``_configure``) planned every one of
#: them afresh: 1 ms for the check of a batch's rows (``_still_pending``, twice a batch),
#: 0.2-0.5 for each insert (issue #15, eleventh round). Said by the statement that
#: begins the transaction: no round trip of its own.
_KEPT_PLANS = (
    "set_config('plan_cache_mode', 'auto', true), set_config('enable_seqscan', 'off', true)"
)
#: The correlators' turn across processes (``correlator_turn``): a session lock.
_CORRELATOR_TURN = 0x4C49_4143  # "LIAC"

#: Full-text search: a generated tsvector (simple + French + English) and its index.
_V2: tuple[str, ...] = (
    "ALTER TABLE objects ADD COLUMN search_text TEXT NOT NULL DEFAULT ''",
    """ALTER TABLE objects ADD COLUMN search tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', search_text) || to_tsvector('french', search_text)
        || to_tsvector('english', search_text)) STORED""",
    "CREATE INDEX objects_search ON objects USING GIN (search)",
)

#: The document of a row's search text: its words, folded already, unstemmed -- the words
#: SQLite's FTS5 (``unicode61``, no stemmer) and the match of rows past the watermark
#: (``ObjectStore._unindexed_matches``) see. Until migration 13 the French and English
#: stems were added (three ``to_tsvector`` a row): 76 µs of the database's CPU an object
#: of a TAXII workload against 17 for this one (issue #15, tenth round), and a search on
#: PostgreSQL matched words that one on SQLite -- or the same one a moment earlier,
#: before the indexer passed -- did not.
_TSVECTOR = "to_tsvector('simple', {0})"

#: Full-text indexing leaves the storing transaction (issue #15), as on SQLite: three
#: tsvectors and a GIN insertion per row cost more than the rest of the insert, under
#: the writers' lock. ``objects_fts`` holds the document of every row up to the
#: watermark ``search_indexed.seq``; ``index_search`` adds the rest in batches (a
#: background worker, and every search first) without taking the writers' lock. A
#: deleted row leaves the index with it (the foreign key cascades; a trigger since
#: migration 14, ``_FORGET``). What the generated column held is kept: nothing is
#: indexed twice.
_V10: tuple[str, ...] = (
    """CREATE TABLE objects_fts (
        seq BIGINT PRIMARY KEY REFERENCES objects (seq) ON DELETE CASCADE,
        search tsvector NOT NULL)""",
    "INSERT INTO objects_fts (seq, search) SELECT seq, search FROM objects",
    """CREATE TABLE search_indexed (
        id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL)""",
    "INSERT INTO search_indexed (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM objects",
    "DROP INDEX IF EXISTS objects_search",
    "ALTER TABLE objects DROP COLUMN search",
    "CREATE INDEX objects_fts_search ON objects_fts USING GIN (search)",
)

#: Every document again, of the words alone (``_TSVECTOR``); the GIN index is built
#: afresh after the rewrite, faster than updated row by row.
_V13: tuple[str, ...] = (
    "DROP INDEX IF EXISTS objects_fts_search",
    "UPDATE objects_fts f SET search = "
    + _TSVECTOR.format("o.search_text")
    + " FROM objects o WHERE o.seq = f.seq",
    "CREATE INDEX objects_fts_search ON objects_fts USING GIN (search)",
)

#: Columns no statement filters, joins or sorts on get no planner statistics (issue
#: #15, eleventh round): ANALYZE -- the background indexer's, every 30 s while a store
#: grows (``_analyze_if_due``) -- sampled and sorted every column of up to 30,000 rows,
#: most of its cost in the bodies, texts and digests (``objects``: 350 ms of the
#: database's CPU at 20,000 rows, 120 without them). Only the statistics of these
#: columns go: what is stored, and every plan that filters on the others, stays.
_UNSAMPLED = {
    "objects": (
        "version",
        "date_added",
        "body",
        "sha256",
        "handling",
        "origins",
        "search_text",
        "correlated",
    ),
    "audit_entries": ("body", "leaf"),
    "audit_nodes": ("hash",),
}
#: A document leaves the full-text index with its row by a trigger, no longer by a
#: foreign key (issue #15, eleventh round): the key's check locked every indexed row of
#: ``objects`` (``FOR KEY SHARE``: a write of its heap page, and a WAL record, a row) --
#: 8-9 µs of the database's CPU an object, a sixth of the indexer's step. A step can
#: no longer index a row a writer is removing: it holds the removers' lock, shared
#: (``_INDEX_MARK``), and every writer that deletes object rows takes it first
#: (``_removing``), so the rows a step reads stay until it commits, and its documents
#: are there for the trigger of any later delete.
_FORGET = (
    "ALTER TABLE objects_fts DROP CONSTRAINT IF EXISTS objects_fts_seq_fkey",
    """CREATE OR REPLACE FUNCTION objects_fts_forget() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM objects_fts f USING gone g WHERE f.seq = g.seq;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER objects_fts_forget AFTER DELETE ON objects
        REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION objects_fts_forget()""",
)
_V14: tuple[str, ...] = (
    *(
        f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS 0"
        for table, columns in _UNSAMPLED.items()
        for column in columns
    ),
    *_FORGET,
)

MIGRATIONS = migrations(
    Dialect(
        seq="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        bigint="BIGINT",
        blob="BYTEA",
        int_key="BIGINT PRIMARY KEY",
        auto_key="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        compact="",
        real="DOUBLE PRECISION",
    ),
    _V2,
    search_v10=_V10,
    search_v13=_V13,
    own_v14=_V14,
)

_TERM = "to_tsquery('simple', ?)"

#: One step of the indexer: the next rows after the watermark, in seq order. Rows a
#: reader's snapshot does not hold yet are not skipped: object writers commit in seq
#: order (the writers' lock), so the rows visible form a prefix of seq.
#:
#: A row without text (a relationship, a sighting: a third of a TAXII workload) gets no
#: document: an empty ``tsvector`` matches no query, so a search finds the same rows
#: with or without it, and it cost a row, a key, a foreign-key check and a GIN entry
#: (issue #15). The watermark still moves past it (the count is of the rows passed).
_INDEX_STEP = (
    "WITH step AS (SELECT seq, search_text FROM objects"
    " WHERE seq > %s ORDER BY seq LIMIT %s),"
    " indexed AS (INSERT INTO objects_fts (seq, search)"
    f" SELECT seq, {_TSVECTOR.format('search_text')} FROM step WHERE search_text <> '')"
    " SELECT COUNT(*), MAX(seq) FROM step"  # the rows' count and the new mark, not the rows
)

#: The indexer's watermark, taken (``FOR UPDATE``) at the start of its step, then the
#: removers' lock, shared (migration 14: no writer deletes a row the step reads until
#: it commits), and the step's plans: for this transaction only, plans may be kept
#: (``auto``: ``plan_cache_mode = force_custom_plan``, ``_configure``, planned the
#: foreign key's check again for every row until migration 14, 31 µs each), and made
#: with sequential scans discouraged: a plan kept is an index probe whatever the
#: table's size when it was made (a scan chosen on a table of a few rows would stay a
#: scan as it grows -- the trap ``force_custom_plan`` avoids elsewhere). The step
#: itself reads ``objects`` by ``seq`` in order, by its primary key. The lock comes
#: second, always (the row is locked in the subquery, which PostgreSQL does not
#: flatten): a step waits for a remover holding the lock only while it holds the row,
#: never the other way round.
_INDEX_MARK = (
    "SELECT seq, set_config('plan_cache_mode', 'auto', true),"
    " set_config('enable_seqscan', 'off', true), pg_advisory_xact_lock_shared(%s)"
    " FROM (SELECT seq FROM search_indexed WHERE id = 1 FOR UPDATE) AS mark"
)

#: New object rows go in by binary COPY (issue #15: 3 µs of client CPU a row against
#: 11 for a pipelined INSERT each): the columns of ``ObjectStore._INSERT_OBJECT``.
_OBJECT_COLUMNS = (
    ("collection_id", "text"),
    ("id", "text"),
    ("type", "text"),
    ("spec_version", "text"),
    ("version", "text"),
    ("version_us", "bigint"),
    ("vkey", "text"),
    ("date_added", "text"),
    ("date_added_us", "bigint"),
    ("is_first", "integer"),
    ("is_last", "integer"),
    ("body", "bytea"),
    ("sha256", "text"),
    ("handling", "text"),
    ("origins", "text"),
    ("received_from", "text"),
    ("search_text", "text"),
)
_COPY_OBJECTS = (
    f"COPY objects ({', '.join(c for c, _ in _OBJECT_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
)
_OBJECT_TYPES = [t for _, t in _OBJECT_COLUMNS]

#: Seconds between two looks for tables whose statistics are stale (``index_search``).
_ANALYZE_EVERY = 30.0
#: Tables of the node's schema changed by more than 50 rows + 10 % since their last
#: ANALYZE (autovacuum's default ``analyze_threshold`` and ``analyze_scale_factor``).
_STALE_TABLES = (
    "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
    " WHERE s.schemaname = current_schema()"
    " AND s.n_mod_since_analyze > 50 + 0.1 * GREATEST(c.reltuples, 0)"
    " ORDER BY s.relname"
)

_PW = re.compile(r"(://[^:/@]+:)[^@]*@")


class _Taken(Exception):
    """A correlator's rows were removed or re-dated, or done by another, meanwhile."""


def _configure(conn: Any) -> None:
    """Each pool connection compresses what it writes out of line with lz4 (issue #15):
    a third of the stored bodies exceed TOAST's 2 kB, and pglz, the default, cost the
    backend 48-50 µs an object to COPY a TAXII workload's rows against 34-36 with lz4
    (the table a little smaller, too). Only the storage changes: values read back are
    the same bytes, and values written before stay as they are, readable. A server built
    without lz4 keeps pglz.

    And it plans each run of a prepared statement for its parameters and the tables as
    they are (``plan_cache_mode``): psycopg prepares a statement run five times, saving
    its parse, and PostgreSQL would then settle on a generic plan, made once and kept
    until the table is next analysed -- made on a table still small, a look-up of
    ``corr_spelling_key`` by key stayed a scan of the whole table as it grew: 15 ms a
    call against 0.5 (issue #15)."""
    conn.execute("SET plan_cache_mode = force_custom_plan")
    conn.commit()
    try:
        conn.execute("SET default_toast_compression = 'lz4'")
        conn.commit()
    except psycopg.Error:
        conn.rollback()


class PostgresStore(Store):
    placeholder = "%s"
    driver_errors = (psycopg.Error,)
    integrity_errors = (psycopg.errors.UniqueViolation,)
    correlator_blocks_writers = False

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 20) -> None:
        self.url = url
        self._held = threading.local()
        self._turn_conn: Any = None  # the connection that holds the correlators' turn
        self._turn_lock = threading.Lock()
        self._analyze_lock = threading.Lock()
        self._analyze_next = 0.0  # time.monotonic() of the next look for stale statistics
        try:  # one plain connection first: a missing database or server is one clear line
            psycopg.connect(url, connect_timeout=10).close()
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split()).removeprefix("connection failed: ")
            raise StorageError(f"{self.description}: cannot connect: {reason}") from exc
        try:
            self.pool = psycopg_pool.ConnectionPool(
                url,
                min_size=min_size,
                max_size=max_size,
                open=True,
                timeout=30,
                kwargs={"autocommit": False},
                configure=_configure,
            )
            self.pool.wait(timeout=30)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            raise StorageError(f"{self.description}: cannot connect: {exc}") from exc

    @property
    def description(self) -> str:
        return _PW.sub(r"\1***@", self.url)

    def _migrations(self) -> Sequence[tuple[int, Sequence[str]]]:
        return MIGRATIONS

    def _connection(self) -> Any:
        conn = getattr(self._held, "conn", None)
        if conn is None:
            raise StorageError("no connection checked out on this thread")
        return conn

    @contextlib.contextmanager
    def connection(self) -> Iterator[Db]:
        owned = getattr(self._held, "conn", None) is None
        with self._checkout() as conn:
            try:
                # Inside an object write the lock is held already: no statement to take it.
                # A correlator's batch (``mark_correlated``) writes without it, too.
                locked = getattr(self._held, "locked", False) or getattr(
                    self._held, "unlocked_derived", False
                )
                yield PgDb(conn, _WRITE_LOCK, locked=locked)
                if owned:
                    conn.commit()
            except BaseException:
                if owned:
                    with contextlib.suppress(Exception):
                        conn.rollback()
                raise

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Db]:
        """A transaction of its own, REPEATABLE READ and READ ONLY: every statement in
        it sees the snapshot taken by its first. The store's reads of this thread
        inside the block run in it (a nested checkout); it ends with the block."""
        if getattr(self._held, "conn", None) is not None:
            raise StorageError("a snapshot cannot start inside a transaction of this thread")
        with self._checkout() as conn:
            try:
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield PgDb(conn, _WRITE_LOCK)
                # It wrote nothing: COMMIT ends it as ROLLBACK would, and keeps what
                # psycopg prepared on the connection (``_read``). A failed one rolls back.
                if conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
                    conn.rollback()
                else:
                    conn.commit()
            except psycopg.Error as exc:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise StorageError(f"storage read failed: {exc}") from exc
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise

    @contextlib.contextmanager
    def _write(self, *, ordered: bool = True, flush: bool = True) -> Iterator[Any]:
        try:
            with super()._write(ordered=ordered, flush=flush) as cur:
                yield cur
        finally:
            self._held.locked = False  # committed or rolled back: the lock is gone

    @contextlib.contextmanager
    def _read(self) -> Iterator[Any]:
        """A read runs each of its statements in a transaction of its own (autocommit,
        for the block): no BEGIN and no COMMIT, two round trips and ~90 µs of the
        database's CPU a read, of which an ingest makes several per batch -- a
        correlator's look at its backlog, a request's party, a policy's owners
        (issue #15, ninth round). It sees what it saw before: at READ COMMITTED each
        statement took a snapshot of its own already. The store's reads write nothing.
        Nothing is rolled back either, so psycopg keeps what it prepared on the
        connection (a ROLLBACK made it forget every statement, issue #15). A read inside
        a transaction of this thread's (a nested checkout, a ``snapshot``) leaves that
        transaction to its owner."""
        nested = getattr(self._held, "conn", None) is not None
        with self._checkout() as conn:
            if not nested:
                conn.autocommit = True  # idle, as the pool hands connections out
            cur = conn.cursor(binary=getattr(self._held, "binary", False))
            try:
                yield cur
            except self.driver_errors as exc:
                raise StorageError(f"storage read failed: {exc}") from exc
            finally:
                cur.close()
                if not nested:
                    self._held.locked = False  # no transaction: no lock
                    try:
                        conn.autocommit = False  # as the pool's other users expect it
                    except psycopg.Error:
                        conn.close()  # not idle (interrupted): the pool drops it

    @contextlib.contextmanager
    def _checkout(self) -> Iterator[Any]:
        if getattr(self._held, "conn", None) is not None:  # nested: reuse
            yield self._held.conn
            return
        try:
            with self.pool.connection() as conn:
                self._held.conn = conn
                try:
                    yield conn
                finally:
                    self._held.conn = None
                    self._held.locked = False  # the transaction ended with the checkout
        except psycopg_pool.PoolTimeout as exc:
            raise StorageError(f"{self.description}: no free connection: {exc}") from exc

    def _search_sql(
        self, collection_ids: Sequence[str], terms: Sequence[str], recent: bool, upto: int
    ) -> tuple[str, list[Any]]:
        query = " && ".join([_TERM] * len(terms))
        marks = ",".join("?" * len(collection_ids))
        sql = (
            f"SELECT {O_COLUMNS} FROM objects_fts f JOIN objects o ON o.seq = f.seq"
            f" WHERE f.search @@ ({query}) AND o.is_last = 1 AND o.collection_id IN ({marks})"
            " AND o.seq <= ?"
        )
        targs = list(terms)
        if recent:
            return sql + " ORDER BY o.seq DESC", [*targs, *collection_ids, upto]
        sql += f" ORDER BY ts_rank(f.search, ({query})) DESC, o.seq"
        return sql, [*targs, *collection_ids, upto, *targs]

    def pending_correlation(self, limit: int, stretch: int = 0) -> list[PendingRow]:
        """As ``ObjectStore.pending_correlation``, its rows read in binary: in text, each
        body came as hex -- twice its size, encoded by the database and decoded by the
        correlator (issue #15, eleventh round: 6-11 µs of the database's CPU a row
        against 3-4; the correlator reads every stored row once)."""
        self._held.binary = True
        try:
            return super().pending_correlation(limit, stretch)
        finally:
            self._held.binary = False

    # --- the write path: one statement per batch, not one per row ---------------------
    def _flush(self, cur: Any, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            with cur.copy(_COPY_OBJECTS) as copy:
                copy.set_types(_OBJECT_TYPES)
                for row in rows:
                    if "\x00" in row[-1]:  # text holds no NUL here; the words are the same
                        row = (*row[:-1], row[-1].replace("\x00", " "))
                    copy.write_row(row)
            rows.clear()

    def _add_owners(self, cur: Any, owners: list[tuple[str, str]]) -> None:
        ids, originators = zip(*owners, strict=True)
        cur.execute(
            "INSERT INTO owners (id, originator)"
            " SELECT * FROM unnest(%b::text[], %b::text[]) ON CONFLICT (id) DO NOTHING",
            (list(ids), list(originators)),
        )

    # --- lookups by id: one index probe an id, whatever the statistics say -------------
    # ``id IN (…500 ids…)`` was planned on the statistics of the moment: on a store that
    # grew fast (a first sync, a bulk load) autovacuum had not analysed ``objects`` yet,
    # and each store of an envelope scanned the whole table three times -- 100,000 rows
    # in: 50 ms, 22 and 8 a call (issue #15). Probed one id at a time behind an OFFSET 0
    # fence (as ``PgDb.execute_each``), each lookup is an index scan at any size. The
    # ids go in as a binary array (``%b``, as ``PgDb.execute_each``'s: a tenth of the
    # client CPU of the text form).
    @staticmethod
    def _probe(columns: str, table: str, where: str) -> str:
        return (
            f"SELECT q.* FROM unnest(%b::text[]) AS each_(id) CROSS JOIN LATERAL"
            f" (SELECT * FROM (SELECT {columns} FROM {table} WHERE {where}) AS p OFFSET 0) AS q"
        )

    def owners(self, ids: Sequence[str]) -> dict[str, str]:
        if not ids:
            return {}
        with self._read() as cur:
            cur.execute(self._probe("id, originator", "owners", "id = each_.id"), (list(set(ids)),))
            return {str(k): str(v) for k, v in cur.fetchall()}

    def held_versions(self, ids: Sequence[str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        if not ids:
            return out
        with self._read() as cur:
            cur.execute(self._probe("id, vkey", "objects", "id = each_.id"), (list(set(ids)),))
            for oid, vkey in cur.fetchall():
                out.setdefault(str(oid), set()).add(str(vkey))
        return out

    def _known_versions(
        self, cur: Any, collection_id: str, ids: Sequence[str]
    ) -> tuple[dict[tuple[str, str], str], dict[str, tuple[int | None, int | None]]]:
        known: dict[tuple[str, str], str] = {}
        span: dict[str, tuple[int | None, int | None]] = {}
        if not ids:
            return known, span
        cur.execute(
            self._probe(
                "id, vkey, date_added, version_us",
                "objects",
                "collection_id = %s AND id = each_.id",
            ),
            (list(set(ids)), collection_id),
        )
        for oid, vkey, date_added, version_us in cur.fetchall():
            known[(oid, vkey)] = date_added
            lo, hi = span.get(oid, (None, None))
            v = int(version_us)
            span[oid] = (v if lo is None else min(lo, v), v if hi is None else max(hi, v))
        return known, span

    def index_search(self, limit: int = 2000) -> int:
        self._analyze_if_due()
        return self._index_step(limit)

    def _analyze_if_due(self) -> None:
        """Refresh the planner's statistics of the tables that changed by more than a
        tenth since they were last gathered (autovacuum's own default threshold), at
        most every ``_ANALYZE_EVERY`` seconds; the background indexer's work (issue
        #15). A store loaded in bulk -- a first sync, an import -- otherwise had no
        statistics until autovacuum came by (never, where it is off), and reads were
        planned as on an empty table: a page of ``objects`` cost 20-40 ms of the
        database's CPU. ANALYZE takes no lock that readers or writers wait for; one
        the node's role may not run (not the tables' owner) is skipped with a notice."""
        now = time.monotonic()
        with self._analyze_lock:
            if now < self._analyze_next:
                return
            self._analyze_next = now + _ANALYZE_EVERY
        with self._write(ordered=False) as cur:
            cur.execute(_STALE_TABLES)
            stale = [str(r[0]) for r in cur.fetchall()]
            for table in stale:
                cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))

    def _index_step(self, limit: int) -> int:
        # Not behind the writers' lock: indexers (any process) queue on the watermark row.
        with self._write(ordered=False) as cur:
            cur.execute(_INDEX_MARK, (_REMOVE_LOCK,))
            mark = int(cur.fetchone()[0])
            cur.execute(_INDEX_STEP, (mark, int(limit)))
            count, top = cur.fetchone()
            if count:
                cur.execute("UPDATE search_indexed SET seq = %s WHERE id = 1", (int(top),))
        return int(count)

    # --- the correlator's batch: written beside the object writers -------------------
    def mark_correlated(self, seqs: Sequence[int], work: Callable[[], None]) -> bool:
        """As ``ObjectStore.mark_correlated``, but ``work`` -- the correlation index's
        rows, most of the batch's time -- runs before any lock is taken, and the check
        that the rows are still stored and pending and the watermark's move hold the
        removers' lock (``_REMOVE_LOCK``), to the commit, not the writers' lock. The
        storing requests no longer queue behind a batch (issue #15: 4-7 ms a
        transaction under load, which also kept the batches small), nor a batch behind
        them (ninth round: with two ``serve`` processes a correlator spent a quarter of
        its time waiting for the writers' lock, the turn held). A batch commits, with
        its watermark, only if no writer removed or re-dated one of its rows: every
        such writer takes the removers' lock before it does (``_removing``) and holds it
        to its commit, so the check sees its change or it waits for this commit. A
        writer that only adds rows cannot break a batch: rows committed after the batch
        was read have higher seqs than its rows (seqs are given under the writers'
        lock, and writers commit in seq order), so the watermark never passes one.
        Correlators never run two at a time (``correlator_turn``); a correlator takes
        no other lock while it holds the removers' one, and removers take it after the
        writers' lock, so nobody waits in a cycle. The rows are checked first as well,
        without the lock: a batch stale already is not written at all; one that goes
        stale while it writes rolls back whole."""
        if not seqs:
            return True
        unique = sorted(set(seqs))
        try:
            with self._write(ordered=False) as cur:
                if self._still_pending(cur, unique) is None:
                    return False  # stale already: the work is not even started
                self._held.unlocked_derived = True
                try:
                    work()
                finally:
                    self._held.unlocked_derived = False
                # The transaction began with its commit's setting (``_begin_unordered``).
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_REMOVE_LOCK,))
                ahead = self._still_pending(cur, unique)
                if ahead is None:
                    raise _Taken
                self._advance_mark(cur, unique[-1], ahead)
        except _Taken:
            return False
        return True

    def _still_pending(self, cur: Any, unique: Sequence[int]) -> int | None:
        # One statement of one text whatever the number of rows (prepared once).
        cur.execute(
            "SELECT COALESCE((SELECT seq FROM corr_watermark WHERE id = 1), 0),"
            " (SELECT COUNT(*) FROM corr_ahead WHERE seq <= %s),"
            " (SELECT COUNT(*) FROM objects WHERE seq = ANY(%b::bigint[])"
            " AND seq NOT IN (SELECT seq FROM corr_ahead))",
            (unique[-1], list(unique)),
        )
        mark, ahead, held = (int(x) for x in cur.fetchone())
        if unique[0] <= mark or held != len(unique):
            return None
        return ahead

    def derived_writer(self) -> None:
        # Its transactions commit without waiting for the WAL flush (synchronous_commit
        # off, for each of them: the pool's connections serve other threads too). A
        # crash may lose the last of them, never a part of one; a durable commit after
        # them flushes them with it.
        self._held.derived = True

    @contextlib.contextmanager
    def _unflushed(self, conn: Any) -> Iterator[None]:
        self._held.unflushed = True  # said by the transaction's first statement
        try:
            yield
        finally:
            self._held.unflushed = False

    def _no_flush_wait(self) -> bool:
        held = self._held
        return getattr(held, "derived", False) or getattr(held, "unflushed", False)

    def _begin_write(self, conn: Any) -> None:
        if self._no_flush_wait():
            conn.execute(f"SELECT pg_advisory_xact_lock(%s), {_NO_FLUSH_WAIT}", (_WRITE_LOCK,))
        else:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
        self._held.locked = True

    def _removing(self, cur: Any) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_REMOVE_LOCK,))

    def _begin_unordered(self, conn: Any) -> None:
        if getattr(self._held, "derived", False):
            conn.execute(f"SELECT {_NO_FLUSH_WAIT}, {_KEPT_PLANS}")
        elif self._no_flush_wait():
            conn.execute(f"SELECT {_NO_FLUSH_WAIT}")
        # else: the first statement begins the transaction; no lock

    @contextlib.contextmanager
    def correlator_turn(self, *, wait: bool = True) -> Iterator[bool]:
        """A session advisory lock, on a connection of this process's own (the batch
        itself runs on pool connections, in several transactions), released at the end
        of the block -- or by the server when the process dies. Two ``serve``
        processes' indexing children otherwise planned the same oldest rows, and one
        plan in two was thrown away (issue #15). Waiters are served in turn."""
        with self._turn_lock:  # one thread of this process at a time holds it
            try:
                conn = self._turn_conn
                if conn is None or conn.closed:
                    conn = self._turn_conn = psycopg.connect(
                        self.url, autocommit=True, connect_timeout=10
                    )
                take = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
                row = conn.execute(f"SELECT {take}(%s)", (_CORRELATOR_TURN,)).fetchone()
            except psycopg.Error as exc:
                self._drop_turn_conn()
                raise StorageError(f"{self.description}: correlators' turn: {exc}") from exc
            mine = row[0] is not False  # pg_advisory_lock answers NULL (void)
            try:
                yield mine
            finally:
                if mine:
                    try:
                        conn.execute("SELECT pg_advisory_unlock(%s)", (_CORRELATOR_TURN,))
                    except psycopg.Error:
                        self._drop_turn_conn()  # closing the session releases it

    def _drop_turn_conn(self) -> None:
        conn, self._turn_conn = self._turn_conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def close(self) -> None:
        with self._turn_lock:
            self._drop_turn_conn()
        with contextlib.suppress(Exception):
            self.pool.close()
