"""Every command of the README's table, given each kind of bad input, refuses it with one
line on stderr, a non-zero exit code and a node home exactly as it was before.

The homes are copies of the demo's (parties with pinned keys, agreements in force, a
received report, a granted consent, sync checkpoints, console users), so that each
refusal is tried against a node with real state to damage.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import sys
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cli_world import Result, World, assert_one_line_error, digest

from liaison.node import Node
from suite_support import missing as resource_missing

SPEC = """\
name = "DZ-MR annex"
types = ["report", "indicator"]
max_classification = "CONFIDENTIEL"

[[partner]]
party = "MR"
levels = ["NON PROTÉGÉ", "DIFFUSION RESTREINTE", "CONFIDENTIEL DÉFENSE"]
max_classification = "CONFIDENTIEL DÉFENSE"
equivalence = { "NON CLASSIFIÉ" = "NON PROTÉGÉ" }
"""


@dataclass
class Ctx:
    """What a case's command line may refer to."""

    dz: Path
    tmp: Path
    world: World
    facts: dict[str, str] = field(default_factory=dict)

    def spec(self, text: str) -> Path:
        path = self.tmp / "spec.toml"
        path.write_text(text, encoding="utf-8")
        return path

    def file(self, name: str, text: str) -> Path:
        path = self.tmp / name
        path.write_text(text, encoding="utf-8")
        return path


@dataclass(frozen=True)
class Case:
    id: str
    argv: Callable[[Ctx], list[object]]
    words: tuple[str, ...]
    stdin: str | None = None
    absent: Callable[[Ctx], Path] | None = None  # a path that must not appear


def connect(c: Ctx, name: str, url: str = "http://x/taxii2/", *extra: object) -> list[object]:
    return ["party", "connect", c.dz, name, "--url", url, "--user", "DZ", "--token", "t", *extra]


def propose(c: Ctx, spec: str) -> list[object]:
    return ["agreement", "propose", c.dz, c.spec(spec)]


def case(
    id: str,
    argv: Callable[[Ctx], list[object]],
    *words: str,
    stdin: str | None = None,
    absent: Callable[[Ctx], Path] | None = None,
) -> Case:
    return Case(id, argv, words, stdin, absent)


BAD_KEY = base64.b64encode(b"\x00" * 32).decode()  # 32 bytes, not a curve point
NEW_ID = f"identity--{uuid.uuid4()}"

