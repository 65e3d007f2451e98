"""``liaison init|serve|info``, ``party`` and ``collection``: output, files, one-line errors."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from liaison.cli import main
from liaison.node import Node

SRC = Path(__file__).resolve().parents[2] / "src"


def run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    return subprocess.run(
        [sys.executable, "-m", "liaison", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """``main(args)`` in-process, with its exit code and output like a finished process."""
    capsys.readouterr()
    rc = main(list(args))
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), rc, out, err)


def one_line_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "Traceback" not in proc.stderr
    errors = [line for line in lines if line.startswith("liaison: error:")]
    assert len(errors) == 1, proc.stderr
    assert all(line.startswith(("liaison: error:", "warning:")) for line in lines), proc.stderr
    for w in words:
        assert w in errors[0], errors[0]


@pytest.fixture
def home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    h = tmp_path / "home"
    assert main(["init", str(h), "--org", "DGSE", "--country", "fr"]) == 0
    capsys.readouterr()
    return h


# --- init -----------------------------------------------------------------------------
def test_init_makes_a_home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    h = tmp_path / "home"
    assert main(["init", str(h), "--org", "DGSE", "--country", "fr", "--port", "7001"]) == 0
    out = capsys.readouterr().out
    node = Node.open(h)
    try:
        assert f"identity    {node.identity_id}" in out
        assert f"fingerprint {node.key.fingerprint}" in out
        assert f"collection  {node.default_collection_id} (default)" in out
        assert node.settings.country == "FR" and node.settings.port == 7001
    finally:
        node.close()
    assert stat.S_IMODE((h / "node.key").stat().st_mode) == 0o600


def test_init_twice_or_badly_is_one_line(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one_line_error(run("init", str(home), "--org", "X", "--country", "FR"), "already")
    h2, h3 = str(tmp_path / "h2"), str(tmp_path / "h3")
    one_line_error(cli(capsys, "init", h2, "--org", "X", "--country", "FRA"), "FRA")
    one_line_error(cli(capsys, "init", h3, "--org", " ", "--country", "FR"), "org")


# --- parties and collections ------------------------------------------------------------
def test_party_add_prints_a_working_credential_once(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["party", "add", str(home), "analyst", "--internal"]) == 0
    out = capsys.readouterr().out
    m = re.search(r"^credential\s+(\S+)$", out, re.M)
    assert m
    token = m.group(1)
    node = Node.open(home)
    try:
        party = node.authenticate("analyst", token)
        assert party is not None and party.internal
        assert node.authenticate("analyst", token + "x") is None
        assert token not in (home / "liaison.db").read_bytes().decode("latin-1")  # hashed
    finally:
        node.close()
    assert main(["party", "list", str(home), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["name"] == "analyst" and row["kind"] == "internal"
    assert token not in json.dumps(row)
    assert main(["party", "disable", str(home), "analyst"]) == 0
    node = Node.open(home)
    try:
        assert node.authenticate("analyst", token) is None
    finally:
        node.close()


def test_party_errors_are_one_line(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    h = str(home)
    assert cli(capsys, "party", "add", h, "p1").returncode == 0
    one_line_error(cli(capsys, "party", "add", h, "p1"), "'p1' already exists")
    one_line_error(cli(capsys, "party", "add", h, "bad name!"), "party name")
    one_line_error(cli(capsys, "party", "add", h, "p2", "--read", "nope"), "nope")
    one_line_error(cli(capsys, "party", "disable", h, "ghost"), "ghost")


def test_collections(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["collection", "add", str(home), "sahel", "--description", "Sahel"]) == 0
    cid = capsys.readouterr().out.split()[1]
    assert main(["party", "add", str(home), "reader", "--read", "sahel", "--write", "sahel"]) == 0
    capsys.readouterr()
    assert main(["collection", "list", str(home), "--json"]) == 0
    cols = {c["title"]: c for c in json.loads(capsys.readouterr().out)}
    assert cols["sahel"]["id"] == cid and cols["sahel"]["objects"] == 0
    node = Node.open(home)
    try:
        perms = node.store.party("reader").permissions
        assert [(p.collection_id, p.can_read, p.can_write) for p in perms] == [(cid, True, True)]
    finally:
        node.close()


def test_info(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(home)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["org"] == "DGSE" and info["collections"] == ["default"]


# --- serve refuses to start, with one line ----------------------------------------------
@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("port = \n", "not valid TOML"),
        ('port = "x"\n', "port"),
        ("colour = 3\n", "colour"),
    ],
)
def test_bad_settings_file_stops_serve(home: Path, toml: str, words: str) -> None:
    path = home / "liaison.toml"
    text = path.read_text()
    key = toml.split("=")[0].strip()
    text = re.sub(rf"^{key} = .*$\n?", "", text, flags=re.M) + toml
    path.write_text(text)
    one_line_error(run("serve", str(home), "--port", "1"), words, str(path))


def test_missing_home_stops_serve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one_line_error(cli(capsys, "serve", str(tmp_path / "nowhere")), "nowhere")


def test_readable_key_file_stops_serve(home: Path) -> None:
    (home / "node.key").chmod(0o644)
    one_line_error(run("serve", str(home)), "node.key", "600")


def test_missing_database_stops_serve(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (home / "liaison.db").unlink()
    one_line_error(cli(capsys, "serve", str(home)), "liaison.db")


def test_plain_http_off_loopback_is_refused(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one_line_error(cli(capsys, "serve", str(home), "--host", "0.0.0.0"), "0.0.0.0", "tls")
    one_line_error(cli(capsys, "serve", str(home), "--tls-cert", "c.pem"), "--tls-key")


def test_verbose_shows_the_traceback(tmp_path: Path) -> None:
    proc = run("-v", "serve", str(tmp_path / "nowhere"))
    assert proc.returncode == 1 and "Traceback" in proc.stderr


# --- a failed init leaves nothing behind --------------------------------------------------
def test_a_failed_init_removes_what_it_made(tmp_path: Path) -> None:
    from liaison.errors import StorageError

    unreachable = "postgresql://postgres@127.0.0.1:9/liaison"
    new = tmp_path / "new"
    with pytest.raises(StorageError, match="cannot connect"):
        Node.init(new, org="DGSE", country="FR", store=unreachable)
    assert not new.exists()
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "notes.txt").write_text("the operator's own file")
    with pytest.raises(StorageError):
        Node.init(existing, org="DGSE", country="FR", store=unreachable)
    assert [p.name for p in existing.iterdir()] == ["notes.txt"]


def test_node_is_a_context_manager(home: Path) -> None:
    closed: list[str] = []
    with pytest.raises(KeyError), Node.open(home) as node:
        node.on_close(lambda: closed.append("worker stopped"))
        raise KeyError("a failing command")
    assert closed == ["worker stopped"]
