"""What the whole suite shares besides fixtures: resources it needs, Hypothesis budgets.

``missing(reason)``: a test needs something the machine lacks (Chromium, PostgreSQL,
the ``../shared`` data). On a developer's machine the test is skipped with the reason;
under CI (``CI`` set to anything but ``0``/``false``/``no``) or with
``LIAISON_REQUIRE_ALL=1`` it fails instead, so a run can never pass by skipping.

Hypothesis profiles (``tests/conftest.py`` loads one before any test module):

* ``ci``: derandomised (a fixed seed per test), no example database, every example
  printed on failure; chosen when ``CI`` is set.
* ``dev``: Hypothesis' defaults, randomised; chosen otherwise.
* ``long``: randomised, ten times the examples (``HYPOTHESIS_PROFILE=long``).
* ``mutation``: derandomised like ``ci``; used by ``scripts/mutation`` so a mutant is
  killed or not the same way on every run.

``HYPOTHESIS_PROFILE`` overrides the choice. ``examples(n)`` scales a test's own
``max_examples`` with the profile (``n`` under ``ci``/``dev``, ``10 n`` under ``long``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest
from hypothesis import HealthCheck, settings

__all__ = [
    "CHECKOUT",
    "ci_run",
    "examples",
    "load_hypothesis_profile",
    "missing",
    "required",
    "shared_file",
]

#: The repository root (the directory holding ``pyproject.toml``).
CHECKOUT = Path(__file__).resolve().parents[1]
_FALSE = ("", "0", "false", "no", "off")


def ci_run() -> bool:
    """True when ``CI`` is set (to anything but an explicit no)."""
    return os.environ.get("CI", "").strip().lower() not in _FALSE


def required() -> bool:
    """True when every external resource must be present: under CI, or when asked."""
    return ci_run() or os.environ.get("LIAISON_REQUIRE_ALL", "").strip() == "1"


def missing(reason: str, *, allow_module_level: bool = False) -> NoReturn:
    """Skip with ``reason`` -- or fail, when every resource is required (see above)."""
    if required():
        pytest.fail(
            f"{reason} (required under CI or LIAISON_REQUIRE_ALL=1: the run must not pass "
            "by skipping)",
            pytrace=False,
        )
    pytest.skip(reason, allow_module_level=allow_module_level)


def shared_file(relative: str) -> Path:
    """A file of the shared data set: ``$LIAISON_SHARED/relative``, by default
    ``../shared/relative`` beside the checkout (a developer's machine and CI alike)."""
    root = os.environ.get("LIAISON_SHARED") or str(CHECKOUT.parent / "shared")
    return Path(root) / relative


_BASE_EXAMPLES = 100  # Hypothesis' default max_examples, the ``ci`` and ``dev`` budget

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev")
settings.register_profile(
    "long",
    max_examples=10 * _BASE_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "mutation",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def load_hypothesis_profile() -> str:
    """Load the profile this run asks for (see the module docstring); return its name."""
    name = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if ci_run() else "dev")
    settings.load_profile(name)
    return name


def examples(n: int) -> int:
    """A test's ``max_examples`` of ``n`` under the current profile's budget."""
    return max(1, n * settings().max_examples // _BASE_EXAMPLES)
