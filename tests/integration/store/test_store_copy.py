"""liaison store copy: SQLite -> PostgreSQL -> SQLite, resumable and verified."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from liaison.cli import main
from liaison.node import Node
from liaison.service import build_exchange
from liaison.service.integrity import stored_versions
from liaison.store import SqliteStore
from liaison.taxii.status import ingest as taxii_ingest

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
        taxii_ingest(
            ex,
            party,
            node.default_collection_id,
            {"objects": [_indicator(k * 1500 + i) for i in range(1500)]},
        )
    node.close()
    assert main(["store", "copy", str(home), pg_database, "--quiet"]) == 0
    assert "verified" in capsys.readouterr().out
    # This node's ids have no owners row on SQLite: each has one on PostgreSQL.
    with psycopg.connect(pg_database, autocommit=True) as conn:
        owned = conn.execute(
            "SELECT COUNT(*) FROM owners WHERE id LIKE 'indicator--%' AND originator = ''"
        ).fetchone()
    assert owned == (4500,)
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
        report = AuditLog(conn).verify(node.key.public_key_b64, lambda: stored_versions(store))
        node.close()
    assert report.ok, report.problems
    store.close()
    # A destination that differs is reported, never silently accepted.
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("UPDATE objects SET sha256 = repeat('0', 64) WHERE seq = 1")
    assert main(["store", "copy", str(home), pg_database, "--quiet"]) == 1
    assert "digests" in capsys.readouterr().err


def test_every_table_of_the_schema_is_copied() -> None:
    """A table a migration creates and the copy forgets fails here, not in production."""
    from liaison.store.schema import COPY, created_tables

    assert set(created_tables()) == set(COPY)
    assert list(COPY)[:2] == ["collections", "parties"]  # parents first


def test_correlations_ledgers_and_audit_survive_a_copy(
    tmp_path: Path, pg_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue #16, 4: the copy used to leave the correlation tables behind and say
    "verified". Every table now comes across, and a node on the copy lists the same
    correlations, ledgers and audit log."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "security"))
    from hostile import build

    from liaison.service.auditing import open_home
    from liaison.service.correlations import correlations
    from liaison.service.events import partner_ledger

    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    h = build(tmp_path / "world")  # DZ holds its own report and MR's, with a ledger for MR
    dz = h.dz.node
    actors = [
        {
            "type": "threat-actor",
            "spec_version": "2.1",
            "id": f"threat-actor--{uid}",
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "name": name,
            "threat_actor_types": ["terrorist"],
        }
        for uid, name in (
            ("6f0c4c1e-1c8b-4d6b-9b1e-3f4c2a1d0e99", "Katiba Macina"),
            ("7a1d5d2f-2d9c-4e7c-8c2f-4a5d3b2e1f00", "Katibat Macina"),
        )
    ]
    party = dz.party("analyst")
    taxii_ingest(h.dz.exchange, party, dz.default_collection_id, {"objects": actors})
    before = correlations(dz, None, 100)
    with partner_ledger(dz) as led:
        ledger = {p: led.root(p) for p in led.parties()}
    assert before and ledger, "the source must hold correlations and a ledger to copy"
    home = dz.home
    h.world.close()
    assert main(["store", "copy", str(home), pg_database, "--quiet"]) == 0
    out = capsys.readouterr().out
    for table in ("corr_correlation", "corr_name", "ledger_entries", "owners", "audit_entries"):
        assert table in out, out
    settings = (home / "liaison.toml").read_text()
    (home / "liaison.toml").write_text(
        "\n".join(line for line in settings.splitlines() if not line.startswith("store "))
        + f'\nstore = "{pg_database}"\n'
    )
    on_pg = Node.open(home)
    try:
        assert on_pg.store.correlation_backlog() == 0  # the watermark came along
        assert correlations(on_pg, None, 100) == before
        with partner_ledger(on_pg) as led:
            assert {p: led.root(p) for p in led.parties()} == ledger
    finally:
        on_pg.close()
    with open_home(home) as audited:
        assert audited.verify().ok
