"""Candidate spellings for a name, by blocking key, with bounded work (issue #15).

A name is compared only with the indexed spellings that share one of its lookup keys
(``names.lookup_keys``), and never with more than ``max_scored_per_name`` of them,
however many the index holds:

* a key shared by more than ``max_candidates_per_key`` spellings is no lookup key (a
  common word is no evidence); its size is counted in SQL, its rows are not fetched;
* the other keys are read rarest first, and candidates are taken in that order --
  within a key, oldest spelling first -- until ``max_scored_per_name`` distinct
  spellings are in hand. A key shared by many spellings thus only fills what the
  rare keys left.

The correlation worker plans a batch of objects before writing any of it
(``CorrelationIndex.plan``): the spellings the batch itself brings are not stored yet,
so they live in an ``Overlay`` and count as stored after every stored one (as their
ids will be). Planning a batch then finds exactly what storing the objects one by one
would.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from liaison.correlate.model import CorrelationConfig
from liaison.correlate.names import (
    NameMatch,
    blocking_keys,
    cannot_match,
    explained,
    match_deferred,
)
from liaison.db import Db

__all__ = ["Found", "Lookup", "Overlay", "Spelling", "stored_spellings"]


class Spelling(NamedTuple):
    """An indexed spelling (``id`` None: planned in this batch, not stored yet)."""

    id: int | None
    kind: str
    name: str


class Found(NamedTuple):
    """A spelling that matches the name looked up, and how."""

    spelling: Spelling
    match: NameMatch


@dataclass
class Overlay:
    """Spellings a batch brings that the index does not hold yet, in the batch's order.

    It also keeps what planning the batch read of the store -- nothing is written while
    a batch is planned, so the store's answers hold for the whole plan: the size and the
    first spellings of each key (``Lookup.prefetch``), and which of the batch's
    spellings are stored (``prefetch``).
    """

    keys: dict[str, list[Spelling]] = field(default_factory=dict)
    seen: set[tuple[str, str]] = field(default_factory=set)
    #: key -> (spellings stored under it, counted up to ``max_candidates_per_key + 1``;
    #: the first ``max_scored_per_name`` of them, oldest first, when it is no larger
    #: than ``max_candidates_per_key``).
    stored_keys: dict[str, tuple[int, list[Spelling]]] = field(default_factory=dict)
    #: Of the spellings ``prefetch`` asked about, those stored, and the id of each.
    stored_names: dict[tuple[str, str], int] = field(default_factory=dict)
    asked_names: set[tuple[str, str]] = field(default_factory=set)

    def prefetch(self, conn: Db, spellings: Iterable[tuple[str, str]]) -> None:
        """Read which of these ``(kind, name)`` are stored (one query a chunk)."""
        todo = sorted(set(spellings) - self.asked_names)
        self.asked_names.update(todo)
        self.stored_names.update(stored_spellings(conn, todo))

    def add(self, conn: Db, kind: str, name: str) -> None:
        """Count ``name`` as indexed from now on (a no-op for a stored spelling)."""
        if (kind, name) in self.seen:
            return
        self.seen.add((kind, name))
        if (kind, name) not in self.asked_names:
            self.prefetch(conn, [(kind, name)])
        if (kind, name) in self.stored_names:
            return
        for key in blocking_keys(name, kind):
            self.keys.setdefault(key, []).append(Spelling(None, kind, name))


def stored_spellings(conn: Db, spellings: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The id of each of these ``(kind, name)`` that is stored (``Db.select_each``).

    Answers are matched to the questions by position, not by the text read back: the
    store may keep a name in another form (PostgreSQL text holds no NUL; ``PgDb``
    stores U+FFFD instead), as a lookup by the name itself finds it.
    """
    found = conn.select_each("corr_spelling", ("kind", "name"), ("id",), spellings)
    return {spellings[int(i)]: int(sid) for i, sid in found}


