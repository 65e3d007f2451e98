"""Smoke run of bench/bench_sync.py: a small sync, the figures it prints are sane."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sync_world import cli_env

BENCH = Path(__file__).resolve().parents[3] / "bench" / "bench_sync.py"


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_small_run_prints_figures() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--objects", "400", "--page-size", "100", "--json"],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    r = json.loads(done.stdout)
    assert r["objects"] == 402  # two marking definitions and 400 reports
    assert r["page_size"] == 100
    assert r["receipts"] == 5  # one per page the puller stored
    for key in ("read_seconds", "sync_seconds", "read_cpu_seconds", "sync_cpu_seconds"):
        assert r[key] > 0, key
    assert r["ratio"] == pytest.approx(r["sync_seconds"] / r["read_seconds"], rel=0.02)
    assert r["sync_cpu_seconds"] > r["read_cpu_seconds"]  # verifying and storing costs
    assert r["sync_cpu_us_per_object"] == pytest.approx(1e6 * r["sync_cpu_seconds"] / 402, rel=0.01)
    assert r["settled_seconds"] >= r["sync_seconds"]  # then searchable and correlated
    assert r["verify_objects_per_s"] > 0 and r["raw_ed25519_per_s"] > 0
    assert r["verify_sample"] == 402
    assert "MR: 402 new" in done.stderr
