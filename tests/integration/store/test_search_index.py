"""The full-text index built after the storing transaction (issue #15).

On SQLite the storing transaction no longer writes the FTS5 index: a worker adds
stored rows in batches up to a watermark, and every search first catches up. These
tests hold the index to what it must contain: every row up to the watermark, nothing
else -- also after deletions before and after indexing, re-dating and an upgrade
from a database whose index was kept by triggers.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_rows import report_row

from liaison.service.search import fold, query_terms
from liaison.store import (
    VERSION_ALL,
    Collection,
    NewObject,
    ObjectQuery,
    SqliteStore,
    Store,
)
from liaison.store.sqlite import MIGRATIONS

C = "c0ffee00-0000-4000-8000-0000000000aa"


def _obj(i: int, text: str) -> NewObject:
    return report_row(i, {"text": text}, fold(text))


def _delete(store: Store, i: int) -> None:
    oid = f"report--{uuid.UUID(int=i)}"
    rows = store.query_objects(ObjectQuery(C, ids=(oid,), versions=(VERSION_ALL,)))
    assert rows
    store.delete_versions(C, oid, [r.seq for r in rows])


def _ids(store: Store, words: str) -> set[str]:
    return {r.id for r in store.search([C], query_terms(words), limit=100)}


def _indexed(path: Path) -> dict[str, set[int]]:
    """term -> rowids, as the FTS5 index holds them (not the content table)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, objects_fts, instance)")
        out: dict[str, set[int]] = {}
        for term, doc in conn.execute("SELECT term, doc FROM temp.vocab"):
            out.setdefault(term, set()).add(int(doc))
        return out
    finally:
        conn.close()


def _documents(path: Path) -> tuple[int, int]:
    """(documents the index counts, rows up to the watermark). FTS5 keeps its document
    count as the first varint of its 'averages' record (id 1): a 'delete' of a row it
    never held decrements it -- the corruption the conditional trigger prevents."""
    conn = sqlite3.connect(path)
    try:
        (block,) = conn.execute("SELECT block FROM objects_fts_data WHERE id = 1").fetchone()
        n, shift = 0, 0
        for b in block:
            n |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        (rows,) = conn.execute(
            "SELECT COUNT(*) FROM objects WHERE seq <= (SELECT seq FROM search_indexed)"
        ).fetchone()
        return n, int(rows)
    finally:
        conn.close()


def _expected(path: Path) -> dict[str, set[int]]:
    """term -> seqs of the rows up to the watermark, tokenised as FTS5 does."""
    conn = sqlite3.connect(path)
    try:
        conn.execute(
            "CREATE VIRTUAL TABLE temp.probe USING fts5(t,"
            " tokenize='unicode61 remove_diacritics 2')"
        )
        conn.execute(
            "INSERT INTO temp.probe (rowid, t) SELECT seq, search_text FROM objects"
            " WHERE seq <= (SELECT seq FROM search_indexed)"
        )
        conn.execute("CREATE VIRTUAL TABLE temp.pv USING fts5vocab(temp, probe, instance)")
        out: dict[str, set[int]] = {}
        for term, doc in conn.execute("SELECT term, doc FROM temp.pv"):
            out.setdefault(term, set()).add(int(doc))
        return out
    finally:
        conn.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> SqliteStore:
    s = SqliteStore(tmp_path / "s.db", create=True)
    s.migrate()
    s.add_collection(Collection(C, "c"))
    yield s
    s.close()


def test_storing_leaves_the_index_to_the_indexer(sqlite_store: SqliteStore) -> None:
    s = sqlite_store
    s.add_objects(C, [_obj(1, "Katiba Macina près de Mopti"), _obj(2, "convoi vers Gao")])
    assert s.search_backlog() == 2
    assert _indexed(s.path) == {}  # nothing indexed in the storing transaction
    assert s.index_search(limit=1) == 1
    assert s.search_backlog() == 1
    assert s.index_search() == 1
    assert s.index_search() == 0
    assert _indexed(s.path) == _expected(s.path)
    assert set(_indexed(s.path)) >= {"katiba", "macina", "mopti", "convoi", "gao"}


