"""The SQLite correlation index: ingest, versions, guard, queries and the no-leak rule."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from liaison.correlate import LOCAL, CorrelationConfig, CorrelationIndex, names_of
from liaison.errors import DeniedError, InvalidInputError
from liaison.store.db import SqliteDb
from liaison.store.sqlite import open_db

PARTY_A = "identity--a0000000-0000-4000-8000-00000000000a"
PARTY_B = "identity--b0000000-0000-4000-8000-00000000000b"
T1, T2 = "2026-03-01T00:00:00.000Z", "2026-03-02T00:00:00.000Z"


def actor(n: int, name: str, modified: str = T1, **extra: Any) -> dict[str, Any]:
    return {
        "type": "threat-actor",
        "spec_version": "2.1",
        "id": f"threat-actor--00000000-0000-4000-8000-{n:012d}",
        "created": T1,
        "modified": modified,
        "name": name,
        **extra,
    }


def indicator(n: int, value: str) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": T1,
        "modified": T1,
        "pattern": f"[ipv4-addr:value = '{value}']",
        "pattern_type": "stix",
        "valid_from": T1,
    }


@pytest.fixture
def conn() -> Iterator[SqliteDb]:
    c = open_db(":memory:")
    yield c
    c.close()


@pytest.fixture
def index(conn: SqliteDb) -> CorrelationIndex:
    return CorrelationIndex(conn, CorrelationConfig(max_objects_per_value=3))


def test_names_of_by_type() -> None:
    assert names_of(
        {"type": "identity", "name": "Amadou Koufa", "identity_class": "individual"}
    ) == [("person", "Amadou Koufa")]
    assert names_of(actor(1, "JNIM", aliases=["GSIM", "JNIM", " "])) == [
        ("organization", "JNIM"),
        ("organization", "GSIM"),
    ]
    assert names_of({"type": "location", "name": "Gao", "city": "Gao"}) == [("place", "Gao")]
    assert names_of({"type": "threat-actor", "name": "X", "resource_level": "individual"}) == [
        ("person", "X")
    ]
    assert names_of({"type": "malware", "name": "X"}) == []


def test_cross_script_names_correlate_with_explanation(index: CorrelationIndex) -> None:
    assert index.add(actor(1, "Jama'at Nusrat al-Islam wal-Muslimin"), PARTY_A) == []
    found = index.add(actor(2, "جماعة نصرة الإسلام والمسلمين"), PARTY_B)
    assert len(found) == 1
    c = found[0]
    assert {c.object_a, c.object_b} == {actor(1, "")["id"], actor(2, "")["id"]}
    assert {c.source_a, c.source_b} == {PARTY_A, PARTY_B}
    assert c.kind == "name" and c.rule == "alias" and c.score == 1.0
    assert "org:jnim" in c.explanation
    assert index.correlations_for(actor(1, "")["id"]) == found
    assert index.list() == found


def test_different_names_do_not_correlate(index: CorrelationIndex) -> None:
    index.add(actor(1, "Amadou Koufa", resource_level="individual"), PARTY_A)
    assert index.add(actor(2, "Amadou Diallo", resource_level="individual"), PARTY_B) == []
    # same name, different kinds (a person and a group) never correlate by name
    assert index.add(actor(3, "Amadou Koufa"), PARTY_B) == []


def test_observables_correlate_after_normalisation(index: CorrelationIndex) -> None:
    a = {**actor(1, "Alpha"), "x_phone": "+223 76 12 34 56"}
    b = {**actor(2, "Beta"), "x_phone_numbers": ["0022376123456"]}
    index.add(a, PARTY_A)
    found = index.add(b, PARTY_B)
    assert [(c.kind, c.rule, c.value_a) for c in found] == [
        ("observable", "exact-phone-number", "+22376123456")
    ]


def test_over_correlation_guard_and_block_list(conn: SqliteDb, index: CorrelationIndex) -> None:
    counts = [len(index.add(indicator(i, "198.51.100.9"), PARTY_A)) for i in range(5)]
    assert counts == [0, 1, 2, 0, 0]  # the 4th object saturates the value
    assert index.count() == 0  # ... and its earlier correlations are dropped
    assert conn.execute("SELECT kind, value FROM corr_saturated").fetchall() == [
        ("ipv4-addr", "198.51.100.9")
    ]
    index.add(indicator(10, "8.8.8.8"), PARTY_A)
    assert index.add(indicator(11, "8.8.8.8"), PARTY_B) == []  # on the default block list
    custom = CorrelationIndex(conn, CorrelationConfig(block_list=frozenset({("*", "10.9.9.9")})))
    custom.add(indicator(20, "10.9.9.9"), PARTY_A)
    assert custom.add(indicator(21, "10.9.9.9"), PARTY_B) == []


def test_name_keys_shared_by_too_many_spellings_are_not_used(conn: SqliteDb) -> None:
    index = CorrelationIndex(conn, CorrelationConfig(max_candidates_per_key=2))
    index.add(actor(1, "Katiba Serma"), PARTY_A)
    assert len(index.add(actor(2, "Katiba Sérma"), PARTY_A)) == 1
    index.add(actor(3, "KATIBA SERMA"), PARTY_A)  # three spellings now share the keys
    assert index.add(actor(9, "Katibat Serma"), PARTY_B) == []


def test_a_name_borne_by_too_many_objects_stops_correlating(conn: SqliteDb) -> None:
    index = CorrelationIndex(conn, CorrelationConfig(max_objects_per_name=2))
    assert [len(index.add(actor(i, "Katiba Serma"), PARTY_A)) for i in range(4)] == [0, 1, 2, 0]
    assert len(index.query_name("Katiba Serma", "organization", limit=3)) == 3  # still findable


def test_versions_replace_and_revocation_removes(index: CorrelationIndex) -> None:
    index.add(actor(1, "Amadou Koufa"), PARTY_A)
    assert len(index.add(actor(2, "Amadou Kouffa"), PARTY_B)) == 1
    assert index.add(actor(2, "Amadou Kouffa"), PARTY_B) == []  # same version: no-op
    same_version = actor(2, "Mokhtar Belmokhtar", modified="2026-03-01T00:00:00Z")
    assert index.add(same_version, PARTY_B) == []  # 00Z == 00.000Z: still the same version
    assert index.count() == 1
    assert index.add(actor(2, "Mokhtar Belmokhtar", modified=T2), PARTY_B) == []
    assert index.count() == 0  # the new version no longer matches
    assert index.add(actor(2, "Amadou Koufa", modified=T1), PARTY_B) == []  # older: ignored
    index.add(actor(3, "Mokhtar Belmokhtar"), LOCAL)
    assert index.count() == 1
    index.add(actor(3, "Mokhtar Belmokhtar", modified=T2, revoked=True), LOCAL)
    assert index.count() == 0
    index.remove(actor(2, "")["id"])
    assert index.query_name("Mokhtar Belmokhtar", "organization") == []


def test_query_name_ranks_and_reports_sources(index: CorrelationIndex) -> None:
    index.add(actor(1, "Iyad Ag Ghali", resource_level="individual"), PARTY_A)
    index.add(actor(2, "إياد أغ غالي", resource_level="individual"), PARTY_B)
    index.add(actor(3, "Iyad Ag Ghalo", resource_level="individual"), LOCAL)
    hits = index.query_name("Iyad ag Ghaly", "person")
    assert [(h.object_id[-1], h.source) for h in hits] == [("1", PARTY_A), ("2", PARTY_B)]
    assert all(h.match.same and h.match.explanation for h in hits)
    # Near misses: a refused pair's calibrated score is small, but still above 0.01 here.
    near = index.query_name("Iyad ag Ghaly", None, min_score=0.01)
    assert len(near) == 3 and not near[-1].match.same
    assert near[-1].name == "Iyad Ag Ghalo" and near[-1].match.rule == "kinship"


def test_add_refuses_malformed_input(index: CorrelationIndex) -> None:
    with pytest.raises(InvalidInputError):
        index.add({"name": "no id"}, PARTY_A)
    with pytest.raises(InvalidInputError):
        index.add(actor(1, "X"), "")


def test_add_joins_the_callers_transaction(conn: SqliteDb) -> None:
    conn.execute("CREATE TABLE other (x INTEGER)")
    index = CorrelationIndex(conn)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO other VALUES (1)")
    index.add(actor(1, "Amadou Koufa"), PARTY_A)
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT COUNT(*) FROM corr_object").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM other").fetchone()[0] == 0


# --- correlations are local knowledge -------------------------------------------------------
def test_no_correlation_leaks_to_either_party(conn: SqliteDb) -> None:
    # The store's tables exist (its migrations made them, the index's own included).
    before_tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    before_rows = {
        t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in before_tables
        if not t.startswith(("corr_", "sqlite_", "objects_fts"))
        and conn.execute("SELECT type FROM sqlite_master WHERE name = ?", (t,)).fetchone()[0]
        == "table"
    }
    index = CorrelationIndex(conn)
    a = {**actor(1, "Iyad Ag Ghali", resource_level="individual"), "x_phone": "+22376123456"}
    b = {**actor(2, "إياد أغ غالي", resource_level="individual"), "x_phone": "0022376123456"}
    a_copy, b_copy = copy.deepcopy(a), copy.deepcopy(b)
    index.add(a, PARTY_A)
    index.add(b, PARTY_B)
    assert index.count() == 2  # the node itself knows (name and phone)

    # 1. Objects handed back to partners are untouched: nothing travels with them.
    assert a == a_copy and b == b_copy
    # 2. The index writes only its own corr_ tables, and creates none.
    after_tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert after_tables == before_tables
    for table, rows in before_rows.items():
        assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == rows, table
    # 3. No read path answers a partner, about its own objects or anyone else's.
    for party in (PARTY_A, PARTY_B):
        for call in (
            lambda p=party: index.correlations_for(a["id"], viewer=p),
            lambda p=party: index.correlations_for(b["id"], viewer=p),
            lambda p=party: index.list(viewer=p),
            lambda p=party: index.count(viewer=p),
            lambda p=party: index.query_name("Iyad Ag Ghali", viewer=p),
        ):
            with pytest.raises(DeniedError):
                call()
    # 4. The local analysts see both sides.
    assert {c.rule for c in index.correlations_for(a["id"], viewer=LOCAL)} == {
        "exact",
        "exact-phone-number",
    }
