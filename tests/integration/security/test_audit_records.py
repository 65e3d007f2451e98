"""Issue #13, findings 8 and 9: documents handled with the CLI are audited; a key
rotation cannot leave a running server signing with the retired key."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from hostile import Hostile

from liaison.agreements import sign
from liaison.cli import main as cli
from liaison.demo.run import LEVELS
from liaison.node import Node
from liaison.service import documents
from liaison.service.events import audit_log


def _actions(node: Node) -> list[str]:
    with audit_log(node) as log:
        return [r.entry.action for r in log.query()]


def test_agreements_and_consents_from_the_cli_are_audited(
    hostile: Hostile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    h = hostile
    dz = h.dz.node
    spec = tmp_path / "annex.toml"
    mr_levels = ", ".join(f'"{x}"' for x in LEVELS["MR"])
    pairs = ", ".join(f'"{a}" = "{b}"' for a, b in zip(LEVELS["DZ"], LEVELS["MR"], strict=True))
    spec.write_text(
        'name = "DZ-MR annex"\ntypes = ["report"]\nmax_classification = "CONFIDENTIEL"\n'
        f'valid_days = 30\n\n[[partner]]\nparty = "MR"\nlevels = [{mr_levels}]\n'
        f'max_classification = "CONFIDENTIEL DÉFENSE"\nequivalence = {{ {pairs} }}\n',
        encoding="utf-8",
    )
    before = len(_actions(dz))
    code = cli(["agreement", "propose", str(dz.home), str(spec), "--sign"])
    assert code == 0, capsys.readouterr().err
    new = _actions(dz)[before:]
    assert "agreement.signed" in new
    # MR's countersignature comes back as a file: imported, audited as stored.
    proposed = next(a for a in documents.agreements(dz) if a.name == "DZ-MR annex")
    mr_signed = sign(proposed, h.mr.node.identity_id, h.mr.node.key)
    path = tmp_path / "countersigned.json"
    path.write_text(__import__("json").dumps(mr_signed.to_stix()), encoding="utf-8")
    before = len(_actions(dz))
    assert cli(["agreement", "import", str(dz.home), str(path)]) == 0
    assert _actions(dz)[before:] == ["agreement.stored"]
    # A consent request for MR's report, made and signed here.
    before = len(_actions(dz))
    assert cli(["consent", "request", str(dz.home), h.mr_report["id"], "--to", "XX"]) == 0
    assert _actions(dz)[before:] == ["consent.signed"]
    capsys.readouterr()
    # MR's ledger at DZ records the documents that concern MR (its own view of them).
    from liaison.service.events import partner_ledger

    with partner_ledger(dz) as led:
        kinds = [a for _, a, _, _ in led.entries(h.mr.node.identity_id)]
    assert "exchange.agreement" in kinds and "exchange.consent" in kinds


def test_no_key_rotation_while_serving(tmp_path: Path) -> None:
    node = Node.init(tmp_path / "dz", org="DZ", country="DZ")
    node.close()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "liaison", "serve", str(tmp_path / "dz"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/taxii2/", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
        key_before = (tmp_path / "dz" / "node.key").read_bytes()
        got = subprocess.run(
            [sys.executable, "-m", "liaison", "key", "rotate", str(tmp_path / "dz")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert got.returncode == 1
        assert got.stderr.count("\n") == 1 and "stop it first" in got.stderr, got.stderr
        assert (tmp_path / "dz" / "node.key").read_bytes() == key_before
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # Stopped: the rotation goes through, and the node's own log still verifies.
    assert cli(["key", "rotate", str(tmp_path / "dz")]) == 0
    assert cli(["audit", "verify", str(tmp_path / "dz")]) == 0


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
