"""Smoke runs of bench/bench_taxii.py, bench/bench_cliff.py, bench/bench_ingest_cpu.py and
bench/bench_receive_cpu.py: small sizes, Liaison only, real servers on loopback (the last two:
in process)."""

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
    argv += ["--compare-large", "500"]
    done = subprocess.run(
        [sys.executable, str(BENCH / "bench_taxii.py"), *argv, "--id-reads", "20", "--json"],
        capture_output=True,
        text=True,
        timeout=180,
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
    for key in ("ingest_per_s", "read_per_s", "manifest_per_s", "id_p50_ms"):
        assert li[key] > 0, key
    # CPU time moves in clock ticks (10 ms): 20 reads of ~0.5 ms may all fall in one
    assert li["id_cpu_ms"] >= 0
    # ingest_cpu_s is rounded to 10 ms: within 10 ms / 500 objects = 20 µs
    assert li["ingest_cpu_us_per_object"] == pytest.approx(1e6 * li["ingest_cpu_s"] / 500, abs=21)
    assert li["batch_p99_ms"] >= li["batch_p50_ms"] > 0
    assert result["large"]["liaison"]["objects"] == 500
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
    # every target has its line, and the line ends with the verdict the figures give
    targets = out.split("\nTargets\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(targets) == len(result["targets"])
    for line, v in zip(targets, result["targets"], strict=True):
        assert line.strip().startswith(v["what"]), (line, v)
        verdict = "info" if v["pass"] is None else ("PASS" if v["pass"] else "MISS")
        assert line.split()[-1] == verdict, (line, v)


def test_text_report_names_each_verdict(
    bench: ModuleType, result: dict[str, Any], capsys: Any
) -> None:
    """Whatever this machine measured: a met target prints PASS, a missed one MISS."""
    first = result["targets"][0]
    made = [dict(first, what=f"target {i}", unit="%", target=50, value=v, **{"pass": p})
            for i, (v, p) in enumerate([(80.0, True), (20.0, False), (1.0, None)])]  # fmt: skip
    bench.print_report(dict(result, targets=made))
    lines = {
        line.split()[1]: line.split()[-1]
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("  target ")
    }
    assert lines == {"0": "PASS", "1": "MISS", "2": "info"}


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


def test_the_cliff_bench_runs_and_judges_what_it_measured() -> None:
    # bench_cliff wraps the store's write path to time the worker's transactions; a
    # change of that path's signature once broke it with nobody noticing.
    done = subprocess.run(
        [sys.executable, str(BENCH / "bench_cliff.py"), "--sizes=10,50", "--rounds=1", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result = json.loads(done.stdout)
    assert [r["size"] for r in result["results"]] == [10, 50]
    for r in result["results"]:
        for kind in ("similar", "unrelated"):
            got = r[kind]
            assert got["objects"] == 1000
            assert got["worker_writes"] > 0 and got["lock_max_ms"] >= got["lock_p50_ms"] > 0
            assert got["cpu_us_per_object"] > 0
    flat = {v["what"]: v for v in result["verdicts"]}["similar: CPU per object flat (10 -> 50)"]
    cpu = [r["similar"]["cpu_us_per_object"] for r in result["results"]]
    assert flat["pass"] is (max(cpu) <= 1.25 * cpu[0])


def test_the_in_process_ingest_bench_stores_and_releases_everything() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "bench_ingest_cpu.py"), "--objects", "120", "--envelope",
         "50", "--read", "--partner", "30"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )  # fmt: skip
    out = done.stdout
    assert "objects 120  stored 120  envelopes 3 of 50" in out, out
    assert "(120 rows)" in out and "(32 rows)" in out, out  # 30 reports + 2 markings
    assert "failures" not in done.stderr, done.stderr


def test_the_in_process_receive_bench_stores_everything() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "bench_receive_cpu.py"), "--objects", "90", "--page", "40"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    out = done.stdout
    assert "objects 92  stored 92  pages 3 of 40" in out, out  # 90 + the 2 markings
    assert "failures" not in done.stderr, done.stderr
