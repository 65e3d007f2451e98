"""liaison store copy: SQLite -> PostgreSQL -> SQLite, resumable and verified."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from liaison.cli import main
from liaison.node import Node
from liaison.service import build_exchange
from liaison.store import SqliteStore

pytestmark = pytest.mark.postgres


def _indicator(i: int) -> dict[str, object]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{i:012d}",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": f"Indicateur n°{i}",
        "pattern": "[ipv4-addr:value = '10.0.0.1']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }


def test_copy_round_trip(
    tmp_path: Path, pg_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    home = tmp_path / "node"
    node = Node.init(home, org="DZ", country="DZ")
    party, _ = node.add_party("analyst", internal=True)
    ex = build_exchange(node)
    for k in range(3):
        ex.ingest(
            party,
            node.default_collection_id,
            {"objects": [_indicator(k * 1500 + i) for i in range(1500)]},
        )
    node.close()
    assert main(["store", "copy", str(home), pg_database, "--quiet"]) == 0
    assert "verified" in capsys.readouterr().out
    # Interrupted copies resume: drop the tail of the destination and copy again.
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("DELETE FROM objects WHERE seq > 2000")
    assert main(["store", "copy", str(home), pg_database, "--quiet"]) == 0
    assert "(2500 copied now)" in capsys.readouterr().out
    back = tmp_path / "back.db"
    assert main(["store", "copy", pg_database, f"sqlite:///{back}", "--quiet"]) == 0
    store = SqliteStore(back)
    assert store.count_objects() == 4500
    with store.connection() as conn:
        from liaison.audit import AuditLog

        node = Node.open(home)
        report = AuditLog(conn).verify(node.key.public_key_b64, store.object_hashes)
        node.close()
    assert report.ok, report.problems
    store.close()
    # A destination that differs is reported, never silently accepted.
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("UPDATE objects SET sha256 = repeat('0', 64) WHERE seq = 1")
    assert main(["store", "copy", str(home), pg_database, "--quiet"]) == 1
    assert "digests" in capsys.readouterr().err
