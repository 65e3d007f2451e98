"""Key rotation: partners follow an announcement signed by the key they pinned."""

from __future__ import annotations

from pathlib import Path

from liaison.cli import main
from liaison.demo.run import run_demo
from liaison.node import Node
from liaison.service.events import audit_log


def test_rotation_is_followed_and_old_signatures_stay_valid(tmp_path: Path) -> None:
    lines: list[str] = []
    result = run_demo(tmp_path, lines.append, wait=False)
    assert result["xx_after_consent"]
    mr_home, dz_home = tmp_path / "MR", tmp_path / "DZ"
    before = Node.open(mr_home).key.public_key_b64
    assert main(["key", "rotate", str(mr_home)]) == 0
    mr = Node.open(mr_home)
    after = mr.key.public_key_b64
    assert after != before and (mr_home / "node.key").stat().st_mode & 0o777 == 0o600
    with audit_log(mr) as log:
        assert log.verify([before, after]).ok
    mr.close()
    # DZ follows the announcement at its next sync (servers are stopped: do it in-process).
    from starlette.testclient import TestClient

    from liaison.service import build_exchange
    from liaison.sync import PeerClient, get_peer, pull
    from liaison.taxii import create_app

    mr = Node.open(mr_home)
    dz = Node.open(dz_home)
    client = TestClient(create_app(mr))
    peer = get_peer(dz, "MR")
    pc = PeerClient(peer)
    pc.http = client  # type: ignore[assignment]
    pc.http.auth = (peer.user, peer.token)
    pc._root = "http://testserver/api/"
    report = pull(build_exchange(dz), peer, client=pc)
    assert report.rejected == 0
    assert dz.store.party("MR").public_key_b64 == after
    dz.close()
    mr.close()
