"""``liaison correlate names|list`` through a small argparse harness."""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

import pytest

from liaison.cli import correlate as cli
from liaison.correlate import CorrelationIndex
from liaison.errors import ConfigError
from liaison.store.sqlite import open_db


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="liaison")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_names_human_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["correlate", "names", "Iyad Ag Ghali", "إياد أغ غالي", "--kind", "person"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("same entity (score 1.00")
    assert run(["correlate", "names", "Gao", "Goa", "--kind", "place", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["same"] is False and answer["kind"] == "place"
    assert 0 < answer["score"] < 1 and answer["rule"] == "tokens" and answer["explanation"]


def test_names_rejects_unknown_kind() -> None:
    with pytest.raises(SystemExit):
        run(["correlate", "names", "a", "b", "--kind", "vehicle"])


def test_list_reads_the_node_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError):
        run(["correlate", "list", str(tmp_path)])
    from liaison.node import Node

    Node.init(tmp_path, org="DZ", country="DZ").close()
    conn = open_db(tmp_path / "liaison.db")
    index = CorrelationIndex(conn)
    index.add({"type": "intrusion-set", "id": "intrusion-set--1", "name": "JNIM"}, "local")
    index.add({"type": "intrusion-set", "id": "intrusion-set--2", "name": "GSIM"}, "local")
    conn.close()
    assert run(["correlate", "list", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "intrusion-set--1 (local) <-> intrusion-set--2 (local)" in out and "org:jnim" in out
    assert run(["correlate", "list", str(tmp_path), "--object", "intrusion-set--2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["rule"] for r in rows] == ["alias"]
    assert run(["correlate", "list", str(tmp_path), "--object", "intrusion-set--9"]) == 0
    assert capsys.readouterr().out == "no correlations\n"


def test_list_writes_nothing_and_says_what_is_not_correlated_yet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import hashlib

    from liaison.node import Node
    from liaison.service import build_exchange
    from liaison.taxii.status import ingest

    node = Node.init(tmp_path, org="DZ", country="DZ")
    party, _ = node.add_party("analyst", internal=True)
    ex = build_exchange(node)
    ex.correlator = ex.indexer = None  # stored, not correlated yet
    objs = [
        {"type": "intrusion-set", "spec_version": "2.1", "id": f"intrusion-set--{u}",
         "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
         "name": name}
        for u, name in (("6f0d3a57-9a5b-4e43-9f3b-0a7cb2f0e001", "JNIM"),
                        ("6f0d3a57-9a5b-4e43-9f3b-0a7cb2f0e002", "GSIM"))
    ]  # fmt: skip
    assert ingest(ex, party, node.default_collection_id, {"objects": objs})["success_count"] == 2
    node.close()

    def dump() -> str:
        conn = sqlite3.connect(tmp_path / "liaison.db")
        try:
            return hashlib.sha256("".join(conn.iterdump()).encode()).hexdigest()
        finally:
            conn.close()

    before = dump()
    capsys.readouterr()
    assert run(["correlate", "list", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out == "no correlations\n"
    assert "2 stored object version(s) not correlated yet" in err
    assert dump() == before
