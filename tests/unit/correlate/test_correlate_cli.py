"""``liaison correlate names|list`` through a small argparse harness."""

from __future__ import annotations

import argparse
import json
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
