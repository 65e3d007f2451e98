"""Store backends for the contract tests: real SQLite and real PostgreSQL.

PostgreSQL tests create and drop their own database on LIAISON_TEST_PG
(default postgresql://postgres@127.0.0.1:5432/postgres) and carry the ``postgres``
marker (``-m "not postgres"`` leaves them out). Where no server answers they are
skipped with the reason -- except under CI or LIAISON_REQUIRE_ALL=1, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from liaison.store import SqliteStore, Store
from suite_support import missing

PG_ADMIN = os.environ.get("LIAISON_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except Exception as exc:  # any failure means "not available"
        return f"PostgreSQL not reachable at {PG_ADMIN}: {exc}"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database URL, dropped at the end of the session."""
    reason = _pg_available()
    if reason:
        missing(reason)
    import psycopg

    name = f"liaison_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bare_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store with no tables yet (a clean slate): ``migrate`` builds them."""
    s: Store
    if request.param == "sqlite":
        s = SqliteStore(tmp_path / "t.db", create=True)
    else:
        url = request.getfixturevalue("pg_database")
        from liaison.store.postgres import PostgresStore

        s = PostgresStore(url)
        with s._write() as cur:  # a clean slate per test
            cur.execute(
                "DROP TABLE IF EXISTS objects, objects_fts, search_indexed, permissions,"
                " parties, collections, statuses, records, corr_watermark, corr_ahead,"
                " schema_migrations CASCADE"
            )
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def store(bare_store: Store) -> Store:
    bare_store.migrate()
    return bare_store


@pytest.fixture
def pg_store(pg_database: str) -> Iterator[Store]:
    """A migrated PostgreSQL store on an empty schema (each test starts clean)."""
    import psycopg

    from liaison.store.postgres import PostgresStore

    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    s = PostgresStore(pg_database)
    s.migrate()
    try:
        yield s
    finally:
        s.close()
