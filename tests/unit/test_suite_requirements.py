"""Under CI a missing browser, database or shared data set fails the run; elsewhere it skips.

Each case runs pytest in a subprocess and reads its exit code: first on a tiny test file
that calls ``suite_support.missing``, then on the suite's own tests with each resource
pointed somewhere it is not (``LIAISON_CHROMIUM``, ``LIAISON_TEST_PG``, ``LIAISON_SHARED``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from suite_support import CHECKOUT

TESTS = CHECKOUT / "tests"
TINY = """
from suite_support import missing


def test_needs_the_thing():
    missing("the thing is absent")


def test_plain():
    assert 1 + 1 == 2
"""
#: One test per resource, each reaching it through the suite's real fixtures.
NEEDY = [
    "tests/e2e/test_e2e_accessibility.py::test_contrast_formula",
    "tests/integration/store/test_store_copy.py::test_copy_round_trip",
    "tests/unit/stix/test_stix_conformance.py::test_attack_bundle_validates_fully",
]
ABSENT = {
    "LIAISON_CHROMIUM": "/nonexistent/chromium",
    "LIAISON_TEST_PG": "postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=2",
    "LIAISON_SHARED": "/nonexistent/shared",
}


def _pytest(args: list[str], cwd: Path, **env: str) -> tuple[int, str]:
    """Run pytest in a subprocess without the caller's CI settings: (exit code, output)."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "LIAISON_REQUIRE_ALL", "PYTEST_ADDOPTS", "HYPOTHESIS_PROFILE")
    }
    base["PYTHONPATH"] = os.pathsep.join([str(TESTS), base.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("env", "code", "summary"),
    [
        ({}, 0, "1 passed, 1 skipped"),
        ({"CI": "false"}, 0, "1 passed, 1 skipped"),
        ({"CI": "true"}, 1, "1 failed, 1 passed"),
        ({"LIAISON_REQUIRE_ALL": "1"}, 1, "1 failed, 1 passed"),
    ],
    ids=["local", "ci-false", "ci-true", "require-all"],
)
def test_missing_skips_locally_and_fails_under_ci(
    tmp_path: Path, env: dict[str, str], code: int, summary: str
) -> None:
    (tmp_path / "test_tiny.py").write_text(TINY)
    got, out = _pytest(["test_tiny.py"], tmp_path, **env)
    assert got == code, out
    assert summary in out, out
    if code:
        assert "the thing is absent (required under CI" in out


def test_the_suites_own_resources_fail_under_ci() -> None:
    code, out = _pytest(["-rfEs", *NEEDY], CHECKOUT, CI="true", **ABSENT)
    assert code == 1, out
    for needle in ("/nonexistent/chromium is missing", "PostgreSQL not reachable", "ATT&CK"):
        summary = [x for x in out.splitlines() if x.startswith("ERROR tests/") and needle in x]
        assert len(summary) == 1, (needle, out)
    assert out.count("(required under CI or LIAISON_REQUIRE_ALL=1") >= 3, out
    assert out.strip().splitlines()[-1].startswith("3 errors in"), out


def test_the_suites_own_resources_skip_locally() -> None:
    code, out = _pytest(["-rs", *NEEDY], CHECKOUT, **ABSENT)
    assert code == 0, out
    assert out.strip().splitlines()[-1].startswith("3 skipped"), out
