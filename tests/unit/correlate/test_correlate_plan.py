"""Planning a batch without writing, then applying it; bounded lookups (issue #15)."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.correlate import CorrelationConfig, CorrelationIndex, blocking_keys
from liaison.correlate.names import lookup_keys
from liaison.store.db import SqliteDb
from liaison.store.sqlite import open_db

PARTY = "identity--a0000000-0000-4000-8000-00000000000a"
STAMPS = ("2026-03-01T00:00:00.000Z", "2026-03-02T00:00:00.000Z", "2026-03-03T00:00:00.000Z")
# Names that match one another in many ways: spellings, scripts, aliases, acronyms,
# numbers, kinship chains; and one phone and one address shared by several objects.
POOL = (
    ("person", "Iyad Ag Ghali"),
    ("person", "Iyad ag Ghaly"),
    ("person", "إياد أغ غالي"),
    ("person", "Mohamed Ould Sidi"),
    ("person", "Sidi Ould Mohamed"),
    ("organization", "Katiba Macina"),
    ("organization", "Katibat Macina"),
    ("organization", "KM"),
    ("organization", "JNIM"),
    ("organization", "Jama'at Nusrat al-Islam wal-Muslimin"),
    ("organization", "Réseau 7"),
    ("organization", "Reseau 7"),
    ("organization", "Réseau 77"),
    ("organization", "Katiba 3"),
    ("organization", "كتيبة 3"),
)


def obj(n: int, name: int, stamp: int = 0, revoked: bool = False, extra: int = 0) -> dict[str, Any]:
    kind, text = POOL[name % len(POOL)]
    out: dict[str, Any] = {
        "type": "threat-actor",
        "spec_version": "2.1",
        "id": f"threat-actor--00000000-0000-4000-8000-{n:012d}",
        "created": STAMPS[0],
        "modified": STAMPS[stamp],
        "name": text,
        "aliases": [POOL[(name + 5) % len(POOL)][1]] if extra == 1 else [],
    }
    if kind == "person":
        out["resource_level"] = "individual"
    if extra == 2:
        out["x_phone"] = "+223 76 12 34 56"
    if extra == 3:
        out["x_email"] = "contact@katiba-macina.ml"
    if revoked:
        out["revoked"] = True
    return out


def dump(conn: SqliteDb) -> dict[str, list[tuple[Any, ...]]]:
    """Everything the index holds, without generated ids and times."""
    queries = {
        "objects": "SELECT object_id, modified, source, type FROM corr_object",
        "names": "SELECT s.kind, s.name, n.object_id FROM corr_name n"
        " JOIN corr_spelling s ON s.id = n.spelling_id",
        "spellings": "SELECT kind, name FROM corr_spelling",
        "keys": "SELECT k.key, s.name FROM corr_spelling_key k"
        " JOIN corr_spelling s ON s.id = k.spelling_id",
        "observables": "SELECT kind, value, object_id FROM corr_observable",
        "saturated": "SELECT kind, value FROM corr_saturated",
        "correlations": "SELECT object_a, object_b, kind, rule, score, value_a, value_b,"
        " explanation FROM corr_correlation",
    }
    return {k: sorted(tuple(r) for r in conn.execute(q).fetchall()) for k, q in queries.items()}


@pytest.fixture
def conn() -> Iterator[SqliteDb]:
    c = open_db(":memory:")
    yield c
    c.close()


EVENTS = st.lists(
    st.tuples(
        st.integers(0, 7),  # object
        st.integers(0, len(POOL) - 1),  # name
        st.integers(0, 2),  # version
        st.sampled_from([False, False, False, True]),  # revoked
        st.integers(0, 3),  # aliases, phone, e-mail
    ),
    min_size=1,
    max_size=14,
)
SMALL = CorrelationConfig(max_objects_per_value=3, max_candidates_per_key=3, max_scored_per_name=2)


@settings(max_examples=60, deadline=None)
@given(events=EVENTS, size=st.integers(1, 6), small=st.booleans(), as_planned=st.booleans())
def test_a_planned_batch_finds_what_adding_one_by_one_finds(
    events: list[tuple[int, int, int, bool, int]], size: int, small: bool, as_planned: bool
) -> None:
    """The plan of a batch reads only the index: the batch's own names live in an
    overlay. Applied, it leaves the index exactly as ``add`` one object after another
    (with the bounds too: the overlay counts as stored, after the stored spellings) --
    also when applied with what its plan read (``as_planned``), not read again."""
    config = SMALL if small else CorrelationConfig(max_objects_per_value=3)
    objs = [obj(n, name, stamp, revoked, extra) for n, name, stamp, revoked, extra in events]
    one_by_one, batched = open_db(":memory:"), open_db(":memory:")
    try:
        a = CorrelationIndex(one_by_one, config)
        for o in objs:
            a.add(o, PARTY)
        b = CorrelationIndex(batched, config)
        for start in range(0, len(objs), size):
            planned = b.plan([(o, PARTY) for o in objs[start : start + size]])
            b.apply(planned, as_planned=as_planned)
        assert dump(batched) == dump(one_by_one)
        assert b.scored == a.scored
        ordered = "SELECT id, object_a, object_b, kind, value_a, value_b FROM corr_correlation"
        assert (  # found in the same order, under the same ids
            batched.execute(f"{ordered} ORDER BY id").fetchall()
            == one_by_one.execute(f"{ordered} ORDER BY id").fetchall()
        )
    finally:
        one_by_one.close()
        batched.close()


def test_planning_writes_nothing_and_applying_twice_changes_nothing(conn: SqliteDb) -> None:
    index = CorrelationIndex(conn)
    index.add(obj(1, 0), PARTY)  # Iyad Ag Ghali
    before = dump(conn)
    planned = index.plan([(obj(2, 1), PARTY), (obj(3, 2), PARTY), (obj(4, 5), PARTY)])
    assert dump(conn) == before
    assert not conn.in_transaction
    first = index.apply(planned)
    assert [len(ids) for ids in first] == [1, 2, 0]  # Ghaly ~ Ghali; the Arabic ~ both
    after = dump(conn)
    assert index.apply(planned) == [[], [], []]  # idempotent: the versions are indexed
    assert dump(conn) == after


def test_a_plan_stops_after_its_time_but_covers_one_object(conn: SqliteDb) -> None:
    index = CorrelationIndex(conn)
    items = [(obj(n, n), PARTY) for n in range(5)]
    assert len(index.plan(items, seconds=0.0)) == 1
    assert len(index.plan(items, seconds=60.0)) == 5


def test_a_plan_counts_its_cpu_time_within_a_bound_on_the_clock(
    conn: SqliteDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Waiting for a core (a correlator at a lower priority on a busy machine) does not
    cut a plan short -- its CPU time does -- unless the clock passes ``wall``: each
    object here lasts 30 ms on the clock and 1 ms of the thread's CPU time."""
    import liaison.correlate.index as module

    clock = {"wall": 0.0, "cpu": 0.0}

    def perf_counter() -> float:
        clock["wall"] += 0.03
        return clock["wall"]

    def thread_time() -> float:
        clock["cpu"] += 0.001
        return clock["cpu"]

    fake = SimpleNamespace(perf_counter=perf_counter, thread_time=thread_time)
    monkeypatch.setattr(module, "time", fake)
    index = CorrelationIndex(conn)
    items = [(obj(n, n), PARTY) for n in range(8)]
    assert len(index.plan(items, seconds=0.05, wall=60.0)) == 8
    assert len(index.plan(items, seconds=0.05, wall=0.1)) < 8
    assert len(index.plan(items, seconds=0.002, wall=60.0)) < 8


