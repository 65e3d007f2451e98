"""``liaison extract`` through a small argparse harness."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import pytest

from liaison.cli import extract as cli_extract
from liaison.errors import InvalidInputError


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="liaison")
    sub = parser.add_subparsers(dest="command")
    cli_extract.register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_extract_file_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "note.txt"
    src.write_text("Le JNIM a attaqué les FAMa près de Tessalit hier.", encoding="utf-8")
    assert _run(["extract", str(src), "--date", "2026-03-15"]) == 0
    bundle = json.loads(capsys.readouterr().out)
    types = sorted(o["type"] for o in bundle["objects"])
    assert types.count("location") == 1 and "threat-actor" in types
    report = next(o for o in bundle["objects"] if o["type"] == "report")
    assert report["x_liaison_event_dates"][0]["date"] == "2026-03-14"


def test_extract_stdin_to_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = "هاجمت جماعة نصرة الإسلام والمسلمين موقعا في تساليت".encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    out = tmp_path / "bundle.json"
    assert _run(["extract", "-", "--lang", "ar", "--out", str(out)]) == 0
    bundle = json.loads(out.read_text(encoding="utf-8"))
    report = next(o for o in bundle["objects"] if o["type"] == "report")
    assert report["lang"] == "ar"


def test_missing_and_undecodable_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read"):
        _run(["extract", str(tmp_path / "nope.txt")])
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00 not utf-8 \xc3")
    with pytest.raises(InvalidInputError, match="not UTF-8"):
        _run(["extract", str(bad)])
    good = tmp_path / "ok.txt"
    good.write_text("Bamako", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="YYYY-MM-DD"):
        _run(["extract", str(good), "--date", "15/03/2026"])
