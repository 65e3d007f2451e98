"""A persistent correlation index in the node's store: what links the objects it holds.

``CorrelationIndex(conn).add(obj, source)`` indexes one STIX object version -- its names
(identity, intrusion-set, threat-actor, location, campaign: ``name``, ``aliases``) and
its observables -- finds what it shares with the objects already indexed, and stores each
correlation with its rule, score and explanation. Tables carry the ``corr_`` prefix and
belong to the store's migrations; rows go through ``liaison.db.Db``, all SQL
parameterised. ``add`` joins a caller's transaction (and commits by itself when there
is none).

Correlations are local knowledge. A correlation between partner A's object and partner
B's object must never reach A or B: every read method takes ``viewer`` and answers only
the local node (``LOCAL``); any other viewer gets ``DeniedError``. The index never writes
into the objects it reads, so nothing about a correlation travels with a shared object.

Over-correlation guard: an observable value on the block list, or held by more than
``max_objects_per_value`` objects, stops correlating (its correlations are dropped and
the value is recorded in ``corr_saturated``); a name blocking key shared by more than
``max_candidates_per_key`` distinct spellings is not used for lookups, and a spelling
borne by more than ``max_objects_per_name`` objects does not correlate.

Names are stored once per distinct spelling (``corr_spelling``, with its blocking keys
in ``corr_spelling_key``) and linked to objects (``corr_name``), so a lookup scores each
spelling once however many reports use it.
"""

from __future__ import annotations

import builtins
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from liaison.correlate.model import (
    LOCAL,
    Candidate,
    Correlation,
    CorrelationConfig,
    default_block_list,
    names_of,
)
from liaison.correlate.names import NameMatch, blocking_keys, cannot_match, match_names
from liaison.correlate.observables import observables_of
from liaison.correlate.text import KINDS
from liaison.db import Db
from liaison.errors import DeniedError, InvalidInputError

__all__ = [
    "LOCAL",
    "Candidate",
    "Correlation",
    "CorrelationConfig",
    "CorrelationIndex",
    "default_block_list",
    "names_of",
]

_TS_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$")


