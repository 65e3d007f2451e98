"""Smoke run of bench/bench_taxii.py: small sizes, Liaison only, real servers on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        import bench_taxii
    finally:
        sys.path.remove(str(BENCH))
    return bench_taxii


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    argv = ["--quick", "--skip-medallion", "--objects", "1000", "--compare", "500"]
    done = subprocess.run(
        [sys.executable, str(BENCH / "bench_taxii.py"), *argv, "--id-reads", "20", "--json"],
        capture_output=True,
        text=True,
        timeout=45,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def test_quick_run_measures_liaison(result: dict[str, Any]) -> None:
    assert set(result["compare"]) == {"liaison"}
    li = result["compare"]["liaison"]
    assert li["objects"] == 500
    assert li["id_reads"] == 20
    for key in ("ingest_per_s", "read_per_s", "manifest_per_s", "id_p50_ms", "id_cpu_ms"):
        assert li[key] > 0, key
    assert li["id_p99_ms"] >= li["id_p50_ms"]

    scale = result["scale"]
    assert scale["objects"] == 1000
    assert scale["read_pages"] == 1
    # RSS at start, at each tenth of the ingest (at least an envelope of 500), after reads.
    assert [n for n, _ in scale["rss_kib"]] == [0, 500, 1000, -1]
    assert all(kib > 10_000 for _, kib in scale["rss_kib"])
    assert scale["ingest_cpu_s"] > 0
    assert {"FULL", "NORMAL"} <= set(result["sqlite_ceiling"])
    assert all(rate > 0 for rate in result["sqlite_ceiling"].values())


def test_targets_without_medallion(result: dict[str, Any]) -> None:
    targets = {t["what"]: t for t in result["targets"]}
    assert "ingest vs medallion" not in targets  # medallion skipped
    ceiling = targets["ingest vs SQLite ceiling (FULL)"]
    rate = result["scale"]["ingest_per_s"]
    assert ceiling["value"] == pytest.approx(100 * rate / result["sqlite_ceiling"]["FULL"], 0.01)
    assert ceiling["pass"] is (ceiling["value"] >= 50)


def test_text_report(bench: ModuleType, result: dict[str, Any], capsys: Any) -> None:
    bench.print_report(result)
    out = capsys.readouterr().out
    assert "Part 1: 500 objects" in out
    assert "Part 2: Liaison alone at 1,000 objects" in out
    assert "SQLite FULL" in out
    assert "ingest vs SQLite ceiling (FULL)" in out
    assert ("PASS" in out) or ("MISS" in out)


def test_memory_verdict(bench: ModuleType) -> None:
    mib = 1024
    flat = [(0, 40 * mib)] + [(n * 10_000, (60 + min(n, 4) * 15) * mib) for n in range(1, 11)]
    leak = [(0, 40 * mib)] + [(n * 10_000, (60 + n * 15) * mib) for n in range(1, 11)]
    assert bench.memory_verdict(flat)["flat"] is True
    verdict = bench.memory_verdict(leak)
    assert verdict["flat"] is False
    assert verdict["kib_per_10k_objects"] == pytest.approx(15 * mib)


def test_generated_objects_are_valid_and_deterministic(bench: ModuleType) -> None:
    from liaison.stix import validate_object

    a = bench.make_objects(800, seed=3)
    assert a == bench.make_objects(800, seed=3)
    assert a != bench.make_objects(800, seed=4)
    objs = [json.loads(b) for b in a]
    assert len({o["id"] for o in objs}) == 800
    assert len({o["type"] for o in objs}) >= 5
    assert [(o["id"], r) for o in objs if (r := validate_object(o))] == []