CASES = [
    # --- init ---------------------------------------------------------------------------
    case(
        "init-country-not-iso",
        lambda c: ["init", c.tmp / "new", "--org", "X", "--country", "zz"],
        "'zz'",
        "ISO 3166-1",
        absent=lambda c: c.tmp / "new",
    ),
    case(
        "init-country-user-assigned",
        lambda c: ["init", c.tmp / "new", "--org", "X", "--country", "XX"],
        "'XX'",
        absent=lambda c: c.tmp / "new",
    ),
    case(
        "init-empty-org",
        lambda c: ["init", c.tmp / "new", "--org", " ", "--country", "DZ"],
        "--org",
        absent=lambda c: c.tmp / "new",
    ),
    case(
        "init-bad-port",
        lambda c: ["init", c.tmp / "new", "--org", "X", "--country", "DZ", "--port", "70000"],
        "port",
        absent=lambda c: c.tmp / "new",
    ),
    case(
        "init-existing-home",
        lambda c: ["init", c.dz, "--org", "X", "--country", "DZ"],
        "already a Liaison node home",
    ),
    case(
        "init-on-a-file",
        lambda c: ["init", c.file("plain", "x"), "--org", "X", "--country", "DZ"],
        "not a folder",
    ),
    # --- info, migrate, index, key: not a home ----------------------------------------------
    case("info-not-a-home", lambda c: ["info", c.tmp / "nothing"], "not a Liaison node home"),
    case("migrate-not-a-home", lambda c: ["migrate", c.tmp / "nothing"], "not a Liaison"),
    case("index-not-a-home", lambda c: ["index", c.tmp / "nothing"], "not a Liaison"),
    case(
        "index-follow-not-a-home",
        lambda c: ["index", c.tmp / "nothing", "--follow"],
        "not a Liaison",
    ),
    case("key-rotate-not-a-home", lambda c: ["key", "rotate", c.tmp / "nothing"], "not a"),
    case("key-unknown-action", lambda c: ["key", "burn", c.dz], "invalid choice"),
    # --- party add ----------------------------------------------------------------------
    case(
        "party-add-key-not-base64",
        lambda c: ["party", "add", c.dz, "NE", "--public-key", "notbase64"],
        "--public-key",
        "base64",
    ),
    case(
        "party-add-key-not-a-point",
        lambda c: ["party", "add", c.dz, "NE", "--public-key", BAD_KEY],
        "not a valid Ed25519",
    ),
    case(
        "party-add-own-key",
        lambda c: ["party", "add", c.dz, "NE", "--public-key", c.facts["dz_key"]],
        "own key",
    ),
    case(
        "party-add-key-of-another",
        lambda c: ["party", "add", c.dz, "NE", "--public-key", c.facts["mr_key"]],
        "MR has this public key",
    ),
    case(
        "party-add-bad-url",
        lambda c: ["party", "add", c.dz, "NE", "--url", "ftp://node"],
        "http://",
    ),
    case(
        "party-add-url-with-password",
        lambda c: ["party", "add", c.dz, "NE", "--url", "https://u:p@node/taxii2/"],
        "credentials",
    ),
    case(
        "party-add-bad-identity",
        lambda c: ["party", "add", c.dz, "NE", "--identity", "identity--nope"],
        "not a STIX identity id",
    ),
    case(
        "party-add-identity-of-another",
        lambda c: ["party", "add", c.dz, "NE", "--identity", c.facts["mr_id"]],
        "MR has identity",
    ),
    case(
        "party-add-own-identity",
        lambda c: ["party", "add", c.dz, "NE", "--identity", c.facts["dz_id"]],
        "own identity",
    ),
    case("party-add-bad-name", lambda c: ["party", "add", c.dz, "bad name!"], "party name"),
    case("party-add-existing", lambda c: ["party", "add", c.dz, "MR"], "'MR' already exists"),
    case(
        "party-add-unknown-collection",
        lambda c: ["party", "add", c.dz, "NE", "--read", "nope"],
        "no collection 'nope'",
    ),
    case(
        "party-add-internal-with-key",
        lambda c: ["party", "add", c.dz, "NE", "--internal", "--public-key", c.facts["mr_key"]],
        "internal",
    ),
    case("party-add-no-name", lambda c: ["party", "add", c.dz], "required"),
    # --- party set / remove / disable -------------------------------------------------------
    case(
        "party-set-bad-key",
        lambda c: ["party", "set", c.dz, "MR", "--public-key", "notbase64"],
        "base64",
    ),
    case(
        "party-set-bad-url",
        lambda c: ["party", "set", c.dz, "MR", "--url", "not a url"],
        "--url",
    ),
    case(
        "party-set-identity-while-cited",
        lambda c: ["party", "set", c.dz, "MR", "--identity", NEW_ID],
        "cannot change",
        "object version(s) received",
    ),
    case(
        "party-set-unknown-collection",
        lambda c: ["party", "set", c.dz, "MR", "--write", "nope"],
        "no collection",
    ),
    case("party-set-nothing", lambda c: ["party", "set", c.dz, "MR"], "nothing to change"),
    case(
        "party-set-unknown",
        lambda c: ["party", "set", c.dz, "ghost", "--url", "http://x/"],
        "no party ghost",
    ),
    case(
        "party-set-key-on-internal",
        lambda c: ["party", "set", c.dz, "ui.officer", "--public-key", c.facts["mr_key"]],
        "internal party",
    ),
    case(
        "party-remove-cited",
        lambda c: ["party", "remove", c.dz, "MR"],
        "still cited",
        "received from it",
        "agreement",
        "its sync connection",
    ),
    case(
        "party-remove-cited-by-agreement",
        lambda c: ["party", "remove", c.dz, "XX"],
        "still cited",
        "agreement",
    ),
    case(
        "party-remove-console-user",
        lambda c: ["party", "remove", c.dz, "ui.officer"],
        "console user",
    ),
    case("party-remove-unknown", lambda c: ["party", "remove", c.dz, "ghost"], "no party ghost"),
    case("party-disable-unknown", lambda c: ["party", "disable", c.dz, "ghost"], "no party"),
    # --- party connect ----------------------------------------------------------------------
    case("connect-bad-url", lambda c: connect(c, "MR", "mr:6100"), "--url"),
    case("connect-unknown-party", lambda c: connect(c, "ghost"), "no party ghost"),
    case("connect-internal-party", lambda c: connect(c, "ui.officer"), "internal party"),
    case(
        "connect-missing-ca",
        lambda c: connect(c, "MR", "https://x/taxii2/", "--ca", c.tmp / "ca.pem"),
        "--ca",
        "no such file",
    ),
    case(
        "connect-cert-without-key",
        lambda c: connect(c, "MR", "https://x/", "--client-cert", c.file("c.pem", "x")),
        "go together",
    ),
    case("connect-unknown-into", lambda c: connect(c, "MR", "http://x/", "--into", "nope"), "no"),
    # --- collections ------------------------------------------------------------------------
    case(
        "collection-duplicate-title",
        lambda c: ["collection", "add", c.dz, "default"],
        "already called 'default'",
    ),
    case("collection-empty-title", lambda c: ["collection", "add", c.dz, "  "], "empty"),
    case(
        "collection-bad-alias",
        lambda c: ["collection", "add", c.dz, "sahel", "--alias", "a b"],
        "alias",
    ),
    case(
        "collection-add-unknown-level",
        lambda c: ["collection", "add", c.dz, "feeds", "--classification", "TOP SECRET"],
        "'TOP SECRET' is not a level of this node's scheme",
    ),
    case(
        "collection-add-unknown-party",
        lambda c: ["collection", "add", c.dz, "feeds", "--rel-to", "MR", "ghost"],
        "--rel-to: no party called 'ghost'",
    ),
    case(
        "collection-add-bad-tlp",
        lambda c: ["collection", "add", c.dz, "feeds", "--tlp", "purple"],
        "invalid choice",
    ),
    case(
        "collection-set-unknown",
        lambda c: ["collection", "set", c.dz, "ghost", "--tlp", "green"],
        "no collection 'ghost'",
    ),
    case(
        "collection-set-nothing",
        lambda c: ["collection", "set", c.dz, "default"],
        "nothing to set",
    ),
    case(
        "collection-set-both",
        lambda c: ["collection", "set", c.dz, "default", "--no-default", "--tlp", "red"],
        "--no-default takes no",
    ),
    case(
        "collection-set-unknown-level",
        lambda c: ["collection", "set", c.dz, "default", "--classification", "SECRET DÉFENSE"],
        "not a level of this node's scheme",
    ),
    # --- sync -------------------------------------------------------------------------------
    case("sync-unknown-party", lambda c: ["sync", c.dz, "--party", "ghost"], "no party ghost"),
    case(
        "sync-party-without-connection",
        lambda c: ["sync", c.dz, "--party", "XX", "--quiet"],
        "no connection set up for party XX",
    ),
    case("sync-page-size-zero", lambda c: ["sync", c.dz, "--page-size", "0"], "at least 1"),
    # --- agreements ---------------------------------------------------------------------
    case(
        "propose-unknown-key",
        lambda c: propose(c, SPEC.replace("max_cl", 'regoins = ["DZ"]\nmax_cl', 1)),
        "spec.toml:3:",
        "unknown key 'regoins'",
        "did you mean 'regions'",
    ),
    case(
        "propose-misplaced-key",
        lambda c: propose(c, SPEC + "valid_dayz = 30\n"),
        "spec.toml:10:",
        "'valid_dayz'",
        "[[partner]]",
    ),
    case(
        "propose-unknown-stix-type",
        lambda c: propose(c, SPEC.replace('"indicator"', '"indicatr"')),
        "spec.toml:2:",
        "unknown STIX type 'indicatr'",
    ),
    case(
        "propose-level-not-ours",
        lambda c: propose(c, SPEC.replace('"CONFIDENTIEL"', '"TOP"')),
        "spec.toml:3:",
        "not one of our levels",
    ),
    case(
        "propose-unknown-party",
        lambda c: propose(c, SPEC.replace('party = "MR"', 'party = "ghost"')),
        "spec.toml:6:",
        "no party ghost",
    ),
    case(
        "propose-partner-level-unknown",
        lambda c: propose(c, SPEC.replace('"NON CLASSIFIÉ" = "NON PROTÉGÉ"', '"SECRET" = "X"')),
        "spec.toml:9:",
        "'X' is not one of the levels of MR",
    ),
    case(
        "propose-negative-days",
        lambda c: propose(c, "valid_days = -5\n" + SPEC),
        "spec.toml:1:",
        "valid_days",
    ),
    case("propose-not-toml", lambda c: propose(c, "name = "), "not valid TOML"),
    case(
        "propose-missing-file",
        lambda c: ["agreement", "propose", c.dz, c.tmp / "none.toml"],
        "no such file",
    ),
    case("sign-unknown", lambda c: ["agreement", "sign", c.dz, "ghost"], "no agreement 'ghost'"),
    case(
        "sign-missing-file",
        lambda c: ["agreement", "sign", c.dz, c.tmp / "gone.json"],
        "no such file",
    ),
    case(
        "import-not-json",
        lambda c: ["agreement", "import", c.dz, c.file("a.json", "{nope")],
        "not a readable JSON",
    ),
    case(
        "import-not-an-agreement",
        lambda c: ["agreement", "import", c.dz, c.file("a.json", json.dumps({"type": "x"}))],
        "not an agreement",
    ),
    case("show-unknown", lambda c: ["agreement", "show", c.dz, "ghost"], "no agreement"),
    case("suspend-unknown", lambda c: ["agreement", "suspend", c.dz, "ghost"], "no agreement"),
    case("terminate-unknown", lambda c: ["agreement", "terminate", c.dz, "ghost"], "no agreement"),
    case(
        "export-agreement-missing-folder",
        lambda c: ["agreement", "export", c.dz, c.facts["dz_mr"], "--out", c.tmp / "no" / "a"],
        "does not exist",
    ),
    case(
        "send-to-nobody",
        lambda c: ["agreement", "send", c.dz, c.facts["dz_mr"], "--to", "nobody"],
        "no party nobody",
    ),
    case(
        "send-to-a-non-party",
        lambda c: ["agreement", "send", c.dz, c.facts["dz_mr"], "--to", "XX"],
        "XX is not a party",
    ),
    # --- consents -----------------------------------------------------------------------
    case(
        "consent-request-unknown-object",
        lambda c: ["consent", "request", c.dz, f"report--{uuid.uuid4()}", "--to", "XX"],
        "no object",
    ),
    case(
        "consent-request-unknown-party",
        lambda c: ["consent", "request", c.dz, c.world.report_id, "--to", "ghost"],
        "no party ghost",
    ),
    case(
        "consent-grant-negative-days",
        lambda c: ["consent", "grant", c.dz, c.facts["consent"], "--valid-days", "-5"],
        "--valid-days",
        "at least 1",
    ),
    case(
        "consent-grant-unknown",
        lambda c: ["consent", "grant", c.dz, "x-liaison-consent--nope"],
        "no consent",
    ),
    case(
        "consent-grant-not-ours",
        lambda c: ["consent", "grant", c.dz, c.facts["consent"]],
        "asks MR, not this node",
    ),
    case("consent-deny-unknown", lambda c: ["consent", "deny", c.dz, "x-liaison-consent--x"], "no"),
    case(
        "consent-deny-not-ours",
        lambda c: ["consent", "deny", c.dz, c.facts["consent"]],
        "asks MR, not this node",
    ),
    # --- policy, search, export ------------------------------------------------------------
    case(
        "explain-unknown-object",
        lambda c: ["policy", "explain", c.dz, f"report--{uuid.uuid4()}", "--party", "XX"],
        "no object",
    ),
    case(
        "explain-unknown-party",
        lambda c: ["policy", "explain", c.dz, c.world.report_id, "--party", "ghost"],
        "no party ghost",
    ),
    case("search-empty", lambda c: ["search", c.dz, "  "], "empty"),
    case("search-unknown-party", lambda c: ["search", c.dz, "convoy", "--party", "ghost"], "ghost"),
    case("search-zero-limit", lambda c: ["search", c.dz, "convoy", "--limit", "0"], "at least 1"),
    case("export-bogus-type", lambda c: ["export", c.dz, "--type", "bogus"], "'bogus'"),
    case("export-typo-type", lambda c: ["export", c.dz, "--type", "reprot"], "'report'"),
    case(
        "export-missing-folder",
        lambda c: ["export", c.dz, "--out", c.tmp / "missing" / "out.json"],
        "does not exist",
    ),
    case("export-unknown-party", lambda c: ["export", c.dz, "--party", "ghost"], "no party"),
    case(
        "export-unknown-collection",
        lambda c: ["export", c.dz, "--collection", "ghost"],
        "no collection",
    ),
    # --- audit --------------------------------------------------------------------------
    case(
        "audit-show-unknown-action",
        lambda c: ["audit", "show", c.dz, "--action", "nonsense"],
        "'nonsense'",
    ),
    case("audit-show-bad-since", lambda c: ["audit", "show", c.dz, "--since", "soon"], "soon"),
    case("audit-show-negative-limit", lambda c: ["audit", "show", c.dz, "--limit", "-1"], "limit"),
    case("audit-ack-unknown", lambda c: ["audit", "ack", c.dz, "999"], "999"),
    case("audit-verify-not-a-home", lambda c: ["audit", "verify", c.tmp / "nothing"], "not a"),
    # --- extract, correlate -------------------------------------------------------------
    case("extract-missing-file", lambda c: ["extract", c.tmp / "none.txt"], "cannot read"),
    case(
        "extract-bad-date",
        lambda c: ["extract", c.file("t.txt", "x"), "--date", "2024-13-01"],
        "--date",
    ),
    case("correlate-bad-kind", lambda c: ["correlate", "names", "a", "b", "--kind", "x"], "kind"),
    case(
        "correlate-negative-limit",
        lambda c: ["correlate", "list", c.dz, "--limit", "-1"],
        "must not be negative",
    ),
    # --- store copy ---------------------------------------------------------------------
    case(
        "store-copy-missing-source",
        lambda c: ["store", "copy", c.tmp / "missing", f"sqlite:///{c.tmp / 'x.db'}"],
        "does not exist",
        absent=lambda c: c.tmp / "x.db",
    ),
    case(
        "store-copy-not-a-home",
        lambda c: ["store", "copy", c.tmp, f"sqlite:///{c.tmp / 'x.db'}"],
        "not a Liaison node home",
        absent=lambda c: c.tmp / "x.db",
    ),
    case(
        "store-copy-onto-itself",
        lambda c: ["store", "copy", c.dz, f"sqlite:///{c.dz / 'liaison.db'}"],
        "same store",
    ),
    case(
        "store-copy-unsupported",
        lambda c: ["store", "copy", c.dz, "mysql://db/x"],
        "unsupported store",
    ),
    # --- console users ------------------------------------------------------------------
    case(
        "user-add-piped-password",
        lambda c: ["user", "add", c.dz, "amina", "--role", "analyst"],
        "--password-stdin",
        stdin="a long enough passphrase\n",
    ),
    case(
        "user-add-empty-stdin",
        lambda c: ["user", "add", c.dz, "amina", "--role", "analyst", "--password-stdin"],
        "empty",
    ),
    case(
        "user-add-short-password",
        lambda c: ["user", "add", c.dz, "amina", "--role", "analyst", "--password-stdin"],
        "password",
        stdin="short\n",
    ),
    case(
        "user-add-existing",
        lambda c: ["user", "add", c.dz, "officer", "--role", "analyst", "--password-stdin"],
        "exists",
        stdin="a long enough passphrase\n",
    ),
    case(
        "user-add-bad-role",
        lambda c: ["user", "add", c.dz, "amina", "--role", "general"],
        "invalid choice",
    ),
    case(
        "user-passwd-unknown",
        lambda c: ["user", "passwd", c.dz, "ghost", "--password-stdin"],
        "no user",
        stdin="a long enough passphrase\n",
    ),
    case("user-disable-unknown", lambda c: ["user", "disable", c.dz, "ghost"], "no user"),
    # --- the demo, serve, and every reading command on something that is not a home ----
    case("demo-unknown-option", lambda c: ["demo", "--fast"], "unrecognized arguments"),
    case("serve-cert-without-key", lambda c: ["serve", c.dz, "--tls-cert", "x.pem"], "together"),
    *(
        case(
            f"{'-'.join(argv)}-not-a-home",
            lambda c, argv=argv, rest=rest: [*argv, c.tmp / "nothing", *rest],
            "not a Liaison node home",
        )
        for argv, rest in [
            (["party", "list"], []),
            (["collection", "list"], []),
            (["agreement", "list"], []),
            (["consent", "list"], []),
            (["audit", "alarms"], []),
            (["audit", "show"], []),
            (["key", "show"], []),
            (["user", "list"], []),
            (["correlate", "list"], []),
            (["search"], ["convoy"]),
            (["export"], []),
            (["sync"], []),
        ]
    ),
    case("audit-alarms-bad-option", lambda c: ["audit", "alarms", c.dz, "--open"], "--open"),
]


