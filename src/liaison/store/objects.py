"""Object versions: store, re-date, query, search, versions, delete, verify."""

from __future__ import annotations

import abc
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import orjson

from liaison.store.core import (
    HEAD_COLUMNS,
    O_COLUMNS,
    OBJECT_COLUMNS,
    StoreCore,
    format_us,
    now_us,
)
from liaison.store.model import (
    VERSION_ALL,
    VERSION_FIRST,
    VERSION_LAST,
    NewObject,
    ObjectQuery,
    ObjectRow,
    PendingRow,
)

__all__ = ["ObjectStore"]

#: A word as the full-text index sees one (FTS5 unicode61, PostgreSQL's parser on folded
#: text): letters and digits; everything else separates words.
_WORD = re.compile(r"[^\W_]+")
#: Ids bound in one ``IN (...)`` list (PostgreSQL allows 65,535 parameters; SQLite builds
#: from 999 to 250,000).
_IN_CHUNK = 5000


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _has_phrases(words: list[str], phrases: list[list[str]]) -> bool:
    """Does ``words`` hold each phrase (consecutive words) -- a quoted query term?"""
    for phrase in phrases:
        if not phrase:
            continue
        n = len(phrase)
        if not any(words[i : i + n] == phrase for i in range(len(words) - n + 1)):
            return False
    return True


