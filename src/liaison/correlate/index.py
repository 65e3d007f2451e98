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
spelling once however many reports use it; it scores at most ``max_scored_per_name``
spellings per name (``lookup``).

Two steps, so that the costly one holds no lock (issue #15): ``plan`` only reads -- it
matches the names of a batch of objects against the index and against one another --
and ``apply`` writes what the plan found, a few statements per object, in one
transaction. ``add`` does both in one transaction. Applying a plan is idempotent (an
object version already indexed is ignored); the caller must apply it on the state it was
planned on (the correlation worker checks that no other batch was applied meanwhile).
"""

from __future__ import annotations

import builtins
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from liaison.correlate.lookup import Found, Lookup, Overlay, stored_spellings
from liaison.correlate.model import (
    LOCAL,
    Candidate,
    Correlation,
    CorrelationConfig,
    LeanObject,
    default_block_list,
    names_of,
)
from liaison.correlate.names import NameMatch, blocking_keys, lookup_keys
from liaison.correlate.observables import observables_of
from liaison.correlate.text import KINDS
from liaison.db import Db
from liaison.errors import DeniedError, InvalidInputError, StorageError

__all__ = [
    "LOCAL",
    "Candidate",
    "Correlation",
    "CorrelationConfig",
    "CorrelationIndex",
    "Planned",
    "default_block_list",
    "names_of",
]

_TS_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$")


@lru_cache(maxsize=4096)
def _version_key(timestamp: str) -> str:
    """A STIX timestamp that sorts as a string: 00Z and 00.000Z are the same version.

    Remembered: the versions of a batch often share a timestamp, and ``plan`` and
    ``apply`` both ask."""
    m = _TS_RE.match(timestamp)
    if m is None:
        return timestamp
    return f"{m.group(1)}.{(m.group(2) or '').ljust(9, '0')}Z"


def _modified_of(obj: Mapping[str, Any]) -> str:
    """The version of an object as the index keeps it (``corr_object.modified``)."""
    return _version_key(str(obj.get("modified") or obj.get("created") or ""))


def _supersedes(held: Mapping[str, str], object_id: str, modified: str) -> bool:
    """Whether version ``modified`` of ``object_id`` is indexed in place of what
    ``held`` (the indexed version of each id) has: none, or an older one."""
    previous = held.get(object_id)
    return previous is None or previous < modified


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _check(obj: Mapping[str, Any], source: str) -> None:
    if not isinstance(obj.get("id"), str) or not isinstance(obj.get("type"), str):
        raise InvalidInputError("a STIX object needs a string id and type")
    if not isinstance(source, str) or not source:
        raise InvalidInputError("source must be a party identity id or 'local'")


class Planned(NamedTuple):
    """One object version to index, and the indexed spellings its names match.

    A named tuple: one is made per object planned, and a frozen dataclass's
    ``__init__`` (an ``object.__setattr__`` a field) cost 2 % of the correlator's CPU."""

    obj: Mapping[str, Any]
    source: str
    #: ``(kind, name)`` -> matching spellings; absent: the version is not to be indexed.
    found: Mapping[tuple[str, str], builtins.list[Found]]
    #: Its observables, not blocked (``observables_of``, read while planning: no lock
    #: held); None: found when applied.
    observables: tuple[tuple[str, str], ...] | None = None
    #: Its names (``names_of``); None: read when applied.
    names: builtins.list[tuple[str, str]] | None = None
    #: What the plan read of the index before its first object (shared by the versions
    #: of one plan): ``apply(…, as_planned=True)`` uses it instead of reading it again.
    state: PlanState | None = None


@dataclass(frozen=True)
class PlanState:
    """What a plan read of the index before its first object: the indexed version of
    each id of the plan that has one, and of the spellings it asked about (``asked``:
    its objects' names), the id of each that is stored."""

    held: Mapping[str, str]
    spellings: Mapping[tuple[str, str], int]
    asked: AbstractSet[tuple[str, str]]


#: A correlation to store: object_a, object_b, kind, rule, score, value_a, value_b,
#: explanation (``CorrelationIndex._link``).
_Link = tuple[str, str, str, str, float, str, str, str]


@dataclass
class _Batch:
    """What ``apply`` keeps in hand for one batch: the indexed version of each id, the
    saturated values among the batch's observables, and the rows to write at the end.

    Rows of ``corr_object``, ``corr_observable``, ``corr_name`` and ``corr_spelling_key``
    are written once the batch ends, a few statements for the whole batch (issue #15:
    one statement a row was a round trip and a parse on both sides). Until then what
    the batch reads of them goes through here: ``held``, ``observers`` and ``bearers``
    answer as the tables would if each row had been written at once -- the rows stored
    (read once, and read again after a ``forget``) with the batch's own.
    """

    held: dict[str, str]
    #: The saturated values among ``checked`` (the values whose state is known).
    saturated: set[tuple[str, str]]
    checked: set[tuple[str, str]]
    objects: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    #: The id of each stored spelling among ``asked`` (the batch's names and the
    #: spellings its plan found), kept up to date as the batch stores spellings.
    spellings: dict[tuple[str, str], int] = field(default_factory=dict)
    asked: set[tuple[str, str]] = field(default_factory=set)
    #: Spellings of the batch's names stored ahead, in one statement (``_store_ahead``),
    #: each taken by the first of its names indexed: until then, as if not stored.
    ahead: dict[tuple[str, str], int] = field(default_factory=dict)
    #: Stored ``corr_observable`` objects of a value (at most ``max_objects_per_value``)
    #: and ``corr_name`` objects of a spelling (at most ``max_objects_per_name + 1``).
    stored_observers: dict[tuple[str, str], builtins.list[str]] = field(default_factory=dict)
    stored_bearers: dict[int, builtins.list[str]] = field(default_factory=dict)
    #: Rows to write: value -> objects, spelling id -> objects, (key, spelling id).
    observers: dict[tuple[str, str], dict[str, None]] = field(default_factory=dict)
    bearers: dict[int, dict[str, None]] = field(default_factory=dict)
    keys: dict[tuple[str, int], None] = field(default_factory=dict)

    def is_saturated(self, conn: Db, value: tuple[str, str]) -> bool:
        if value not in self.checked:  # a version planned without its observables
            self.checked.add(value)
            self.saturated.update(CorrelationIndex._saturated(conn, [value]))
        return value in self.saturated

    def read_observers(self, conn: Db, values: Sequence[tuple[str, str]], cap: int) -> None:
        """Read the stored objects of these values (up to ``cap`` each), a query a chunk."""
        todo = [v for v in values if v not in self.stored_observers]
        if not todo:  # read already (``observers_of`` asks for each value it checks)
            return
        found: builtins.list[builtins.list[str]] = [[] for _ in todo]
        # Every row of a value: a value held by more than ``cap`` objects saturates
        # and loses its rows, so there are no more than ``cap`` -- the first ``cap`` in
        # ``object_id`` order, as ``LIMIT cap`` on the primary key finds them.
        rows = conn.select_each("corr_observable", ("kind", "value"), ("object_id",), todo)
        for i, object_id in rows:
            found[int(i)].append(str(object_id))
        self.stored_observers.update((v, sorted(f)[:cap]) for v, f in zip(todo, found, strict=True))

    def observers_of(self, conn: Db, value: tuple[str, str], cap: int) -> builtins.list[str]:
        """The objects holding ``value``, as ``SELECT … LIMIT cap`` would find them once the
        batch's rows are written: in ``object_id`` order (SQLite's, the primary key's)."""
        self.read_observers(conn, [value], cap)
        held = self.stored_observers[value]
        mine = [o for o in self.observers.get(value, ()) if o not in held]
        return sorted(held + mine)[:cap]

    def bearers_of(self, conn: Db, spelling_id: int, cap: int) -> builtins.list[str]:
        """The objects bearing a spelling (``cap`` of them at most), in ``object_id``
        order, as ``corr_name`` would hold them once the batch's rows are written."""
        held = self.stored_bearers.get(spelling_id)
        if held is None:
            held = [
                str(r[0])
                for r in conn.execute(
                    "SELECT object_id FROM corr_name WHERE spelling_id = ? LIMIT ?",
                    (spelling_id, cap),
                ).fetchall()
            ]
            self.stored_bearers[spelling_id] = held
        mine = [o for o in self.bearers.get(spelling_id, ()) if o not in held]
        return sorted(held + mine)[:cap]

    def forget(self, object_id: str) -> None:
        """``object_id`` left the index: its rows to write go, and what was read of the
        stored rows is read again when next asked."""
        for rows in (*self.observers.values(), *self.bearers.values()):
            rows.pop(object_id, None)
        self.objects.pop(object_id, None)
        self.stored_observers.clear()
        self.stored_bearers.clear()

    def saturate(self, value: tuple[str, str]) -> None:
        """``value`` stopped correlating: nobody holds it any more."""
        self.saturated.add(value)
        self.observers.pop(value, None)
        self.stored_observers[value] = []

    def flush_keys(self, conn: Db) -> None:
        """Write the blocking keys of the spellings stored so far (a lookup reads them)."""
        conn.insert_new("corr_spelling_key", ("key", "spelling_id"), list(self.keys))
        self.keys.clear()

    def flush(self, conn: Db) -> None:
        self.flush_keys(conn)
        names = [(s, o) for s, objects in self.bearers.items() for o in objects]
        conn.insert_new("corr_name", ("spelling_id", "object_id"), names)
        self.bearers.clear()
        observed = [(k, v, o) for (k, v), objects in self.observers.items() for o in objects]
        conn.insert_new("corr_observable", ("kind", "value", "object_id"), observed)
        self.observers.clear()
        if self.objects:
            # A plain insert: one COPY on PostgreSQL (``insert_new``'s statement took
            # twice as long there), and a version indexed already fails loudly.
            conn.executemany(
                "INSERT INTO corr_object (object_id, modified, source, type) VALUES (?, ?, ?, ?)",
                list(self.objects.values()),
            )
            self.objects.clear()


class CorrelationIndex:
    """Names and observables of indexed objects, and the correlations between them."""

    def __init__(self, conn: Db, config: CorrelationConfig | None = None) -> None:
        self._conn = conn
        self.config = config or CorrelationConfig()
        self._lookup = Lookup(self.config)

    @property
    def scored(self) -> int:
        """How many candidate spellings have been scored against a name, in all."""
        return self._lookup.scored

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
        _check(obj, source)
        with self._savepoint():
            new_ids = self.apply(self.plan([(obj, source)]), as_planned=True, savepoint=False)[0]
        return self._fetch(new_ids)

    def plan(
        self,
        items: Sequence[tuple[Mapping[str, Any], str]],
        *,
        seconds: float | None = None,
        wall: float | None = None,
    ) -> builtins.list[Planned]:
        """Match the names of these object versions, in order, without writing anything.

        Each object is matched against the index and against the objects before it in
        ``items``, as ``add`` one by one would. With ``seconds``, planning stops once
        this thread has spent that much CPU time on it, or ``wall`` seconds (by default
        ``seconds``) have passed on the clock (after one object at least): the plan
        covers a prefix. (On the wall clock alone, a correlator at a lower priority on
        a busy machine -- ``serve``'s child -- planned short batches, whose writes each
        rewrite nearly as many pages as a long one's: issue #15.)
        """
        for obj, source in items:
            _check(obj, source)
        conn = self._conn
        start = time.perf_counter()
        cpu = time.thread_time()
        budget = max(seconds or 0.0, wall or 0.0)  # on the wall clock
        # When to look at the CPU clock (a system call, 3.5 µs in a VM): no sooner
        # than this thread could have spent ``seconds`` (the wall clock's time is
        # at least the thread's).
        look = start + (seconds or 0.0)
        versions = self._held(conn, sorted({str(obj["id"]) for obj, _ in items}))
        overlay = Overlay()
        # What the store holds of the batch's names and their lookup keys, read at once.
        named = [[] if obj.__class__ is LeanObject else names_of(obj) for obj, _ in items]
        every = [kn for names in named for kn in names]
        overlay.prefetch(conn, every)
        state = PlanState(dict(versions), overlay.stored_names, overlay.asked_names)
        self._lookup.prefetch(
            conn, (k for kind, name in every for k in lookup_keys(name, kind)), overlay
        )
        out: builtins.list[Planned] = []
        for (obj, source), names in zip(items, named, strict=True):
            if out and seconds is not None and (now := time.perf_counter()) > look:
                if now - start > budget:
                    break
                spent = time.thread_time() - cpu
                if spent > seconds:
                    break
                look = now + seconds - spent
            object_id = str(obj["id"])
            modified = _version_key(str(obj.get("modified") or obj.get("created") or ""))
            held = versions.get(object_id)
            if (held is not None and held >= modified) or obj.get("revoked") is True:
                if held is not None and held < modified:
                    del versions[object_id]  # a newer, revoked version: removed
                out.append(Planned(obj, source, {}, state=state))
                continue
            versions[object_id] = modified
            found: dict[tuple[str, str], builtins.list[Found]] = {}
            for kind, name in names:
                keys = lookup_keys(name, kind)
                found[(kind, name)] = self._lookup.matches(conn, name, kind, keys, overlay=overlay)
                overlay.add(conn, kind, name)
            observables = () if obj.__class__ is LeanObject else self._observables(obj)
            out.append(Planned(obj, source, found, observables, names, state))
        return out

    def _observables(self, obj: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
        """The observables of an object that the block list lets correlate."""
        region = self.config.default_region
        blocked = self.config.blocked
        return tuple(
            (kind, value)
            for kind, value in observables_of(obj, default_region=region)
            if not blocked(kind, value)
        )

    def apply(
        self, planned: Sequence[Planned], *, as_planned: bool = False, savepoint: bool = True
    ) -> builtins.list[builtins.list[int]]:
        """Index planned object versions in one transaction; the new correlation ids of
        each. Idempotent: a version already indexed is ignored.

        ``as_planned``: the caller knows that the index is still as the plan read it --
        nothing was applied since (``mark_correlated`` checked it: the correlation
        worker) -- so what the plan read of it (the versions indexed, the names stored)
        is used rather than read again (issue #15: read twice, 9 % of the worker's CPU).

        ``savepoint=False``: inside a transaction, the caller's is all or nothing for
        this batch -- a failure rolls it back whole (the correlation worker's, through
        ``mark_correlated``) -- so the batch opens no savepoint of its own. On SQLite a
        savepoint copies each page the batch then changes into a sub-journal, once
        per page -- 16 KiB each, past 64 KiB into a file: with small batches on
        random-key indexes, about a page a row and index (issue #15).
        """
        state = planned[0].state if planned and as_planned else None
        if state is not None and any(p.state is not state for p in planned):
            state = None  # versions of several plans: read what they need
        joined = not savepoint and self._conn.in_transaction
        with nullcontext(self._conn) if joined else self._savepoint() as conn:
            ids = sorted({str(p.obj["id"]) for p in planned})
            if state is None:
                held = self._held(conn, ids)
            else:
                held = {i: state.held[i] for i in ids if i in state.held}
            values = {o for p in planned if p.observables for o in p.observables}
            batch = _Batch(held, self._saturated(conn, sorted(values)), values)
            batch.read_observers(
                conn, sorted(values - batch.saturated), self.config.max_objects_per_value
            )
            asked = {kn for p in planned for kn in (p.names or [])}
            asked.update(
                (s.kind, s.name)
                for p in planned
                for found in p.found.values()
                for s, _ in found
                if s.id is None
            )
            batch.asked = asked
            if state is not None and asked <= state.asked:
                known = state.spellings
                batch.spellings = {kn: known[kn] for kn in asked if kn in known}
            else:
                batch.spellings = stored_spellings(conn, sorted(asked))
            self._store_ahead(conn, planned, batch)
            new_ids = [self._apply(conn, p, batch) for p in planned]
            if batch.ahead:  # not taken (cannot happen): gone, as if never stored
                conn.executemany(
                    "DELETE FROM corr_spelling WHERE id = ?", [(i,) for i in batch.ahead.values()]
                )
            batch.flush(conn)
            return new_ids

    @staticmethod
    def _store_ahead(conn: Db, planned: Sequence[Planned], batch: _Batch) -> None:
        """Store at once the spellings the batch's versions will index that are not
        stored yet -- the names of the versions ``_apply`` indexes (newer than the one
        held, not revoked), in the order it reaches them, so that they get the ids one
        ``INSERT`` each gave them (issue #15: 1,305 round trips for 20,000 objects on
        PostgreSQL). A name whose row conflicts is left to ``_spelling_id``."""
        held = dict(batch.held)
        names: dict[tuple[str, str], None] = {}
        for p in planned:
            object_id, modified = str(p.obj["id"]), _modified_of(p.obj)
            if not _supersedes(held, object_id, modified):
                continue
            held.pop(object_id, None)
            if p.obj.get("revoked") is True:
                continue
            held[object_id] = modified
            names.update((kn, None) for kn in p.names or () if kn not in batch.spellings)
        wanted = list(names)
        ids = conn.insert_ids("corr_spelling", ("kind", "name"), wanted)
        batch.ahead = {kn: i for kn, i in zip(wanted, ids, strict=True) if i is not None}

    @staticmethod
    def _saturated(conn: Db, values: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these observables are saturated (``Db.select_each``; matched by
        position, as ``stored_spellings`` is: PostgreSQL keeps a NUL as U+FFFD)."""
        found = conn.select_each("corr_saturated", ("kind", "value"), ("kind",), values)
        return {values[int(r[0])] for r in found}

    @staticmethod
    def _held(conn: Db, ids: builtins.list[str]) -> dict[str, str]:
        """The indexed version of each of these ids that has one (``Db.select_each``:
        one ``IN`` list instead cost PostgreSQL a millisecond more a batch of 500)."""
        found = conn.select_each("corr_object", ("object_id",), ("modified",), [(x,) for x in ids])
        return {ids[int(i)]: str(m) for i, m in found}

    def _apply(self, conn: Db, p: Planned, batch: _Batch) -> builtins.list[int]:
        """Index one planned version; ``batch`` (the indexed version of each id, the
        saturated values) is kept up to date for the versions after it."""
        obj = p.obj
        held = batch.held
        object_id = str(obj["id"])
        modified = _modified_of(obj)
        if not _supersedes(held, object_id, modified):
            return []
        if object_id in held:
            self._forget(conn, object_id, batch)
            del held[object_id]
        if obj.get("revoked") is True:
            return []
        # Read by nothing but ``held`` until the batch ends: written then, at once.
        batch.objects[object_id] = (object_id, modified, p.source, obj["type"])
        held[object_id] = modified
        observables = p.observables if p.observables is not None else self._observables(obj)
        new_ids = self._add_observables(conn, object_id, observables, batch)
        names = p.names if p.names is not None else names_of(obj)
        return new_ids + self._add_names(conn, object_id, names, p.found, batch)

    def remove(self, object_id: str) -> None:
        """Forget an object and every correlation it takes part in."""
        with self._savepoint() as conn:
            self._forget(conn, object_id)

    def _forget(self, conn: Db, object_id: str, batch: _Batch | None = None) -> None:
        # Spellings and their keys stay: without objects they match nothing.
        if batch is not None:
            batch.forget(object_id)
        conn.execute("DELETE FROM corr_name WHERE object_id = ?", (object_id,))
        conn.execute("DELETE FROM corr_observable WHERE object_id = ?", (object_id,))
        conn.execute(
            "DELETE FROM corr_correlation WHERE object_a = ? OR object_b = ?",
            (object_id, object_id),
        )
        conn.execute("DELETE FROM corr_object WHERE object_id = ?", (object_id,))

    #: Correlations inserted by one statement (9 parameters each).
    _LINKS_PER_STATEMENT = 100

    @classmethod
    def _link(cls, conn: Db, links: builtins.list[_Link]) -> builtins.list[int]:
        """Store these correlations, in order, skipping those already stored; the ids
        of the new ones, in that order. One statement per ``_LINKS_PER_STATEMENT``: ids
        are numbered in the order rows are inserted, so the new ids sorted are in the
        order of ``links``."""
        if not links:
            return []
        now = _now()
        rows: builtins.list[tuple[str, str, str, str, float, str, str, str, str]] = []
        for a, b, kind, rule, score, value_a, value_b, explanation in links:
            if b < a:
                a, b, value_a, value_b = b, a, value_b, value_a
            rows.append((a, b, kind, rule, round(score, 4), value_a, value_b, explanation, now))
        new: builtins.list[int] = []
        for start in range(0, len(rows), cls._LINKS_PER_STATEMENT):
            chunk = rows[start : start + cls._LINKS_PER_STATEMENT]
            values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
            found = conn.execute(
                "INSERT INTO corr_correlation (object_a, object_b, kind, rule, score,"  # noqa: S608
                f" value_a, value_b, explanation, created) VALUES {values}"
                " ON CONFLICT DO NOTHING RETURNING id",
                [x for row in chunk for x in row],
            ).fetchall()
            new.extend(sorted(int(r[0]) for r in found))
        return new

    def _add_observables(
        self,
        conn: Db,
        object_id: str,
        observables: Iterable[tuple[str, str]],
        batch: _Batch,
    ) -> list[int]:
        """Index an object's observables (not blocked); ``batch`` knows which values
        are saturated, and learns those this saturates."""
        cap = self.config.max_objects_per_value
        new: list[int] = []
        for kind, value in observables:
            if batch.is_saturated(conn, (kind, value)):
                continue
            others = batch.observers_of(conn, (kind, value), cap)
            if len(others) + 1 > cap:
                # Over-correlation: this value stops correlating, for good.
                batch.saturate((kind, value))
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
            batch.observers.setdefault((kind, value), {})[object_id] = None  # written at the end
            explanation = f"both hold {kind} {value} (after normalisation)"
            rule = f"exact-{kind}"
            new += self._link(
                conn,
                [
                    (object_id, other, "observable", rule, 1.0, value, value, explanation)
                    for other in others
                    if other != object_id
                ],
            )
        return new

    def _objects_of(
        self, conn: Db, spelling_id: int, limit: int | None = None, batch: _Batch | None = None
    ) -> builtins.list[str]:
        """Objects bearing a spelling: the first ``limit``, or -- when correlating -- none
        if more than ``max_objects_per_name`` do (a name everyone uses is no evidence)."""
        cap = self.config.max_objects_per_name if limit is None else limit
        wanted = cap + 1 if limit is None else cap
        if batch is not None:
            rows = batch.bearers_of(conn, spelling_id, wanted)
        else:
            sql = "SELECT object_id FROM corr_name WHERE spelling_id = ? LIMIT ?"
            rows = [r[0] for r in conn.execute(sql, (spelling_id, wanted)).fetchall()]
        return [] if limit is None and len(rows) > cap else rows

    @staticmethod
    def _stored_spelling(conn: Db, kind: str, name: str, batch: _Batch | None) -> int | None:
        """The id of a stored spelling, or None (``batch`` remembers those it knows of)."""
        if batch is not None and (kind, name) in batch.spellings:
            return batch.spellings[(kind, name)]
        if batch is not None and (kind, name) in batch.ahead:
            return None  # stored ahead of its name: not yet for what comes before it
        row = conn.execute(
            "SELECT id FROM corr_spelling WHERE kind = ? AND name = ?", (kind, name)
        ).fetchone()
        if row is None:
            return None
        if batch is not None:
            batch.spellings[(kind, name)] = int(row[0])
        return int(row[0])

    def _spelling_id(self, conn: Db, kind: str, name: str, batch: _Batch | None = None) -> int:
        """The id of a spelling, stored with its blocking keys if it is new."""
        if batch is not None and (kind, name) in batch.asked:
            # Read with the batch: stored then, or not (stored by this batch since:
            # remembered in ``batch.spellings``).
            found = batch.spellings.get((kind, name))
            if found is not None:
                return found
            # Not stored when the batch began. The store may still hold it in another
            # form (PostgreSQL keeps a NUL as U+FFFD: two names of the batch can be one
            # spelling there); then the row is there, and it is read.
            ahead = batch.ahead.pop((kind, name), None)
            row = (
                (ahead,)
                if ahead is not None
                else conn.execute(
                    "INSERT INTO corr_spelling (kind, name) VALUES (?, ?)"
                    " ON CONFLICT DO NOTHING RETURNING id",
                    (kind, name),
                ).fetchone()
            )
            if row is None:
                stored = self._stored_spelling(conn, kind, name, None)
                if stored is None:
                    raise StorageError(f"spelling {kind} {name!r}: neither stored nor new")
                batch.spellings[(kind, name)] = stored
                return stored
            spelling_id = int(row[0])
        else:
            stored = self._stored_spelling(conn, kind, name, batch)
            if stored is not None:
                return stored
            spelling_id = conn.insert_id(
                "INSERT INTO corr_spelling (kind, name) VALUES (?, ?) RETURNING id", (kind, name)
            )
        keys = [(k, spelling_id) for k in blocking_keys(name, kind)]
        if batch is not None:
            batch.keys.update(dict.fromkeys(keys))  # written at the end (or before a lookup)
            batch.spellings[(kind, name)] = spelling_id
        else:
            conn.executemany(
                "INSERT INTO corr_spelling_key (key, spelling_id) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING",
                keys,
            )
        return spelling_id

    def _add_names(
        self,
        conn: Db,
        object_id: str,
        names: builtins.list[tuple[str, str]],
        planned: Mapping[tuple[str, str], builtins.list[Found]],
        batch: _Batch | None = None,
    ) -> builtins.list[int]:
        best: dict[str, tuple[NameMatch, str, str]] = {}
        for kind, name in names:
            found = planned.get((kind, name))
            if found is None:  # not planned (no plan says the version is new): look now
                if batch is not None:
                    batch.flush_keys(conn)
                found = self._lookup.matches(conn, name, kind, lookup_keys(name, kind))
            for spelling, m in found:
                spelling_id = spelling.id
                if spelling_id is None:  # planned in this batch: stored by now
                    spelling_id = self._stored_spelling(conn, spelling.kind, spelling.name, batch)
                    if spelling_id is None:
                        continue
                for other_id in self._objects_of(conn, spelling_id, None, batch):
                    if other_id != object_id and (
                        other_id not in best or m.score > best[other_id][0].score
                    ):
                        best[other_id] = (m, name, spelling.name)
            spelling_id = self._spelling_id(conn, kind, name, batch)
            if batch is not None:
                batch.bearers.setdefault(spelling_id, {})[object_id] = None  # written at the end
            else:
                conn.execute(
                    "INSERT INTO corr_name (spelling_id, object_id) VALUES (?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (spelling_id, object_id),
                )
        return self._link(
            conn,
            [
                (object_id, other_id, "name", m.rule, m.score, name, other_name,
                 f"{name!r} ~ {other_name!r}: {m.explanation}")
                for other_id, (m, name, other_name) in best.items()
            ],
        )  # fmt: skip

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
            keys = lookup_keys(name, k)
            for spelling, m in self._lookup.matches(self._conn, name, k, keys, min_score=min_score):
                if spelling.id is None:
                    continue
                found.extend(
                    Candidate(object_id, "", spelling.name, k, m)
                    for object_id in self._objects_of(self._conn, spelling.id, limit)
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
