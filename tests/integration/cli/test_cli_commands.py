"""Every command of the README's table with good input, on copies of the demo's homes:
what it prints, what it changes -- and that reading commands change nothing."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from cli_world import Result, World, digest

from liaison.node import Node
from liaison.signing import SigningKey
from suite_support import missing

Cli = Callable[..., Result]
SRC = Path(__file__).resolve().parents[3] / "src"
IDENTITY = re.compile(r"identity--[0-9a-f-]{36}")


def ok(result: Result) -> Result:
    assert result.code == 0, result
    assert "error" not in result.err, result.err
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """``liaison serve HOME`` as a child process, on the port its settings name."""

    def __init__(self, home: Path, port: int | None = None) -> None:
        self.home = home
        args = [sys.executable, "-m", "liaison", "serve", str(home)]
        if port is None:
            with Node.open(home) as node:
                port = int(node.settings.port)
        else:
            args += ["--port", str(port)]
        self.port = port
        self.proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONPATH=str(SRC)),
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.url, timeout=1.0)
                return
            except httpx.TransportError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError(f"server did not start: {self.proc.stderr}") from None
                time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/taxii2/"

    def stop(self) -> tuple[int, str, str]:
        if self.proc.poll() is None:
            self.proc.terminate()
        out, err = self.proc.communicate(timeout=20)
        return self.proc.returncode, out, err


# --- reading commands leave the home exactly as it was --------------------------------------
def test_reading_commands_change_nothing(dz: Path, cli: Cli, demo_world: World) -> None:
    before = digest(dz)
    report = demo_world.report_id
    reads = [
        ["info", dz],
        ["key", "show", dz],
        ["party", "list", dz],
        ["party", "list", dz, "--json"],
        ["collection", "list", dz],
        ["agreement", "list", dz],
        ["agreement", "show", dz, "DZ-XX bilateral exchange arrangement", "--json"],
        ["consent", "list", dz],
        ["policy", "explain", dz, report, "--party", "XX"],
        ["search", dz, "convoy"],
        ["export", dz],
        ["export", dz, "--type", "report", "--collection", "default"],
        ["audit", "verify", dz],
        ["audit", "show", dz, "--action", "object.received", "--limit", "3"],
        ["audit", "alarms", dz],
        ["correlate", "list", dz],
        ["user", "list", dz],
        ["migrate", dz],
    ]
    for argv in reads:
        ok(cli(*argv))
        assert digest(dz) == before, f"`liaison {' '.join(map(str, argv[:2]))}` changed the home"


def test_the_operator_reads_as_no_stored_party(dz: Path, cli: Cli) -> None:
    ok(cli("search", dz, "convoy"))
    ok(cli("export", dz))
    rows = json.loads(ok(cli("party", "list", dz, "--json")).out)
    assert {r["name"]: r["kind"] for r in rows} == {
        "MR": "partner",
        "XX": "partner",
        "ui.officer": "console",
    }


# --- init, info, key, migrate --------------------------------------------------------------
def test_init_info_key(tmp_path: Path, cli: Cli) -> None:
    home = tmp_path / "ne"
    out = ok(cli("init", home, "--org", "Niger liaison", "--country", "ne", "--port", "7100")).out
    assert re.search(r"^identity    identity--", out, re.M)
    info = json.loads(ok(cli("info", home)).out)
    assert info["country"] == "NE" and info["collections"] == ["default"]
    assert info["parties"] == []
    assert "nothing to do" in ok(cli("migrate", home)).out
    shown = ok(cli("key", "show", home)).out
    before = digest(home)
    rotated = ok(cli("key", "rotate", home)).out
    assert "new key" in rotated and digest(home) != before  # the digest does see changes
    assert ok(cli("key", "show", home)).out != shown


# --- parties and collections --------------------------------------------------------------
def test_party_add_set_remove(dz: Path, cli: Cli) -> None:
    key = SigningKey.generate().public_key_b64
    out = ok(cli("party", "add", dz, "NE", "--public-key", key, "--url", "https://ne/taxii2/")).out
    assert re.search(r"^credential\s+\S{20,}$", out, re.M) and "key pinned  SHA256:" in out
    ok(cli("collection", "add", dz, "sahel", "--description", "Sahel"))
    new_key = SigningKey.generate().public_key_b64
    out = ok(cli("party", "set", dz, "NE", "--public-key", new_key, "--read", "sahel")).out
    assert "reads       sahel" in out and "writes      -" in out  # --write unchanged
    out = ok(cli("party", "set", dz, "NE", "--write", "sahel")).out
    assert "reads       sahel" in out and "writes      sahel" in out
    with Node.open(dz) as node:
        ne = node.store.party("NE")
        sahel = node.resolve_collection("sahel").id
        assert ne.public_key_b64 == new_key and ne.url == "https://ne/taxii2/"
        assert [(p.collection_id, p.can_read, p.can_write) for p in ne.permissions] == [
            (sahel, True, True)
        ]
    # nothing cites NE yet: its identity may still change, and it may go
    other = "identity--7d0c9a43-2a7e-4c4e-9d1e-5b8f2f1c0a11"
    assert other in ok(cli("party", "set", dz, "NE", "--identity", other)).out
    ok(cli("party", "disable", dz, "NE"))
    assert "party NE removed" in ok(cli("party", "remove", dz, "NE")).out
    assert "NE" not in ok(cli("party", "list", dz)).out


def test_collection_default_handling(dz: Path, cli: Cli) -> None:
    out = ok(
        cli(
            "collection", "add", dz, "feeds", "--classification", "DIFFUSION RESTREINTE",
            "--rel-to", "MR", "XX", "--tlp", "green",
        )
    ).out  # fmt: skip
    assert "default handling DIFFUSION RESTREINTE, REL TO MR, XX, TLP:GREEN" in out
    listed = json.loads(ok(cli("collection", "list", dz, "--json")).out)
    feeds = next(c for c in listed if c["title"] == "feeds")
    assert feeds["default_handling"]["classification"] == "DIFFUSION RESTREINTE"
    assert feeds["default_handling"]["releasable_to_names"] == ["MR", "XX"]
    assert feeds["default_handling"]["tlp"] == "green"
    assert next(c for c in listed if c["title"] == "default")["default_handling"] is None
    out = ok(cli("collection", "set", dz, "feeds", "--tlp", "amber")).out
    assert out.strip().endswith("default handling TLP:AMBER")  # replaced, not merged
    assert "default: TLP:AMBER" in ok(cli("collection", "list", dz)).out
    with Node.open(dz) as node:
        d = node.collection_default(node.resolve_collection("feeds").id)
        assert d is not None and (d.classification, d.releasable_to, d.tlp) == (None, (), "amber")
    assert "default handling none" in ok(cli("collection", "set", dz, "feeds", "--no-default")).out
    assert "default:" not in ok(cli("collection", "list", dz)).out


def test_a_connected_party_stays_until_the_connection_goes(dz: Path, cli: Cli) -> None:
    ok(cli("party", "add", dz, "NE"))
    url = "http://127.0.0.1:9/taxii2/"
    out = ok(cli("party", "connect", dz, "NE", "--url", url, "--user", "DZ", "--token", "t"))
    assert f"NE: sync from {url} as DZ" in out.out
    refused = cli("party", "remove", dz, "NE")
    assert refused.code == 1 and "its sync connection" in refused.err


# --- agreements -------------------------------------------------------------------------
SPEC = """\
name = "DZ-MR annex on border crossings"
types = ["report", "location", "x-sahel-route"]
regions = ["DZ", "ML"]
max_classification = "CONFIDENTIEL"
valid_days = 90