def test_a_search_right_after_a_store_finds_it_and_writes_nothing(
    sqlite_store: SqliteStore,
) -> None:
    s = sqlite_store
    s.add_objects(C, [_obj(1, "Katiba Macina")])
    assert _ids(s, "macina") == {f"report--{uuid.UUID(int=1)}"}  # matched past the mark
    assert s.search_backlog() == 1 and _indexed(s.path) == {}  # a read: nothing written
    s.index_search()
    s.add_objects(C, [_obj(2, "Katiba Serma")])
    assert _ids(s, "katiba") == {f"report--{uuid.UUID(int=i)}" for i in (1, 2)}
    assert _ids(s, "katiba serma") == {f"report--{uuid.UUID(int=2)}"}
    assert _ids(s, "katiba macina serma") == set()


WORDS = st.sampled_from(
    ["katiba", "macina", "réseau", "17", "كتيبة", "ansar", "dine", "al", "l'etat", "c2_relay"]
)
TEXTS = st.lists(st.lists(WORDS, min_size=1, max_size=6).map(" ".join), min_size=1, max_size=8)


@settings(max_examples=40, deadline=None)
@given(TEXTS, st.lists(WORDS, min_size=1, max_size=3), st.integers(0, 8), st.booleans())
def test_rows_not_indexed_yet_match_as_the_index_would(
    tmp_path_factory: pytest.TempPathFactory,
    texts: list[str],
    query: list[str],
    cut: int,
    recent: bool,
) -> None:
    # The same store searched twice: with the rows after ``cut`` not indexed yet, and
    # with everything indexed. Same hits, in every page of every size.
    s = SqliteStore(tmp_path_factory.mktemp("q") / "s.db", create=True)
    try:
        s.migrate()
        s.add_collection(Collection(C, "c"))
        for i, text in enumerate(texts):
            s.add_objects(C, [_obj(i + 1, text)])
            if i < cut:
                s.index_search()
        terms = query_terms(" ".join(query))

        def pages(size: int) -> list[list[str]]:
            out, offset = [], 0
            while page := s.search([C], terms, limit=size, offset=offset, recent=recent):
                out.append([r.id for r in page])
                offset += size
            return out

        before = {size: pages(size) for size in (1, 2, 100)}
        s.index_search()
        after = {size: pages(size) for size in (1, 2, 100)}
        flat = {size: [i for p in ps for i in p] for size, ps in before.items()}
        assert {size: sorted(ids) for size, ids in flat.items()} == {
            size: sorted(i for p in ps for i in p) for size, ps in after.items()
        }
        assert len(set(flat[1])) == len(flat[1])  # no hit twice across pages
        if recent:
            assert before == after  # newest first either way
    finally:
        s.close()


def test_deletions_before_and_after_indexing_keep_the_index_exact(
    sqlite_store: SqliteStore,
) -> None:
    s = sqlite_store
    s.add_objects(C, [_obj(1, "alpha bravo"), _obj(2, "bravo charlie")])
    s.index_search()
    s.add_objects(C, [_obj(3, "charlie delta"), _obj(4, "delta echo")])
    # 2 is indexed, 3 is not: deleting either must leave the index exactly right
    _delete(s, 2)
    _delete(s, 3)
    assert _indexed(s.path) == _expected(s.path)
    s.index_search()
    assert _indexed(s.path) == _expected(s.path)
    documents, rows = _documents(s.path)
    assert documents == rows == 2
    assert _ids(s, "charlie") == set()
    assert _ids(s, "delta") == {f"report--{uuid.UUID(int=4)}"}
    assert _ids(s, "bravo") == {f"report--{uuid.UUID(int=1)}"}


