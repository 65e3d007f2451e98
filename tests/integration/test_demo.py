"""``liaison demo``: the whole flow with three real servers, then nothing left running."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
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


def _liaison(*args: str) -> subprocess.Popen[str]:
    src = Path(__file__).resolve().parents[2] / "src"
    return subprocess.Popen(
        [sys.executable, "-m", "liaison", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(src), PYTHONUNBUFFERED="1"),
    )


def _commands_of(pid: int) -> list[str]:
    """Command lines of every process (to find servers left behind by ``pid``)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != pid:
            try:
                out.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except OSError:
                continue
    return out


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_the_demo_stops_its_three_servers(sig: signal.Signals) -> None:
    proc = _liaison("demo")
    assert proc.stdout is not None
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
        text = "".join(lines)
        folder = re.search(r"^Demo folder: (\S+)$", text, re.M)
        urls = re.findall(r"(http://127\.0\.0\.1:\d+/taxii2/)", text)
        assert folder and len(urls) == 3, text
        assert all(httpx.get(u, timeout=5).status_code == 401 for u in urls)
        assert f"liaison audit show {folder.group(1)}/DZ --action read.denied" in text

        proc.send_signal(sig)  # to the demo alone, not to its process group
        rest = proc.stdout.read()
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    assert "Traceback" not in rest, rest
    assert code == (128 + sig if sig == signal.SIGTERM else 0), rest
    for u in urls:
        with pytest.raises(httpx.ConnectError):
            httpx.get(u, timeout=2.0)
    assert not [c for c in _commands_of(proc.pid) if folder.group(1) in c and "serve" in c]
    assert not Path(folder.group(1)).exists()  # not --keep: the folder is gone too


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_demo_keep_suggests_the_real_homes() -> None:
    proc = _liaison("demo", "--no-wait", "--keep")
    out, _ = proc.communicate(timeout=100)
    assert proc.returncode == 0, out
    found = re.search(r"^Demo folder: (\S+)$", out, re.M)
    assert found, out
    base = Path(found.group(1))
    try:
        assert f"The three homes are kept in {base}: DZ, MR and XX." in out
        suggested = re.findall(r"^  (liaison .+)$", out.split("are kept in", 1)[1], re.M)
        assert len(suggested) >= 3
        for line in suggested:
            home = Path(line.split()[3])
            assert home.parent == base and (home / "liaison.toml").is_file(), line
    finally:
        shutil.rmtree(base, ignore_errors=True)