class ObjectStore(StoreCore):
    """Object versions: store, re-date, query, search, versions, delete, verify."""

    # --- objects ----------------------------------------------------------------------
    def add_objects(
        self,
        collection_id: str,
        objs: Sequence[NewObject],
        within: Callable[[list[tuple[str, bool]]], None] | None = None,
    ) -> list[tuple[str, bool]]:
        """Store object versions in one transaction; return (date_added, was_new) per object.

        Every version stored by one call shares its ``date_added`` (strictly later than
        any stored before): consecutive ``date_added`` values a reader sees then never
        count objects it does not see (ADR 0006). Order within a batch is ``seq``.

        Posting a version that is already stored is idempotent: it reports the first
        date_added and ``was_new=False``. ``within`` runs inside the same transaction
        (on this thread's connection) before it commits -- the audit log uses it so
        that an object and its audit entry are stored together or not at all.
        """
        out: list[tuple[str, bool]] = []
        with self._write() as cur:
            stamp = self._next_stamp(cur)
            # What is stored already about these ids: two queries for the whole batch.
            ids = {o.id for o in objs}
            known, span = self._known_versions(cur, collection_id, sorted(ids))
            rows: list[tuple[Any, ...]] = []
            date_added = format_us(stamp)  # one for the whole batch
            dumps = orjson.dumps
            # Each distinct handling and provenance serialised once: the versions of a
            # batch mostly share them (keyed by identity: ``objs`` holds them all).
            texts: dict[int, str] = {}
            origins: dict[tuple[str, ...], str] = {(): "[]"}

            def row(
                o: NewObject, version: str, version_us: int, vkey: str, first: int, last: int
            ) -> tuple[Any, ...]:
                """The ``objects`` row of ``o`` (``_INSERT_OBJECT``'s columns)."""
                handling = texts.get(id(o.handling))
                if handling is None:
                    handling = texts[id(o.handling)] = dumps(o.handling).decode()
                listed = o.origins if o.origins.__class__ is tuple else tuple(o.origins)
                provenance = origins.get(listed)
                if provenance is None:
                    provenance = origins[listed] = dumps(listed).decode()
                return (
                    collection_id,
                    o.id,
                    o.type,
                    o.spec_version,
                    version,
                    version_us,
                    vkey,
                    date_added,
                    stamp,
                    first,
                    last,
                    o.body,
                    o.sha256,
                    handling,
                    provenance,
                    o.received_from,
                    o.search_text,
                )

            if not span and len(ids) == len(objs):
                # None of these ids is stored in this collection and none comes twice:
                # every version is new, the first and the last of its id (what the
                # loop below finds for each, without its look-ups).
                for o in objs:
                    us = o.version_us
                    rows.append(
                        row(
                            o,
                            date_added if o.version is None else o.version,
                            stamp if us is None else us,
                            "" if us is None else str(us),
                            1,
                            1,
                        )
                    )
                self._flush(cur, rows)
                out = [(date_added, True)] * len(objs)
                self._add_owners(cur, [(o.id, o.originator) for o in objs])
                if within is not None:
                    within(out)
                return out
            for o in objs:
                vkey = "" if o.version_us is None else str(o.version_us)
                found = known.get((o.id, vkey))
                if found is not None:
                    out.append((found, False))
                    continue
                version = o.version if o.version is not None else date_added
                version_us = o.version_us if o.version_us is not None else stamp
                lo, hi = span.get(o.id, (None, None))
                is_first = lo is None or version_us < lo
                is_last = hi is None or version_us > hi
                if (is_first and lo is not None) or (is_last and hi is not None):
                    self._flush(cur, rows)  # earlier rows of this batch may be this id's
                    if is_first and lo is not None:
                        cur.execute(
                            self._sql(
                                "UPDATE objects SET is_first=0 WHERE collection_id=? AND id=?"
                            ),
                            (collection_id, o.id),
                        )
                    if is_last and hi is not None:
                        cur.execute(
                            self._sql(
                                "UPDATE objects SET is_last=0 WHERE collection_id=? AND id=?"
                            ),
                            (collection_id, o.id),
                        )
                span[o.id] = (
                    version_us if lo is None else min(lo, version_us),
                    version_us if hi is None else max(hi, version_us),
                )
                known[(o.id, vkey)] = date_added
                rows.append(row(o, version, version_us, vkey, int(is_first), int(is_last)))
                out.append((date_added, True))
            self._flush(cur, rows)
            owners = {o.id: o.originator for o, (_, new) in zip(objs, out, strict=True) if new}
            if owners:
                self._add_owners(cur, list(owners.items()))
            if within is not None:
                within(out)
        return out

    def owners(self, ids: Sequence[str]) -> dict[str, str]:
        """The originator of each of these ids held here (now or before a deletion).

        '' is this node; an id never held here is absent from the answer.
        """
        out: dict[str, str] = {}
        with self._read() as cur:
            for i in range(0, len(ids), 500):
                chunk = list(ids[i : i + 500])
                cur.execute(
                    self._sql(
                        "SELECT id, originator FROM owners"
                        f" WHERE id IN ({','.join('?' * len(chunk))})"
                    ),
                    chunk,
                )
                out.update((str(k), str(v)) for k, v in cur.fetchall())
        return out

    def held_versions(self, ids: Sequence[str]) -> dict[str, set[str]]:
        """Version keys held of each id, in any collection (``""`` for version-less)."""
        out: dict[str, set[str]] = {}
        with self._read() as cur:
            for i in range(0, len(ids), 500):
                chunk = list(ids[i : i + 500])
                cur.execute(
                    self._sql(
                        f"SELECT id, vkey FROM objects WHERE id IN ({','.join('?' * len(chunk))})"
                    ),
                    chunk,
                )
                for oid, vkey in cur.fetchall():
                    out.setdefault(str(oid), set()).add(str(vkey))
        return out

    _INSERT_OBJECT = (
        "INSERT INTO objects (collection_id, id, type, spec_version, version, version_us, vkey,"
        " date_added, date_added_us, is_first, is_last, body, sha256, handling, origins,"
        " received_from, search_text) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )

    def _flush(self, cur: Any, rows: list[tuple[Any, ...]]) -> None:
        """Insert these object rows (``_INSERT_OBJECT``'s columns) and empty the list."""
        if rows:
            cur.executemany(self._sql(self._INSERT_OBJECT), rows)
            rows.clear()

    def _add_owners(self, cur: Any, owners: list[tuple[str, str]]) -> None:
        """Record (id, originator) for ids that have no owner yet (after the rows of
        this write are inserted: a backend may look at them)."""
        cur.executemany(
            self._sql(
                "INSERT INTO owners (id, originator) VALUES (?, ?) ON CONFLICT (id) DO NOTHING"
            ),
            owners,
        )

    def _erasing(self, cur: Any, object_id: str) -> None:
        """Inside a write, before rows of ``object_id`` are deleted: its owner must
        outlive them. By default nothing (every id held has its ``owners`` row)."""
        return None

    def owner_count(self) -> int:
        """How many ids have an owner here (held now, or before a deletion)."""
        with self._read() as cur:
            cur.execute("SELECT COUNT(*) FROM owners")
            return int(cur.fetchone()[0])

    def complete_owners(self) -> None:
        """Give every id held without an ``owners`` row one naming this node ('') --
        what such an id means on a store that leaves them out (SQLite) -- so that a
        store that does not (``liaison store copy`` into PostgreSQL) knows them."""
        with self._write(ordered=False) as cur:
            cur.execute(
                "INSERT INTO owners (id, originator) SELECT DISTINCT o.id, '' FROM objects o"
                " WHERE NOT EXISTS (SELECT 1 FROM owners w WHERE w.id = o.id)"
                " ON CONFLICT (id) DO NOTHING"
            )

    def _known_versions(
        self, cur: Any, collection_id: str, ids: Sequence[str]
    ) -> tuple[dict[tuple[str, str], str], dict[str, tuple[int | None, int | None]]]:
        """((id, vkey) -> date_added) and (id -> (min, max) version) for stored ids."""
        known: dict[tuple[str, str], str] = {}
        span: dict[str, tuple[int | None, int | None]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            cur.execute(
                self._sql(
                    "SELECT id, vkey, date_added, version_us FROM objects"
                    f" WHERE collection_id = ? AND id IN ({marks})"
                ),
                (collection_id, *chunk),
            )
            for oid, vkey, date_added, version_us in cur.fetchall():
                known[(oid, vkey)] = date_added
                lo, hi = span.get(oid, (None, None))
                v = int(version_us)
                span[oid] = (v if lo is None else min(lo, v), v if hi is None else max(hi, v))
        return known, span

    @staticmethod
    def _next_stamp(cur: Any) -> int:
        """A date_added later than every stored one (the newest row is the last seq)."""
        cur.execute("SELECT date_added_us FROM objects ORDER BY seq DESC LIMIT 1")
        row = cur.fetchone()
        return max(now_us(), (int(row[0]) if row else 0) + 1)

    _REDATE_COLUMNS = (
        "collection_id, id, type, spec_version, version, version_us, vkey, is_first, is_last,"
        " body, sha256, handling, origins, received_from, search_text"
    )

    def redate(self, object_id: str) -> int:
        """Give every stored version of an object a new, current date_added (and seq).

        Used when an object becomes releasable to someone after it was stored (a late
        consent): incremental readers filtering on ``added_after`` then see it again.
        Contents, versions and hashes are unchanged.
        """
        cols = self._REDATE_COLUMNS
        with self._write() as cur:
            stamp = self._next_stamp(cur)
            cur.execute(
                self._sql(f"SELECT {cols} FROM objects WHERE id = ? ORDER BY seq"), (object_id,)
            )
            rows = [tuple(r) for r in cur.fetchall()]
            if not rows:
                return 0
            self._removing(cur)
            cur.execute(self._sql("DELETE FROM objects WHERE id = ?"), (object_id,))
            insert = self._sql(
                f"INSERT INTO objects ({cols}, date_added, date_added_us)"
                f" VALUES ({', '.join('?' * (cols.count(',') + 3))})"
            )
            for row in rows:  # one date_added for the batch, like any write
                cur.execute(insert, (*row, format_us(stamp), stamp))
        return len(rows)

    def query_objects(self, q: ObjectQuery) -> list[ObjectRow]:
        """Matching rows in insertion order, after ``q.after_seq``, at most ``q.limit``."""
        # With ids, the planner must take the id index (objects_key), not walk the
        # collection in seq order (objects_seq) for the ORDER BY: neither the seq nor the
        # collection may lead it there ("+seq", "|| ''": not usable by an index).
        where = (
            ["collection_id || '' = ?", "+seq > ?"] if q.ids else ["collection_id = ?", "seq > ?"]
        )
        args: list[Any] = [q.collection_id, q.after_seq]
        if q.added_after_us is not None:
            where.append("date_added_us > ?")
            args.append(q.added_after_us)
        if q.ids:
            where.append(f"id IN ({','.join('?' * len(q.ids))})")
            args.extend(q.ids)
        if q.types:
            where.append(f"type IN ({','.join('?' * len(q.types))})")
            args.extend(q.types)
        if q.spec_versions:
            where.append(f"spec_version IN ({','.join('?' * len(q.spec_versions))})")
            args.extend(q.spec_versions)
        if VERSION_ALL not in q.versions:
            alts = []
            if VERSION_FIRST in q.versions:
                alts.append("is_first = 1")
            if VERSION_LAST in q.versions:
                alts.append("is_last = 1")
            if q.version_us:
                alts.append(f"version_us IN ({','.join('?' * len(q.version_us))})")
                args.extend(q.version_us)
            where.append("(" + " OR ".join(alts or ["1 = 0"]) + ")")
        sql = (
            f"SELECT {OBJECT_COLUMNS} FROM objects WHERE {' AND '.join(where)}"
            f" ORDER BY seq LIMIT {int(q.limit)}"
        )
        with self._read() as cur:
            cur.execute(self._sql(sql), args)
            return [self._row(r) for r in cur.fetchall()]

    @abc.abstractmethod
    def _search_sql(
        self, collection_ids: Sequence[str], terms: Sequence[str], recent: bool, upto: int
    ) -> tuple[str, list[Any]]:
        """SQL and arguments selecting matching latest rows (``o.`` columns) of the
        full-text index, at most seq ``upto``, best first (``recent``: newest first)."""

    def search(
        self,
        collection_ids: Sequence[str],
        terms: Sequence[str],
        *,
        limit: int,
        offset: int = 0,
        recent: bool = False,
    ) -> list[ObjectRow]:
        """Latest versions in these collections whose text has every (folded) term.

        Whatever was stored before the call is found, and nothing is written: rows the
        full-text index does not hold yet (past its watermark, ADR 0009) are matched
        word by word as the index would match them (whole words, unstemmed, on either
        backend). ``recent``: newest first (they lead); otherwise by relevance, then those
        not indexed yet, oldest first.
        """
        if not collection_ids or not terms:
            return []
        with self._read() as cur:
            mark = self._search_mark(cur)
            late = self._unindexed_matches(cur, mark, collection_ids, terms)
            if recent:
                late.reverse()
                head = late[offset : offset + limit]
                rest = self._indexed(
                    cur, collection_ids, terms, recent, mark,
                    limit - len(head), max(0, offset - len(late)),
                )  # fmt: skip
                return head + rest
            found = self._indexed(cur, collection_ids, terms, recent, mark, limit, offset)
            if len(found) == limit or not late:
                return found
            if found or offset == 0:
                skip = 0
            else:  # the page starts past the indexed hits: how many are there?
                skip = offset - self._count_indexed(cur, collection_ids, terms, mark)
            return found + late[max(0, skip) : max(0, skip) + limit - len(found)]

    def _indexed(
        self,
        cur: Any,
        collection_ids: Sequence[str],
        terms: Sequence[str],
        recent: bool,
        mark: int,
        limit: int,
        offset: int,
    ) -> list[ObjectRow]:
        if limit <= 0:
            return []
        sql, args = self._search_sql(collection_ids, terms, recent, mark)
        cur.execute(self._sql(f"{sql} LIMIT {int(limit)} OFFSET {int(offset)}"), args)
        return [self._row(r) for r in cur.fetchall()]

    def _count_indexed(
        self, cur: Any, collection_ids: Sequence[str], terms: Sequence[str], mark: int
    ) -> int:
        sql, args = self._search_sql(collection_ids, terms, True, mark)
        cur.execute(self._sql(f"SELECT COUNT(*) FROM ({sql}) hits"), args)
        return int(cur.fetchone()[0])

    def _unindexed_matches(
        self, cur: Any, mark: int, collection_ids: Sequence[str], terms: Sequence[str]
    ) -> list[ObjectRow]:
        """Latest versions past the watermark holding every term, oldest first."""
        marks = ",".join("?" * len(collection_ids))
        cur.execute(
            self._sql(
                f"SELECT {OBJECT_COLUMNS}, search_text FROM objects WHERE seq > ?"
                f" AND is_last = 1 AND collection_id IN ({marks}) ORDER BY seq"
            ),
            [mark, *collection_ids],
        )
        phrases = [_words(t) for t in terms]
        return [self._row(r[:-1]) for r in cur.fetchall() if _has_phrases(_words(r[-1]), phrases)]

    # --- the full-text index, built outside the storing transaction (ADR 0009) --------
    def _search_mark(self, cur: Any) -> int:
        """The full-text watermark: rows past it are not indexed yet."""
        cur.execute("SELECT seq FROM search_indexed WHERE id = 1")
        return int(cur.fetchone()[0])

    @abc.abstractmethod
    def index_search(self, limit: int = 2000) -> int:
        """Index up to ``limit`` stored rows not yet in the full-text index, in one
        transaction, and move the watermark; return how many (0: the index is complete)."""

    def search_backlog(self) -> int:
        """How many stored rows the full-text index does not hold yet."""
        with self._read() as cur:
            cur.execute(
                "SELECT COUNT(*) FROM objects"
                " WHERE seq > (SELECT seq FROM search_indexed WHERE id = 1)"
            )
            return int(cur.fetchone()[0])

    def _search_behind(self) -> bool:
        with self._read() as cur:
            cur.execute(
                "SELECT (SELECT seq FROM search_indexed WHERE id = 1)"
                " < COALESCE((SELECT MAX(seq) FROM objects), 0)"
            )
            return bool(cur.fetchone()[0])

    def catch_up_search(self) -> None:
        """Make the full-text index hold every row stored before this call."""
        while self._search_behind() and self.index_search():
            pass

    # --- the correlation watermark (ADR 0009, schema migration 11) --------------------
    #: Rows past the mark that are correlated already (``corr_ahead``: rows the old
    #: per-row flag said were done, out of seq order; normally none).
    _PENDING = (
        "seq > COALESCE((SELECT seq FROM corr_watermark WHERE id = 1), 0)"
        " AND seq NOT IN (SELECT seq FROM corr_ahead)"
    )

    def correlation_backlog(self) -> int:
        """How many rows are not correlated yet."""
        with self._read() as cur:
            cur.execute(f"SELECT COUNT(*) FROM objects WHERE {self._PENDING}")
            return int(cur.fetchone()[0])

    def correlation_progress(self) -> tuple[int, bool]:
        """The correlation watermark, and whether any row is pending: what a reader
        waiting on a correlator looks at, ten times a second. (Counting the pending rows
        instead read every one of them: 7 ms of PostgreSQL's time a look, 20,000 rows
        behind.)"""
        with self._read() as cur:
            cur.execute(
                "SELECT COALESCE((SELECT seq FROM corr_watermark WHERE id = 1), 0),"
                f" EXISTS (SELECT 1 FROM objects WHERE {self._PENDING})"
            )
            mark, pending = cur.fetchone()
            return int(mark), bool(pending)

    def pending_correlation(self, limit: int, stretch: int = 0) -> list[PendingRow]:
        """Up to ``limit`` rows not yet correlated, oldest first (a read: no write lock):
        what correlating them reads, no more. ``stretch``: every pending row instead,
        if there are no more than ``limit + stretch`` (the rest would make a short batch
        of its own)."""
        limit = int(limit)
        if stretch > 0:  # decided in the statement: one round trip
            most = limit + int(stretch)
            bound = (
                f"CASE WHEN (SELECT COUNT(*) FROM (SELECT 1 FROM objects WHERE {self._PENDING}"
                f" ORDER BY seq LIMIT {most + 1}) AS p) > {most} THEN {limit} ELSE {most} END"
            )
        else:
            bound = str(limit)
        with self._read() as cur:
            cur.execute(
                "SELECT seq, body, received_from, id, type,"
                " CASE WHEN vkey = '' THEN '' ELSE version END"
                f" FROM objects WHERE {self._PENDING} ORDER BY seq LIMIT {bound}"
            )
            return [PendingRow(int(r[0]), bytes(r[1]), *r[2:]) for r in cur.fetchall()]

    def mark_correlated(self, seqs: Sequence[int], work: Callable[[], None]) -> bool:
        """Run ``work`` and mark these rows correlated, in one transaction -- if every
        one of them is still pending and stored; otherwise do nothing and return False
        (another correlator took some, or they were deleted). ``work`` writes through
        ``connection()``: the same transaction.

        ``seqs`` must be the oldest pending rows, read at once (``pending_correlation``:
        a prefix of its answer): the watermark moves to the last of them. Object rows
        commit in seq order (the write lock), so no row below it can appear later; a
        batch someone else applied since they were read holds the first of them, so
        the mark is past it now (the check below).
        """
        if not seqs:
            return True
        unique = sorted(set(seqs))
        with self._write() as cur:
            ahead = self._still_pending(cur, unique)
            if ahead is None:
                return False
            work()
            self._advance_mark(cur, unique[-1], ahead)
        return True

    def _still_pending(self, cur: Any, unique: Sequence[int]) -> int | None:
        """Under the writers' lock: whether these rows (sorted, distinct) are all still
        stored and pending -- None if not -- and if so, how many rows done ahead of the
        mark are left to clear at or below the last of them."""
        top = unique[-1]
        # One statement (a round trip under the writers' lock, issue #15): the mark,
        # whether rows done ahead of it are left to clear, the first chunk's check.
        chunk = unique[:_IN_CHUNK]
        cur.execute(
            self._sql(
                "SELECT COALESCE((SELECT seq FROM corr_watermark WHERE id = 1), 0),"
                " (SELECT COUNT(*) FROM corr_ahead WHERE seq <= ?),"
                " (SELECT COUNT(*) FROM objects WHERE seq IN"
                f" ({','.join('?' * len(chunk))})"
                " AND seq NOT IN (SELECT seq FROM corr_ahead))"
            ),
            (top, *chunk),
        )
        mark, ahead, held = (int(x) for x in cur.fetchone())
        if unique[0] <= mark or held != len(chunk):
            return None
        for start in range(_IN_CHUNK, len(unique), _IN_CHUNK):
            chunk = unique[start : start + _IN_CHUNK]
            cur.execute(
                self._sql(
                    "SELECT COUNT(*) FROM objects WHERE seq IN"
                    f" ({','.join('?' * len(chunk))})"
                    " AND seq NOT IN (SELECT seq FROM corr_ahead)"
                ),
                chunk,
            )
            if int(cur.fetchone()[0]) != len(chunk):
                return None
        return ahead

    def _advance_mark(self, cur: Any, top: int, ahead: int) -> None:
        """Move the correlation watermark to ``top`` (every row up to it is done)."""
        cur.execute(
            self._sql(
                "INSERT INTO corr_watermark (id, seq) VALUES (1, ?)"
                " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq"
            ),
            (top,),
        )
        if ahead:  # rows at or below the mark are not pending, listed or not
            cur.execute(self._sql("DELETE FROM corr_ahead WHERE seq <= ?"), (top,))

    def latest_by_ids(self, ids: Sequence[str], *, bodies: bool = True) -> list[ObjectRow]:
        """The latest stored version of each id, in any collection; with ``bodies=False``
        each row's body is empty (for decisions, which read the handling only)."""
        columns = OBJECT_COLUMNS if bodies else HEAD_COLUMNS
        out: list[ObjectRow] = []
        with self._read() as cur:
            for start in range(0, len(ids), _IN_CHUNK):
                chunk = list(ids[start : start + _IN_CHUNK])
                cur.execute(
                    self._sql(
                        f"SELECT {columns} FROM objects WHERE is_last = 1"
                        f" AND id IN ({','.join('?' * len(chunk))})"
                    ),
                    chunk,
                )
                out.extend(self._row(r) for r in cur.fetchall())
        out.sort(key=lambda r: r.seq)
        return out

    def latest_heads(self, ids: Sequence[str], have: Mapping[int, ObjectRow]) -> list[ObjectRow]:
        """``latest_by_ids(ids, bodies=False)``, taking the rows the caller holds already
        (``have``, by seq: the page being released) instead of reading and parsing them
        again: only the seqs are looked up, then the rows not in hand, by seq.

        Each row found is the latest of its id and collection when the seqs were read
        (a newer version stored since then is missed, as it would have been a moment
        earlier). Should a row be gone by the second look-up (deleted, re-dated), the
        answer is ``latest_by_ids``'s, read again: never a newest version left out."""
        seqs: list[int] = []
        with self._read() as cur:
            for start in range(0, len(ids), _IN_CHUNK):
                chunk = list(ids[start : start + _IN_CHUNK])
                cur.execute(
                    self._sql(
                        "SELECT seq FROM objects WHERE is_last = 1"
                        f" AND id IN ({','.join('?' * len(chunk))})"
                    ),
                    chunk,
                )
                seqs += [int(r[0]) for r in cur.fetchall()]
            out = [have[q] for q in seqs if q in have]
            missing = [q for q in seqs if q not in have]
            for start in range(0, len(missing), _IN_CHUNK):
                chunk_seqs = missing[start : start + _IN_CHUNK]
                cur.execute(
                    self._sql(
                        f"SELECT {HEAD_COLUMNS} FROM objects"
                        f" WHERE seq IN ({','.join('?' * len(chunk_seqs))})"
                    ),
                    chunk_seqs,
                )
                out.extend(self._row(r) for r in cur.fetchall())
        if len(out) != len(seqs):
            return self.latest_by_ids(ids, bodies=False)
        out.sort(key=lambda r: r.seq)
        return out

    def object_versions(self, collection_id: str, object_id: str) -> list[ObjectRow]:
        with self._read() as cur:
            cur.execute(
                self._sql(
                    f"SELECT {OBJECT_COLUMNS} FROM objects WHERE collection_id=? AND id=?"
                    " ORDER BY version_us"
                ),
                (collection_id, object_id),
            )
            return [self._row(r) for r in cur.fetchall()]

    def delete_versions(
        self,
        collection_id: str,
        object_id: str,
        seqs: Sequence[int],
        within: Callable[[list[ObjectRow]], None] | None = None,
    ) -> list[ObjectRow]:
        """Delete the given rows of one object and repair its first/last flags.

        Returns the rows deleted; ``within`` gets them inside the same transaction
        (the audit log records each deletion with it, or nothing is deleted).
        """
        if not seqs:
            return []
        marks = ",".join("?" * len(seqs))
        with self._write() as cur:
            cur.execute(
                self._sql(
                    f"SELECT {OBJECT_COLUMNS} FROM objects WHERE collection_id=? AND id=?"
                    f" AND seq IN ({marks}) ORDER BY seq"
                ),
                (collection_id, object_id, *seqs),
            )
            gone = [self._row(r) for r in cur.fetchall()]
            self._removing(cur)
            if gone:
                self._erasing(cur, object_id)
            cur.execute(
                self._sql(
                    f"DELETE FROM objects WHERE collection_id=? AND id=? AND seq IN ({marks})"
                ),
                (collection_id, object_id, *seqs),
            )
            for flag, agg in (("is_first", "MIN"), ("is_last", "MAX")):
                cur.execute(
                    self._sql(
                        f"UPDATE objects SET {flag} = CASE WHEN version_us ="
                        f" (SELECT {agg}(version_us) FROM objects WHERE collection_id=? AND id=?)"
                        " THEN 1 ELSE 0 END"
                        " WHERE collection_id=? AND id=?"
                    ),
                    (collection_id, object_id, collection_id, object_id),
                )
            if within is not None and gone:
                within(gone)
            return gone

    def count_objects(self, collection_id: str | None = None) -> int:
        with self._read() as cur:
            if collection_id is None:
                cur.execute("SELECT COUNT(*) FROM objects")
            else:
                cur.execute(
                    self._sql("SELECT COUNT(*) FROM objects WHERE collection_id = ?"),
                    (collection_id,),
                )
            return int(cur.fetchone()[0])

    def iter_versions(self, batch: int = 2000) -> Iterator[tuple[ObjectRow, str]]:
        """Every stored version with its id's originator ('' this node), in seq order,
        a batch of rows per read (audit verification streams the whole store)."""
        after = -1
        while True:
            with self._read() as cur:
                cur.execute(
                    self._sql(
                        f"SELECT {O_COLUMNS}, COALESCE(w.originator, '') FROM objects o"
                        " LEFT JOIN owners w ON w.id = o.id WHERE o.seq > ?"
                        f" ORDER BY o.seq LIMIT {int(batch)}"
                    ),
                    (after,),
                )
                rows = cur.fetchall()
            for r in rows:
                yield self._row(r), str(r[-1])
            if len(rows) < batch:
                return
            after = int(rows[-1][0])

    @staticmethod
    def _row(r: Sequence[Any]) -> ObjectRow:
        origins = r[12]
        return ObjectRow.of(
            int(r[0]),
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            int(r[6]),
            r[7],
            int(r[8]),
            bytes(r[9]),
            r[10],
            orjson.loads(r[11]),
            () if origins == "[]" else tuple(orjson.loads(origins)),
            r[13],
        )