def _table_commands() -> set[tuple[str, str | None]]:
    """(command, action) for every command the README's table names."""
    from liaison.cli import build_parser

    groups = {
        name: {a for a in sub.choices} if sub is not None else None
        for name, p in _subparsers(build_parser()).choices.items()
        for sub in [_subparsers(p)]
    }
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    out: set[tuple[str, str | None]] = set()
    for row in re.findall(r"^\| (`liaison .*?) \|", readme, re.M):
        group = ""
        for code in re.findall(r"`([^`]+)`", row):
            words = code.split()
            words = words[1:] if words[0] == "liaison" else words
            if words[0] not in groups:  # "grant DIR CONSENT" continues the row's group
                words = [group, *words]
            group = words[0]
            actions = groups[group]
            for action in words[1].split("|") if actions else [None]:
                assert action is None or action in actions, code
                out.add((group, action))
    return out


def _subparsers(parser: Any) -> Any:
    return next((a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"), None)


def test_the_cases_cover_every_command_of_the_readme(tmp_path: Path) -> None:
    from liaison.cli import build_parser

    with_actions = {n for n, p in _subparsers(build_parser()).choices.items() if _subparsers(p)}
    ctx = Ctx(dz=tmp_path, tmp=tmp_path, world=World(tmp_path, ""), facts=defaultdict(str))
    covered = set()
    for c in CASES:
        argv = [str(a) for a in c.argv(ctx)]
        covered.add((argv[0], argv[1] if argv[0] in with_actions else None))
    table = _table_commands()
    assert len(table) > 40
    assert table - covered == set()


@pytest.fixture(scope="module")
def facts(demo_world: World) -> dict[str, str]:
    """Ids and keys of the demo's DZ home that cases refer to."""
    from liaison.service import documents

    with Node.open(demo_world.home("DZ")) as node:
        mr = node.store.party("MR")
        consent = next(c for c in documents.consents(node) if c.object_ref)
        dz_mr = next(a for a in documents.agreements(node) if a.name.startswith("DZ-MR"))
        return {
            "dz_id": node.identity_id,
            "dz_key": node.key.public_key_b64,
            "mr_id": mr.identity_id,
            "mr_key": mr.public_key_b64,
            "consent": consent.id,
            "dz_mr": dz_mr.id,
        }


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(
    c: Case,
    cli: Callable[..., Result],
    dz: Path,
    tmp_path: Path,
    demo_world: World,
    facts: dict[str, str],
) -> None:
    ctx = Ctx(dz=dz, tmp=tmp_path, world=demo_world, facts=facts)
    argv = c.argv(ctx)  # may write input files under tmp_path
    before = digest(dz)
    result = cli(*argv, stdin=c.stdin)
    assert_one_line_error(result, *c.words)
    assert digest(dz) == before, "the refused command changed the node home"
    if c.absent is not None:
        assert not c.absent(ctx).exists()


# --- the same, as a real process: no traceback reaches the terminal ------------------------
SRC = Path(__file__).resolve().parents[3] / "src"


def run_process(*argv: object, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ, PYTHONPATH=str(SRC))
    return subprocess.run(
        [sys.executable, "-m", "liaison", *map(str, argv)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def as_result(proc: subprocess.CompletedProcess[str]) -> Result:
    return Result(proc.returncode, proc.stdout, proc.stderr)


def test_a_piped_password_without_the_flag_is_one_line(dz: Path) -> None:
    """The issue's "internal error: EOFError": stdin not a terminal, no --password-stdin."""
    before = digest(dz)
    proc = subprocess.run(
        [sys.executable, "-m", "liaison", "user", "add", str(dz), "amina", "--role", "analyst"],
        input="a long enough passphrase\n",
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "PYTHONPATH": str(SRC)},
        timeout=60,
    )
    assert_one_line_error(as_result(proc), "--password-stdin")
    assert digest(dz) == before


def test_serve_on_a_busy_port_says_so_before_serving(dz: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        before = digest(dz)
        proc = run_process("serve", dz, "--port", port)
    line = assert_one_line_error(as_result(proc), f"port {port}", "already in use")
    assert "serving" not in proc.stdout, proc.stdout
    assert "warning" not in proc.stderr  # nothing said before the refusal
    assert line.startswith("liaison: error:")
    assert digest(dz) == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--tls-cert", "cert.pem"], ("go together",)),
        (["--tls-cert", "cert.pem", "--tls-key", "key.pem"], ("--tls-cert", "no such file")),
        (["--host", "0.0.0.0"], ("refusing plain HTTP",)),
        (["--port", "70000"], ("between 1 and 65535",)),
        (["--tls-client-ca", "ca.pem"], ("needs --tls-cert",)),
    ],
)
def test_serve_refuses_bad_options_before_serving(
    dz: Path, cli: Callable[..., Result], args: list[str], words: tuple[str, ...]
) -> None:
    before = digest(dz)
    result = cli("serve", dz, *args)
    assert_one_line_error(result, *words)
    assert "serving" not in result.out
    assert digest(dz) == before


def _store(home: Path, url: str) -> None:
    toml = home / "liaison.toml"
    text = toml.read_text().replace('store = "sqlite:///liaison.db"', f'store = "{url}"')
    toml.write_text(text)


def test_an_unreachable_postgresql_server_is_one_line(
    fresh: Path, cli: Callable[..., Result]
) -> None:
    _store(fresh, "postgresql://postgres:secret@127.0.0.1:9/liaison")
    line = assert_one_line_error(cli("info", fresh), "127.0.0.1:9", "cannot connect")
    assert "secret" not in line


@pytest.mark.postgres
def test_a_missing_postgresql_database_is_one_line(
    fresh: Path, cli: Callable[..., Result], caplog: pytest.LogCaptureFixture
) -> None:
    """Before: five "error connecting in 'pool-1'" lines, then a 30 s wait."""
    import os

    admin = os.environ.get("LIAISON_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        import psycopg

        psycopg.connect(admin, connect_timeout=3).close()
    except psycopg.Error as exc:
        resource_missing(f"PostgreSQL not reachable at {admin}: {exc}")
    missing = f"liaison_missing_{uuid.uuid4().hex[:8]}"
    _store(fresh, f"{admin.rsplit('/', 1)[0]}/{missing}")
    assert_one_line_error(cli("info", fresh), missing, "does not exist")
    assert not [r for r in caplog.records if "pool" in r.name], "the pool was started"