[[partner]]
party = "MR"
levels = ["NON PROTÉGÉ", "DIFFUSION RESTREINTE", "CONFIDENTIEL DÉFENSE"]
max_classification = "DIFFUSION RESTREINTE"
equivalence = { "NON CLASSIFIÉ" = "NON PROTÉGÉ", "CONFIDENTIEL" = "CONFIDENTIEL DÉFENSE" }

[[contact]]
name = "Liaison officer DZ"
email = "liaison@dz.example"
"""


def test_agreement_propose_sign_exchange_by_file(
    dz: Path, mr: Path, tmp_path: Path, cli: Cli
) -> None:
    spec = tmp_path / "annex.toml"
    spec.write_text(SPEC, encoding="utf-8")
    out = ok(cli("agreement", "propose", dz, spec, "--sign")).out
    assert "[proposed]" in out and "signed by Army intelligence directorate (DZ)" in out
    name = "DZ-MR annex on border crossings"
    shown = json.loads(ok(cli("agreement", "show", dz, name, "--json")).out)
    assert shown["types"] == ["location", "report", "x-sahel-route"]
    assert shown["max_classification"] == {
        "Army intelligence directorate (DZ)": "CONFIDENTIEL",
        "MR": "DIFFUSION RESTREINTE",
    }
    doc = tmp_path / "annex.json"
    ok(cli("agreement", "export", dz, name, "--out", doc))
    assert "[proposed]" in ok(cli("agreement", "import", mr, doc)).out
    assert "[in-force]" in ok(cli("agreement", "sign", mr, name)).out
    ok(cli("agreement", "export", mr, name, "--out", doc))
    assert "[in-force]" in ok(cli("agreement", "sign", dz, doc)).out  # merges, signs again
    assert "[suspended]" in ok(cli("agreement", "suspend", dz, name, "--reason", "review")).out
    assert "[terminated]" in ok(cli("agreement", "terminate", dz, name)).out
    assert name in ok(cli("agreement", "list", dz)).out


def test_send_sync_and_consent_with_a_live_partner(
    dz: Path, mr: Path, cli: Cli, demo_world: World
) -> None:
    """DZ's connection to MR points at MR's port: serve the copy of MR there."""
    server = Served(mr)
    try:
        name = "DZ-MR protocol on violent extremism and organised crime in the Sahel"
        assert "sent" in ok(cli("agreement", "send", dz, name, "--to", "MR")).out
        assert "MR: 0 new" in ok(cli("sync", dz, "--quiet")).out
        out = ok(cli("consent", "request", dz, demo_world.report_id, "--to", "XX")).out
        assert "requested from MR: delivered to MR" in out
    finally:
        server.stop()
    listed = ok(cli("consent", "list", mr)).out
    assert "Armed forces intelligence division (MR) -> XX (asked by DZ)" in listed
    assert not IDENTITY.search(listed)


def test_consent_grant_and_deny(dz: Path, mr: Path, cli: Cli, demo_world: World) -> None:
    out = ok(cli("consent", "request", dz, demo_world.report_id, "--to", "XX")).out
    assert "delivery to MR failed" in out and "next sync" in out  # MR is not running
    consent_id = out.split()[0]
    from liaison.service import documents

    with Node.open(dz) as node:
        request = next(c for c in documents.consents(node) if c.id == consent_id)
    with Node.open(mr) as node:  # what the delivery would have done
        documents.put_consent(node, request.to_stix())
    out = ok(cli("consent", "grant", mr, consent_id, "--valid-days", "5")).out
    assert f"{consent_id}  granted: " in out
    rows = json.loads(ok(cli("consent", "list", mr, "--json")).out)
    row = next(r for r in rows if r["id"] == consent_id)
    assert (row["originator"], row["recipient"], row["requester"]) == (
        "Armed forces intelligence division (MR)",
        "XX",
        "DZ",
    )
    assert "denied" in ok(cli("consent", "deny", mr, consent_id)).out


# --- policy, search, export ---------------------------------------------------------------
def test_policy_explain_names_the_parties(dz: Path, cli: Cli, demo_world: World) -> None:
    ok(cli("party", "add", dz, "NE", "--public-key", SigningKey.generate().public_key_b64))
    out = ok(cli("policy", "explain", dz, demo_world.report_id, "--party", "NE")).out
    assert out.startswith(f"WITHHOLD {demo_world.report_id} to NE")
    assert not IDENTITY.search(out), out
    out = ok(cli("policy", "explain", dz, demo_world.report_id, "--party", "XX")).out
    assert out.startswith("RELEASE") and "DZ-XX bilateral exchange arrangement" in out


def test_search_and_export(dz: Path, tmp_path: Path, cli: Cli, demo_world: World) -> None:
    assert (
        "Smuggling convoy expected near Bordj Badji Mokhtar" in ok(cli("search", dz, "convoy")).out
    )
    out = tmp_path / "bundle.json"
    res = ok(cli("export", dz, "--type", "report", "--out", out))
    assert "1 objects written" in res.err
    bundle = json.loads(out.read_text())
    assert [o["id"] for o in bundle["objects"]] == [demo_world.report_id]
    assert not list(tmp_path.glob("*.part"))
    for_xx = json.loads(ok(cli("export", dz, "--party", "XX", "--type", "report")).out)
    assert [o["id"] for o in for_xx["objects"]] == [demo_world.report_id]


# --- audit, correlate, extract, store copy ------------------------------------------------
def test_audit_lines_name_the_parties(dz: Path, cli: Cli) -> None:
    assert "audit log OK" in ok(cli("audit", "verify", dz)).out
    shown = ok(cli("audit", "show", dz)).out
    assert "object.received" in shown and "from=MR" in shown
    assert not IDENTITY.search(shown), shown
    assert "no open alarms" in ok(cli("audit", "alarms", dz)).out


def test_correlate_and_extract(tmp_path: Path, cli: Cli) -> None:
    assert "same entity" in ok(cli("correlate", "names", "Iyad Ag Ghaly", "إياد أغ غالي")).out
    text = tmp_path / "note.txt"
    text.write_text("JNIM fighters attacked a patrol near Tessalit.", encoding="utf-8")
    bundle = json.loads(ok(cli("extract", text, "--lang", "en", "--date", "2026-03-15")).out)
    assert any(o["type"] == "location" for o in bundle["objects"])


def test_store_copy_to_a_new_sqlite_file(dz: Path, tmp_path: Path, cli: Cli) -> None:
    before = digest(dz)
    out = ok(cli("store", "copy", dz, f"sqlite:///{tmp_path / 'copy.db'}", "--quiet")).out
    assert "verified" in out
    assert digest(dz) == before


# --- serve and the console's users ----------------------------------------------------------
def test_serve_answers_then_stops(dz: Path) -> None:
    server = Served(dz, port=free_port())
    assert httpx.get(server.url, timeout=5).status_code == 401  # up, refusing strangers
    _, out, err = server.stop()
    assert f"serving TAXII 2.1 at http://127.0.0.1:{server.port}/taxii2/" in out
    assert "Traceback" not in err


def test_user_add_passwd_disable(dz: Path, cli: Cli) -> None:
    pw = "a long enough passphrase\n"
    assert (
        "amina (analyst, ar) added"
        in ok(
            cli(
                "user",
                "add",
                dz,
                "amina",
                "--role",
                "analyst",
                "--lang",
                "ar",
                "--password-stdin",
                stdin=pw,
            )
        ).out
    )
    ok(cli("user", "passwd", dz, "amina", "--password-stdin", stdin="another long passphrase\n"))
    ok(cli("user", "disable", dz, "amina"))
    assert "amina\tanalyst\tar\tdisabled" in ok(cli("user", "list", dz)).out
    rows = json.loads(ok(cli("party", "list", dz, "--json")).out)
    assert {"name": "ui.amina", "kind": "console"}.items() <= next(
        r for r in rows if r["name"] == "ui.amina"
    ).items()


# --- the same party commands on PostgreSQL ------------------------------------------------
@pytest.fixture
def pg_home(tmp_path: Path) -> Iterator[Path]:
    import uuid

    import psycopg

    admin = os.environ.get("LIAISON_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        psycopg.connect(admin, connect_timeout=3).close()
    except psycopg.Error as exc:
        missing(f"PostgreSQL not reachable at {admin}: {exc}")
    name = f"liaison_cli_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        home = tmp_path / "pg"
        url = f"{admin.rsplit('/', 1)[0]}/{name}"
        Node.init(home, org="DGSE liaison", country="FR", store=url).close()
        yield home
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.mark.postgres
def test_party_remove_on_postgresql(pg_home: Path, cli: Cli) -> None:
    ok(cli("party", "add", pg_home, "MR_1", "--public-key", SigningKey.generate().public_key_b64))
    ok(cli("party", "add", pg_home, "MRX1"))  # "_" is no wildcard in the name checks
    url = "http://127.0.0.1:9/taxii2/"
    ok(cli("party", "connect", pg_home, "MRX1", "--url", url, "--user", "u", "--token", "t"))
    assert "party MR_1 removed" in ok(cli("party", "remove", pg_home, "MR_1")).out
    refused = cli("party", "remove", pg_home, "MRX1")
    assert refused.code == 1 and "its sync connection" in refused.err
    bad = cli("party", "add", pg_home, "NE", "--public-key", "notbase64")
    assert bad.code == 1 and "base64" in bad.err
    assert "NE" not in ok(cli("party", "list", pg_home)).out
