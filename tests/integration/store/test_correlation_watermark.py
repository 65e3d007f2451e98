"""The correlation watermark (schema migration 11, ADR 0009): rows up to
``corr_watermark.seq`` are correlated, and the rows listed in ``corr_ahead``; the rest
are pending. Carried over from the old per-row flag; on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pytest
from report_rows import report_row

from liaison.store import Collection, NewObject, Store

C = "collection--00000000-0000-4000-8000-000000000001"


def _obj(i: int) -> NewObject:
    return report_row(i, {"type": "report", "name": f"r{i}"})


def _old(store: Store, monkeypatch: pytest.MonkeyPatch, n: int) -> list[int]:
    """A store at schema version 10 (the per-row flag) holding ``n`` rows; their seqs."""
    every = store._migrations()
    monkeypatch.setattr(store, "_migrations", lambda: [m for m in every if m[0] < 11])
    store.migrate()
    store.add_collection(Collection(C, "c"))
    store.add_objects(C, [_obj(i) for i in range(1, n + 1)])
    monkeypatch.undo()
    with store._read() as cur:
        cur.execute("SELECT seq FROM objects ORDER BY seq")
        return [int(r[0]) for r in cur.fetchall()]


def _flag(store: Store, seqs: Sequence[int]) -> None:
    """Mark these rows correlated the old way."""
    with store._write() as cur:
        for seq in seqs:
            cur.execute(store._sql("UPDATE objects SET correlated = 1 WHERE seq = ?"), (seq,))


def _pending(store: Store) -> list[int]:
    return [r.seq for r in store.pending_correlation(1000)]


def _nothing() -> None:
    pass


def test_the_migration_carries_a_mix_of_correlated_rows_over(
    bare_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = bare_store
    s = _old(store, monkeypatch, 8)
    # Correlated: a prefix (1-3) and, out of order, 5 and 7; pending: 4, 6, 8.
    _flag(store, [s[0], s[1], s[2], s[4], s[6]])
    assert store.migrate() == [11, 12, 13, 14]
    assert _pending(store) == [s[3], s[5], s[7]]  # nothing done twice, nothing forgotten
    assert store.correlation_backlog() == 3
    assert store.correlation_progress() == (s[2], True)
    with store._read() as cur:
        cur.execute("SELECT seq FROM corr_watermark")
        assert [int(r[0]) for r in cur.fetchall()] == [s[2]]
        cur.execute("SELECT seq FROM corr_ahead ORDER BY seq")
        assert [int(r[0]) for r in cur.fetchall()] == [s[4], s[6]]
    # The oldest pending first; the mark passes the rows done ahead of it.
    assert store.mark_correlated([s[3]], _nothing)
    assert _pending(store) == [s[5], s[7]]
    assert store.correlation_progress() == (s[3], True)  # 5 and 7 ahead: 6 is pending
    assert store.mark_correlated([s[5], s[7]], _nothing)
    assert _pending(store) == [] and store.correlation_backlog() == 0
    assert store.correlation_progress() == (s[7], False)
    with store._read() as cur:
        cur.execute("SELECT COUNT(*) FROM corr_ahead")
        assert int(cur.fetchone()[0]) == 0
    # New rows are pending; the flag is no longer read or written.
    store.add_objects(C, [_obj(9)])
    assert len(_pending(store)) == 1


@pytest.mark.parametrize(
    ("done", "pending"),
    [((), (0, 1, 2)), ((0, 1, 2), ()), ((1, 2), (0,)), ((0,), (1, 2))],
    ids=["none", "all", "first-pending", "prefix"],
)
def test_the_migration_sets_the_mark_below_the_first_pending_row(
    bare_store: Store,
    monkeypatch: pytest.MonkeyPatch,
    done: tuple[int, ...],
    pending: tuple[int, ...],
) -> None:
    store = bare_store
    s = _old(store, monkeypatch, 3)
    _flag(store, [s[i] for i in done])
    store.migrate()
    assert _pending(store) == [s[i] for i in pending]
    assert store.correlation_backlog() == len(pending)


def test_an_empty_store_has_no_mark_and_nothing_pending(store: Store) -> None:
    assert store.correlation_backlog() == 0 and _pending(store) == []
    assert store.correlation_progress() == (0, False)
    with store._read() as cur:
        cur.execute("SELECT COUNT(*) FROM corr_watermark")
        assert int(cur.fetchone()[0]) == 0  # a copy brings the source's mark in
    store.add_collection(Collection(C, "c"))
    store.add_objects(C, [_obj(1), _obj(2)])
    assert store.correlation_backlog() == 2
    assert store.correlation_progress() == (0, True)


def test_a_stale_batch_is_refused_and_writes_nothing(store: Store) -> None:
    store.add_collection(Collection(C, "c"))
    store.add_objects(C, [_obj(i) for i in range(1, 6)])
    s = _pending(store)
    first, second = s[:3], s[:2]  # two correlators planned from the same rows
    assert store.mark_correlated(first, _nothing)
    ran: list[int] = []
    assert store.mark_correlated(second, lambda: ran.append(1)) is False
    assert ran == []  # its work never ran
    assert store.mark_correlated(s[3:], _nothing)
    assert _pending(store) == []


def test_a_deleted_row_is_not_pending_and_fails_a_batch_that_holds_it(store: Store) -> None:
    store.add_collection(Collection(C, "c"))
    store.add_objects(C, [_obj(i) for i in range(1, 5)])
    s = _pending(store)
    planned = s[:3]
    oid = f"report--{uuid.UUID(int=2)}"
    assert [r.seq for r in store.delete_versions(C, oid, [s[1]])] == [s[1]]
    assert store.correlation_backlog() == 3
    ran: list[int] = []
    assert store.mark_correlated(planned, lambda: ran.append(1)) is False
    assert ran == []
    assert _pending(store) == [s[0], s[2], s[3]]  # planned again without it
    assert store.mark_correlated([s[0], s[2], s[3]], _nothing)
    assert _pending(store) == []
    # A deletion after correlation leaves the mark where it is.
    oid = f"report--{uuid.UUID(int=4)}"
    store.delete_versions(C, oid, [s[3]])
    store.add_objects(C, [_obj(5)])
    assert len(_pending(store)) == 1