def _version_key(timestamp: str) -> str:
    """A STIX timestamp that sorts as a string: 00Z and 00.000Z are the same version."""
    m = _TS_RE.match(timestamp)
    if m is None:
        return timestamp
    return f"{m.group(1)}.{(m.group(2) or '').ljust(9, '0')}Z"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class CorrelationIndex:
    """Names and observables of indexed objects, and the correlations between them."""

    def __init__(self, conn: Db, config: CorrelationConfig | None = None) -> None:
        self._conn = conn
        self.config = config or CorrelationConfig()

    # --- plumbing -----------------------------------------------------------------------
    @contextmanager
    def _savepoint(self) -> Iterator[Db]:
        """All or nothing, inside the caller's transaction if there is one."""
        with self._conn.transaction():
            yield self._conn

    @staticmethod
    def _check_viewer(viewer: str) -> None:
        if viewer != LOCAL:
            raise DeniedError("correlations are local knowledge: only the local node reads them")

    # --- writing ------------------------------------------------------------------------
    def add(self, obj: Mapping[str, Any], source: str) -> list[Correlation]:
        """Index one object version from ``source`` (a party identity id or ``"local"``).

        Returns the correlations found for it. An older or equal version than the one
        indexed is ignored; a newer one replaces it; a revoked one is removed.
        """
        object_id = obj.get("id")
        if not isinstance(object_id, str) or not isinstance(obj.get("type"), str):
            raise InvalidInputError("a STIX object needs a string id and type")
        if not isinstance(source, str) or not source:
            raise InvalidInputError("source must be a party identity id or 'local'")
        modified = _version_key(str(obj.get("modified") or obj.get("created") or ""))
        with self._savepoint() as conn:
            row = conn.execute(
                "SELECT modified FROM corr_object WHERE object_id = ?", (object_id,)
            ).fetchone()
            if row is not None:
                if row[0] >= modified:
                    return []
                self._forget(conn, object_id)
            if obj.get("revoked") is True:
                return []
            conn.execute(
                "INSERT INTO corr_object (object_id, modified, source, type) VALUES (?, ?, ?, ?)",
                (object_id, modified, source, obj["type"]),
            )
            new_ids = self._add_observables(conn, object_id, obj)
            new_ids += self._add_names(conn, object_id, names_of(obj))
        return self._fetch(new_ids)

    def remove(self, object_id: str) -> None:
        """Forget an object and every correlation it takes part in."""
        with self._savepoint() as conn:
            self._forget(conn, object_id)

    def _forget(self, conn: Db, object_id: str) -> None:
        # Spellings and their keys stay: without objects they match nothing.
        conn.execute("DELETE FROM corr_name WHERE object_id = ?", (object_id,))
        conn.execute("DELETE FROM corr_observable WHERE object_id = ?", (object_id,))
        conn.execute(
            "DELETE FROM corr_correlation WHERE object_a = ? OR object_b = ?",
            (object_id, object_id),
        )
        conn.execute("DELETE FROM corr_object WHERE object_id = ?", (object_id,))

    def _link(
        self,
        conn: Db,
        a: str,
        b: str,
        kind: str,
        rule: str,
        score: float,
        value_a: str,
        value_b: str,
        explanation: str,
    ) -> int | None:
        if b < a:
            a, b, value_a, value_b = b, a, value_b, value_a
        row = conn.execute(
            "INSERT INTO corr_correlation (object_a, object_b, kind, rule, score,"
            " value_a, value_b, explanation, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING RETURNING id",
            (a, b, kind, rule, round(score, 4), value_a, value_b, explanation, _now()),
        ).fetchone()
        return None if row is None else int(row[0])

    def _add_observables(self, conn: Db, object_id: str, obj: Mapping[str, Any]) -> list[int]:
        cap = self.config.max_objects_per_value
        new: list[int] = []
        for kind, value in observables_of(obj, default_region=self.config.default_region):
            if self.config.blocked(kind, value):
                continue
            if conn.execute(
                "SELECT 1 FROM corr_saturated WHERE kind = ? AND value = ?", (kind, value)
            ).fetchone():
                continue
            others = [
                r[0]
                for r in conn.execute(
                    "SELECT object_id FROM corr_observable WHERE kind = ? AND value = ? LIMIT ?",
                    (kind, value, cap),
                )
            ]
            if len(others) + 1 > cap:
                # Over-correlation: this value stops correlating, for good.
                conn.execute(
                    "INSERT INTO corr_saturated (kind, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (kind, value),
                )
                conn.execute(
                    "DELETE FROM corr_correlation WHERE kind = 'observable' AND rule = ?"
                    " AND value_a = ?",
                    (f"exact-{kind}", value),
                )
                conn.execute(
                    "DELETE FROM corr_observable WHERE kind = ? AND value = ?", (kind, value)
                )
                continue
            conn.execute(
                "INSERT INTO corr_observable (kind, value, object_id) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (kind, value, object_id),
            )
            for other in others:
                if other == object_id:
                    continue
                cid = self._link(
                    conn, object_id, other, "observable", f"exact-{kind}", 1.0, value, value,
                    f"both hold {kind} {value} (after normalisation)",
                )  # fmt: skip
                if cid is not None:
                    new.append(cid)
        return new

    def _spellings(self, conn: Db, keys: Iterable[str]) -> builtins.list[tuple[int, str, str]]:
        """Distinct indexed spellings sharing a key, in one round trip.

        A key shared by more than ``max_candidates_per_key`` spellings is no evidence.
        """
        cap = self.config.max_candidates_per_key
        key_list = sorted(keys)
        if not key_list:
            return []
        per_key = " UNION ALL ".join(
            "SELECT * FROM (SELECT key, spelling_id FROM corr_spelling_key WHERE key = ?"
            " LIMIT ?) AS q"
            for _ in key_list
        )
        sql = (
            f"SELECT k.key, s.id, s.kind, s.name FROM ({per_key}) k"  # noqa: S608
            " JOIN corr_spelling s ON s.id = k.spelling_id"
        )
        params: builtins.list[object] = []
        for key in key_list:
            params += [key, cap + 1]
        rows = conn.execute(sql, params).fetchall()
        per: dict[str, int] = {}
        for row in rows:
            per[row[0]] = per.get(row[0], 0) + 1
        out: dict[int, tuple[int, str, str]] = {}
        for key, spelling_id, kind, name in rows:
            if per[key] <= cap:
                out[spelling_id] = (spelling_id, kind, name)
        return list(out.values())

    def _matches(
        self, conn: Db, name: str, kind: str, min_score: float | None = None
    ) -> builtins.list[tuple[int, str, NameMatch]]:
        """``(spelling id, spelling, match)`` for the indexed spellings that match ``name``."""
        found = []
        for spelling_id, other_kind, other_name in self._spellings(conn, blocking_keys(name, kind)):
            if other_kind != kind or (min_score is None and cannot_match(name, other_name, kind)):
                continue
            # Most candidates are dropped: decide first, explain only the ones kept.
            m = match_names(name, other_name, kind, explain=False)
            if m.same if min_score is None else m.score >= min_score:
                found.append((spelling_id, other_name, match_names(name, other_name, kind)))
        return found

    def _objects_of(
        self, conn: Db, spelling_id: int, limit: int | None = None
    ) -> builtins.list[str]:
        """Objects bearing a spelling: the first ``limit``, or -- when correlating -- none
        if more than ``max_objects_per_name`` do (a name everyone uses is no evidence)."""
        cap = self.config.max_objects_per_name if limit is None else limit
        rows = conn.execute(
            "SELECT object_id FROM corr_name WHERE spelling_id = ? LIMIT ?",
            (spelling_id, cap + 1 if limit is None else cap),
        ).fetchall()
        return [] if limit is None and len(rows) > cap else [r[0] for r in rows]

    def _spelling_id(self, conn: Db, kind: str, name: str) -> int:
        row = conn.execute(
            "SELECT id FROM corr_spelling WHERE kind = ? AND name = ?", (kind, name)
        ).fetchone()
        if row is not None:
            return int(row[0])
        spelling_id = conn.insert_id(
            "INSERT INTO corr_spelling (kind, name) VALUES (?, ?) RETURNING id", (kind, name)
        )
        conn.executemany(
            "INSERT INTO corr_spelling_key (key, spelling_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(k, spelling_id) for k in blocking_keys(name, kind)],
        )
        return spelling_id

    def _add_names(self, conn: Db, object_id: str, names: list[tuple[str, str]]) -> list[int]:
        best: dict[str, tuple[NameMatch, str, str]] = {}
        for kind, name in names:
            for spelling_id, other_name, m in self._matches(conn, name, kind):
                for other_id in self._objects_of(conn, spelling_id):
                    if other_id != object_id and (
                        other_id not in best or m.score > best[other_id][0].score
                    ):
                        best[other_id] = (m, name, other_name)
            conn.execute(
                "INSERT INTO corr_name (spelling_id, object_id) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING",
                (self._spelling_id(conn, kind, name), object_id),
            )
        new: list[int] = []
        for other_id, (m, name, other_name) in best.items():
            cid = self._link(
                conn, object_id, other_id, "name", m.rule, m.score, name, other_name,
                f"{name!r} ~ {other_name!r}: {m.explanation}",
            )  # fmt: skip
            if cid is not None:
                new.append(cid)
        return new

    def index_names(self, rows: Iterable[tuple[str, str, str, str]], batch: int = 20000) -> int:
        """Bulk-index ``(object_id, source, kind, name)`` rows without correlating them.

        For loading an existing store (and the benchmark); returns the rows indexed.
        """
        count = 0
        buffer: list[tuple[str, str, str, str]] = []

        def flush() -> None:
            with self._savepoint() as conn:
                conn.executemany(
                    "INSERT INTO corr_object (object_id, modified, source, type)"
                    " VALUES (?, '', ?, 'name') ON CONFLICT DO NOTHING",
                    [(r[0], r[1]) for r in buffer],
                )
                ids = {(r[2], r[3]): self._spelling_id(conn, r[2], r[3]) for r in buffer}
                conn.executemany(
                    "INSERT INTO corr_name (spelling_id, object_id) VALUES (?, ?)"
                    " ON CONFLICT DO NOTHING",
                    [(ids[(r[2], r[3])], r[0]) for r in buffer],
                )
            buffer.clear()

        for row in rows:
            if row[2] not in KINDS:
                raise InvalidInputError(f"unknown name kind {row[2]!r}")
            buffer.append(row)
            count += 1
            if len(buffer) >= batch:
                flush()
        if buffer:
            flush()
        return count

    # --- reading (local node only) ------------------------------------------------------
    _SELECT = (
        "SELECT c.id, c.object_a, c.object_b, COALESCE(oa.source, ''), COALESCE(ob.source, ''),"
        " c.kind, c.rule, c.score, c.value_a, c.value_b, c.explanation, c.created"
        " FROM corr_correlation c"
        " LEFT JOIN corr_object oa ON oa.object_id = c.object_a"
        " LEFT JOIN corr_object ob ON ob.object_id = c.object_b"
    )

    def _fetch(self, ids: list[int]) -> list[Correlation]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._conn.execute(f"{self._SELECT} WHERE c.id IN ({marks}) ORDER BY c.id", ids)
        return [Correlation(*r) for r in rows]

    def correlations_for(
        self, object_id: str, *, viewer: str = LOCAL
    ) -> builtins.list[Correlation]:
        """Every correlation ``object_id`` takes part in, strongest first."""
        self._check_viewer(viewer)
        rows = self._conn.execute(
            f"{self._SELECT} WHERE c.object_a = ? OR c.object_b = ? ORDER BY c.score DESC, c.id",
            (object_id, object_id),
        ).fetchall()
        return [Correlation(*r) for r in rows]

    def list(self, limit: int = 100, offset: int = 0, *, viewer: str = LOCAL) -> list[Correlation]:
        """Correlations, newest first."""
        self._check_viewer(viewer)
        if limit < 0 or offset < 0:
            raise InvalidInputError("limit and offset must not be negative")
        rows = self._conn.execute(
            f"{self._SELECT} ORDER BY c.id DESC LIMIT ? OFFSET ?", (limit, offset)
        ).fetchall()
        return [Correlation(*r) for r in rows]

    def count(self, *, viewer: str = LOCAL) -> int:
        self._check_viewer(viewer)
        return int(self._conn.execute("SELECT COUNT(*) FROM corr_correlation").fetchone()[0])

    def query_name(
        self,
        name: str,
        kind: str | None = None,
        *,
        limit: int = 20,
        min_score: float | None = None,
        viewer: str = LOCAL,
    ) -> builtins.list[Candidate]:
        """Indexed names that match ``name`` (``min_score``: also near misses), best first."""
        self._check_viewer(viewer)
        kinds = (kind,) if kind else KINDS
        found: builtins.list[Candidate] = []
        for k in kinds:
            for spelling_id, other_name, m in self._matches(self._conn, name, k, min_score):
                found.extend(
                    Candidate(object_id, "", other_name, k, m)
                    for object_id in self._objects_of(self._conn, spelling_id, limit)
                )
        found.sort(key=lambda c: (-c.match.score, c.object_id, c.name))
        found = found[:limit]
        marks = ",".join("?" * len(found))
        sql = f"SELECT object_id, source FROM corr_object WHERE object_id IN ({marks})"  # noqa: S608
        sources = dict(self._conn.execute(sql, [c.object_id for c in found]).fetchall())
        return [
            Candidate(c.object_id, sources.get(c.object_id, ""), c.name, c.kind, c.match)
            for c in found
        ]