class Lookup:
    """Bounded candidate lookups for one index; ``scored`` counts the pairs scored."""

    def __init__(self, config: CorrelationConfig) -> None:
        self.config = config
        #: How many candidate spellings ``match_names`` was asked about (tests and figures).
        self.scored = 0

    @staticmethod
    def _sizes(conn: Db, keys: list[str], cap: int) -> list[int]:
        """How many spellings each key holds, counted up to ``cap`` (in SQL, no rows out).

        The bound is written in the statement, not passed: PostgreSQL plans a ``LIMIT``
        it cannot see as a tenth of the rows -- one -- and with a small table's
        statistics (a store filling up, before its first ANALYZE) chose a scan of the
        whole table for each key, expecting to stop at the first match; counting up to
        ``cap`` reads every row. 55 µs of the database's CPU an object at ingest, the
        largest part of the correlation's (issue #15); with the bound seen, an index
        probe a key."""
        sql = (
            "SELECT COUNT(*) FROM (SELECT 1 FROM corr_spelling_key WHERE key = ?"  # noqa: S608
            f" LIMIT {int(cap)}) AS c"
        )
        sizes = [0] * len(keys)
        for i, n in conn.execute_each(sql, [(key,) for key in keys]):
            sizes[int(i)] = int(n)
        return sizes

    @staticmethod
    def _rows(conn: Db, keys: list[str], limit: int) -> list[list[Spelling]]:
        """The first ``limit`` stored spellings of each key, oldest first."""
        out: list[list[Spelling]] = [[] for _ in keys]
        if not keys:
            return out
        sql = (
            "SELECT s.id, s.kind, s.name FROM (SELECT spelling_id FROM corr_spelling_key"
            " WHERE key = ? ORDER BY spelling_id LIMIT ?) AS k"
            " JOIN corr_spelling s ON s.id = k.spelling_id"
        )
        for i, sid, kind, name in sorted(conn.execute_each(sql, [(k, limit) for k in keys])):
            out[int(i)].append(Spelling(int(sid), kind, name))
        return out

    #: Keys read by one query of ``prefetch`` (two subqueries each; SQLite allows 500
    #: terms in a compound SELECT).
    _KEYS_PER_QUERY = 200

    def prefetch(self, conn: Db, keys: Iterable[str], overlay: Overlay) -> None:
        """Read what the store holds under these keys into ``overlay`` (a few queries
        for all the keys of a batch, not two per name): how many spellings each holds,
        and the first ``max_scored_per_name`` of each key that ``candidates`` may use."""
        cap = self.config.max_candidates_per_key
        budget = self.config.max_scored_per_name
        todo = sorted({k for k in keys if k not in overlay.stored_keys})
        for start in range(0, len(todo), self._KEYS_PER_QUERY):
            chunk = todo[start : start + self._KEYS_PER_QUERY]
            sizes = self._sizes(conn, chunk, cap + 1)
            # Planned spellings only add to a key: one holding more than ``cap`` stored
            # spellings is never usable, and one holding none has no rows.
            wanted = [k for k, n in zip(chunk, sizes, strict=True) if 0 < n <= cap]
            rows = dict(zip(wanted, self._rows(conn, wanted, budget), strict=True))
            for key, n in zip(chunk, sizes, strict=True):
                overlay.stored_keys[key] = (n, rows.get(key, []))

    def candidates(
        self, conn: Db, keys: Iterable[str], overlay: Overlay | None = None
    ) -> list[Spelling]:
        """Distinct spellings sharing a usable key, rarest keys first, at most
        ``max_scored_per_name`` of them."""
        cap = self.config.max_candidates_per_key
        budget = self.config.max_scored_per_name
        key_list = sorted(keys)
        if not key_list:
            return []
        if overlay is not None:
            self.prefetch(conn, key_list, overlay)  # read once per plan
            stored = [overlay.stored_keys[k][0] for k in key_list]
        else:
            stored = self._sizes(conn, key_list, cap + 1)
        planned = [overlay.keys.get(k, []) if overlay else [] for k in key_list]
        sizes = [n + len(p) for n, p in zip(stored, planned, strict=True)]
        usable = sorted(
            (i for i, n in enumerate(sizes) if 0 < n <= cap), key=lambda i: (sizes[i], i)
        )
        if overlay is not None:
            rows = [overlay.stored_keys[key_list[i]][1] for i in usable if stored[i]]
        else:
            rows = self._rows(conn, [key_list[i] for i in usable if stored[i]], budget)
        fetched = iter(rows)
        out: dict[tuple[str, str], Spelling] = {}
        for i in usable:
            # As if the planned spellings were stored: after the stored ones, and the
            # key read up to ``budget`` spellings in all.
            mine = next(fetched) if stored[i] else []
            mine = (mine + planned[i])[:budget]
            for spelling in mine:
                if len(out) >= budget:
                    return list(out.values())
                out.setdefault((spelling.kind, spelling.name), spelling)
        return list(out.values())

    def matches(
        self,
        conn: Db,
        name: str,
        kind: str,
        keys: Iterable[str],
        *,
        min_score: float | None = None,
        overlay: Overlay | None = None,
    ) -> list[Found]:
        """The candidates that match ``name`` (``min_score``: that score at least that)."""
        found = []
        for spelling in self.candidates(conn, keys, overlay):
            if spelling.kind != kind or (
                min_score is None and cannot_match(name, spelling.name, kind)
            ):
                continue
            self.scored += 1
            # Most candidates are dropped: decide first, explain only the ones kept.
            m, why = match_deferred(name, spelling.name, kind)
            if m.same if min_score is None else m.score >= min_score:
                found.append(Found(spelling, explained(m, why)))
        return found