def test_redated_versions_are_indexed_again(sqlite_store: SqliteStore) -> None:
    s = sqlite_store
    s.add_objects(C, [_obj(1, "Ansarul Islam")])
    s.index_search()
    s.redate(f"report--{uuid.UUID(int=1)}")  # new rows (new seq), the old ones deleted
    assert _ids(s, "ansarul") == {f"report--{uuid.UUID(int=1)}"}  # not indexed yet
    s.index_search()
    assert _ids(s, "ansarul") == {f"report--{uuid.UUID(int=1)}"}
    assert _indexed(s.path) == _expected(s.path)
    assert _documents(s.path) == (1, 1)


def test_an_upgraded_database_keeps_what_its_triggers_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    old = SqliteStore(path, create=True)
    monkeypatch.setattr(old, "_migrations", lambda: [m for m in MIGRATIONS if m[0] < 9])
    old.migrate()
    old.add_collection(Collection(C, "c"))
    old.add_objects(C, [_obj(1, "Jama'at Nusrat al-Islam"), _obj(2, "Ségou")])
    monkeypatch.undo()
    assert old.migrate() == [9, 10, 11, 12, 13, 14]  # 10, 13, 14: PostgreSQL only, nothing here
    assert old.search_backlog() == 0  # the triggers had indexed them: nothing twice
    old.add_objects(C, [_obj(3, "Nusrat wa al-Muslimin")])
    assert _ids(old, "nusrat") == {f"report--{uuid.UUID(int=i)}" for i in (1, 3)}
    assert _ids(old, "segou") == {f"report--{uuid.UUID(int=2)}"}
    old.catch_up_search()
    assert _indexed(path) == _expected(path)
    assert _documents(path) == (3, 3)
    old.close()


def test_search_catches_up_on_both_backends(store: Store) -> None:
    store.add_collection(Collection(C, "c"))
    store.add_objects(C, [replace(_obj(i, f"Réseau {i} Tombouctou"), version=None) for i in (1, 2)])
    backlog = store.search_backlog()
    assert len(_ids(store, "tombouctou")) == 2
    assert store.search_backlog() == backlog  # a search writes nothing


def test_both_backends_match_whole_words_unstemmed_indexed_or_not(store: Store) -> None:
    """A search answers the same rows on SQLite and PostgreSQL, before and after the
    indexer passes: whole folded words, no stem, stop words too (issue #15: PostgreSQL
    no longer adds French and English stems to its documents, migration 13)."""
    texts = ["the convoys were attacked", "attaque du convoi", "an attack", "Réseaux"]
    store.add_collection(Collection(C, "c"))
    store.add_objects(C, [_obj(i + 1, t) for i, t in enumerate(texts)])
    queries = {
        "attack": {3},
        "attacked": {1},
        "attaque": {2},
        "attaques": set(),
        "convoi": {2},
        "convoy": set(),
        "the": {1},
        "reseaux": {4},
        "reseau": set(),
    }
    want = {q: {f"report--{uuid.UUID(int=i)}" for i in ids} for q, ids in queries.items()}
    assert {q: _ids(store, q) for q in queries} == want  # not indexed yet
    store.catch_up_search()
    assert store.search_backlog() == 0
    assert {q: _ids(store, q) for q in queries} == want


def test_a_derived_writer_thread_alone_skips_the_fsync(sqlite_store: SqliteStore) -> None:
    s = sqlite_store
    seen: list[int] = []

    def worker() -> None:
        s.derived_writer()
        seen.append(int(s._connection().execute("PRAGMA synchronous").fetchone()[0]))
        s.add_objects(C, [_obj(7, "derived")])  # still a working writer

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == [1]  # NORMAL on the worker's connection
    assert int(s._connection().execute("PRAGMA synchronous").fetchone()[0]) == 2  # FULL here
    assert _ids(s, "derived") == {f"report--{uuid.UUID(int=7)}"}