def test_a_common_word_does_not_make_every_name_a_candidate(conn: SqliteDb) -> None:
    """10,000 "Réseau N": a new "Réseau X" is compared with the few spellings sharing
    its number, never with the names sharing only the word (or its initial)."""
    index = CorrelationIndex(conn)
    index.index_names(
        (f"identity--{i:08d}", PARTY, "organization", f"Réseau {i}") for i in range(10_000)
    )
    assert "c|r" in blocking_keys("Réseau 42", "organization")  # stored as before ...
    assert "c|r" not in lookup_keys("Réseau 42", "organization")  # ... no longer looked up
    found = index.add({**obj(1, 0), "name": "Reseau 4242", "resource_level": "team"}, PARTY)
    assert [{c.value_a, c.value_b} for c in found] == [{"Reseau 4242", "Réseau 4242"}]
    assert 1 <= index.scored <= 4  # "Réseau 4242", and the ones whose number folds alike
    assert index.scored <= index.config.max_scored_per_name


def test_a_shared_word_pair_is_bounded_by_the_scoring_budget(conn: SqliteDb) -> None:
    """500 "Katiba Macina N" share the key of "Katiba Macina" (a usable key: fewer than
    ``max_candidates_per_key`` spellings); a new one is compared with at most
    ``max_scored_per_name`` of them -- those sharing its rarest keys first -- and still
    finds its own variant."""
    config = CorrelationConfig(max_scored_per_name=8)
    index = CorrelationIndex(conn, config)
    index.index_names(
        (f"identity--{i:08d}", PARTY, "organization", f"Katiba Macina {i}") for i in range(500)
    )
    key = "2|organization|ktb|msn"
    assert key in lookup_keys("Katibat Macina 123", "organization")
    shared = conn.execute("SELECT COUNT(*) FROM corr_spelling_key WHERE key = ?", (key,))
    assert shared.fetchone()[0] == 500
    found = index.add({**obj(1, 0), "name": "Katibat Macina 123", "resource_level": "team"}, PARTY)
    assert [{c.value_a, c.value_b} for c in found] == [{"Katibat Macina 123", "Katiba Macina 123"}]
    assert index.scored <= 8
    unbounded = CorrelationIndex(conn, CorrelationConfig(max_scored_per_name=10_000))
    unbounded.plan([({**obj(2, 0), "name": "Katibat Macina 321", "resource_level": "team"}, PARTY)])
    assert unbounded.scored == 1  # the others differ by their number: filtered, not scored
    unbounded.plan([({**obj(3, 0), "name": "Katibat Macina", "resource_level": "team"}, PARTY)])
    assert unbounded.scored > 400  # without the budget, every name sharing the pair
