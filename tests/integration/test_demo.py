"""``liaison demo``: the whole flow with three real servers, then nothing left running."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from liaison.demo import run_demo


def _children() -> set[int]:
    """Processes whose parent is this test process (Linux /proc)."""
    me = str(os.getpid())
    out = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'
        if stat.rsplit(")", 1)[1].split()[1] == me:
            out.add(int(entry.name))
    return out


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_demo_shares_refuses_then_releases_after_consent(tmp_path: Path) -> None:
    before = _children()
    lines: list[str] = []
    result = run_demo(tmp_path, say=lines.append, wait=False)

    assert result["dz_has_report"] is True
    assert result["xx_before_consent"] is False
    assert result["xx_after_consent"] is True
    text = "\n".join(lines)
    assert "third-party rule: received from MR, no consent to release to XX" in text
    assert "origin signature by MR verified at XX" in text
    assert "MR's source description withheld" in text  # redacted for DZ
    assert lines[-1] == "Stopped cleanly."

    # the servers are gone: no child process, nothing listening on their ports
    assert _children() - before == set()
    for info in result["nodes"].values():
        with pytest.raises(httpx.ConnectError):
            httpx.get(info["url"], timeout=2.0)
