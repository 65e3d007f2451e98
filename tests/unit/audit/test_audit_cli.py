"""``liaison audit verify|show|alarms|ack`` through the real CLI frame."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from audit_support import MakeEntries, open_db, stix_id

import liaison.cli as cli
from liaison.audit import AuditEntry, AuditLog, Gossip, ObjectRef
from liaison.signing import SigningKey

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("liaison.cli.audit",))

    def go(*argv: str) -> tuple[int, str, str]:
        code = cli.main(["audit", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return go


@pytest.fixture
def home(tmp_path: Path, make_entries: MakeEntries) -> Path:
    """A bare node home: liaison.db and node.key."""
    home = tmp_path / "node"
    home.mkdir()
    key = SigningKey.generate()
    key.save(home / "node.key")
    conn = open_db(home / "liaison.db")
    log = AuditLog(conn, signing_key=key)
    log.append_many(make_entries(12))
    log.append(
        AuditEntry(
            "settings.changed", "admin", details={"name": "port"}, time="2020-05-01T00:00:00Z"
        )
    )
    conn.close()
    return home


def test_verify_ok_and_failing(run: Run, home: Path) -> None:
    code, out, err = run("verify", str(home))
    assert code == 0 and err == ""
    assert out.startswith("audit log OK: 13 entries")

    conn = open_db(home / "liaison.db")
    conn.execute(
        "UPDATE audit_entries SET actor = 'x', body = replace(body, 'analyst-1', 'x') WHERE seq = 4"
    )
    conn.execute("DELETE FROM audit_entries WHERE seq = 9")
    conn.close()
    code, out, err = run("verify", str(home))
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("liaison: error: audit log FAILED: row seq 4 was changed")
    assert "more problems" in err

    code, out, err = run("verify", str(home), "--problems")
    assert code == 1
    assert "changed-row: row seq 4 was changed" in out
    assert "missing-rows: row seq 9 was deleted" in out

    code, out, err = run("verify", str(home), "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    assert {p["kind"] for p in report["problems"]} >= {"changed-row", "missing-rows", "head-root"}


def test_verify_accepts_an_older_trusted_key(
    run: Run, home: Path, make_entries: MakeEntries
) -> None:
    old = (home / "node.key").read_text()
    new = SigningKey.generate()
    new.save(home / "node.key")  # key rotated: older heads are signed by the old key
    conn = open_db(home / "liaison.db")
    AuditLog(conn, signing_key=new).append_many(make_entries(2, 100))
    conn.close()
    code, _, err = run("verify", str(home))
    assert code == 1 and "untrusted key" in err
    old_pub = SigningKey.from_seed_b64(old).public_key_b64
    code, out, _ = run("verify", str(home), "--trusted-key", old_pub)
    assert code == 0 and "OK: 15 entries" in out


def test_show_filters_as_table_and_json(run: Run, home: Path) -> None:
    code, out, _ = run("show", str(home))
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:4] == ["SEQ", "TIME", "ACTOR", "ACTION"]
    assert len(lines) == 14

    code, out, _ = run("show", str(home), "--action", "object.released", "--json")
    rows = json.loads(out)
    assert [r["seq"] for r in rows] == [1, 5, 9]
    assert rows[0]["recipient"] == stix_id("identity", 2) and rows[0]["reasons"]
    assert all(len(r["leaf_hash"]) == 64 for r in rows)

    code, out, _ = run("show", str(home), "--actor", "partner-ml")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["2", "6", "10"]
    assert "ORCON: originator consent missing" in out

    code, out, _ = run("show", str(home), "--action", "login.failed", "--limit", "1")
    assert "address=10.0.0.7; attempt=3" in out

    code, out, _ = run("show", str(home), "--object", stix_id("indicator", 5), "--json")
    assert [r["seq"] for r in json.loads(out)] == [5]

    code, out, _ = run("show", str(home), "--until", "2021-01-01", "--json")
    assert [r["action"] for r in json.loads(out)] == ["settings.changed"]
    code, out, _ = run("show", str(home), "--since", "2021-01-01T00:00:00Z", "--json")
    assert len(json.loads(out)) == 12

    code, out, _ = run("show", str(home), "--limit", "2", "--newest-first", "--json")
    assert [r["seq"] for r in json.loads(out)] == [12, 11]

    code, _, err = run("show", str(home), "--since", "last tuesday")
    assert code == 1 and "RFC 3339" in err


def test_alarms_and_ack(run: Run, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run("alarms", str(home))
    assert code == 0 and out.strip() == "no open alarms"
    conn = open_db(home / "liaison.db")
    alarm = Gossip(conn).raise_alarm("node-ml", "two roots signed for size 40", kind="fork")
    conn.close()

    code, out, _ = run("alarms", str(home))
    assert code == 0 and "node-ml" in out and "fork" in out and "open" in out
    code, out, _ = run("alarms", str(home), "--json")
    assert [a["id"] for a in json.loads(out)] == [alarm.id]

    monkeypatch.setenv("LIAISON_OPERATOR", "cdt.traore")
    code, out, _ = run("ack", str(home), str(alarm.id))
    assert code == 0 and "acknowledged by cdt.traore: sync may resume" in out
    code, out, _ = run("alarms", str(home))
    assert out.strip() == "no open alarms"
    code, out, _ = run("alarms", str(home), "--all", "--json")
    assert json.loads(out)[0]["acknowledged_by"] == "cdt.traore"
    code, _, err = run("ack", str(home), str(alarm.id))
    assert code == 1 and "already acknowledged" in err
    code, _, err = run("ack", str(home), "77")
    assert code == 1 and "no audit alarm 77" in err
    # the acknowledgement is itself audited, under a fresh signed head
    code, out, _ = run("show", str(home), "--action", "audit.alarm_acknowledged", "--json")
    assert [r["actor"] for r in json.loads(out)] == ["cdt.traore"]
    code, out, _ = run("verify", str(home))
    assert code == 0 and "OK: 14 entries" in out


def test_missing_home_or_key(run: Run, tmp_path: Path, home: Path) -> None:
    code, _, err = run("verify", str(tmp_path / "nowhere"))
    assert code == 1 and "not a Liaison node home" in err
    os.remove(home / "node.key")
    code, _, err = run("verify", str(home))
    assert code == 1 and "node key missing" in err


def test_node_home_checks_stored_objects(
    run: Run, node_factory: Callable[..., Any], stix_factory: Any
) -> None:
    """With a full node home, `verify` also checks the store's objects against the log."""
    from liaison.store import NewObject

    node = node_factory()
    obj = stix_factory.indicator()
    body = json.dumps(obj).encode()
    new = NewObject(
        id=obj["id"], type="indicator", spec_version="2.1", version=obj["modified"],
        version_us=None, body=body, sha256=hashlib.sha256(body).hexdigest(),
    )  # fmt: skip

    def audit(results: list[tuple[str, bool]]) -> None:
        with node.store.connection() as db:
            AuditLog(db, signing_key=node.key).append(
                AuditEntry(
                    "object.created",
                    "analyst",
                    objects=(ObjectRef.for_stored(obj["id"], obj["modified"], body),),
                    details={"collection": node.default_collection_id},
                )
            )

    node.store.add_objects(node.default_collection_id, [new], within=audit)
    code, out, err = run("verify", str(node.home))
    assert code == 0, err
    assert "OK: 1 entries" in out

    forged = body.replace(b"C2 relay", b"C3 relay")
    with sqlite3.connect(node.home / "liaison.db") as raw:  # behind the node's back
        raw.execute(
            "UPDATE objects SET body = ?, sha256 = ? WHERE id = ?",
            (forged, hashlib.sha256(forged).hexdigest(), obj["id"]),
        )
    raw.close()
    code, out, err = run("verify", str(node.home))
    assert code == 1 and f"object {obj['id']} version {obj['modified']} was changed" in err
