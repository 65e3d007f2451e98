"""Node homes for the CLI tests, built once per session and copied per test.

``demo_world`` runs the real demo scenario once (three homes DZ, MR, XX with parties,
pinned keys, signed agreements, a received report, a consent, sync checkpoints and
console users); each test copies the homes it needs with ``shutil.copytree``, so that
a command may change its copy freely. ``fresh`` is a just-initialised home.
``cli(*argv)`` runs one command in-process (``liaison.cli.main``).
"""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_world import Result, World

from liaison.cli import main
from liaison.node import Node


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    from liaison.demo import run_demo

    base = tmp_path_factory.mktemp("cli-world")
    result = run_demo(base, say=lambda _: None, wait=False)
    assert result["xx_after_consent"], result
    from liaison.node import Node
    from liaison.service.correlations import catch_up

    for code in ("DZ", "MR", "XX"):  # settle derived-index work: homes at rest
        with Node.open(base / code) as node:
            catch_up(node)
            node.store.catch_up_search()
    return World(base, result["report_id"])


@pytest.fixture(scope="session")
def fresh_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cli-fresh") / "home"
    Node.init(home, org="DGSE liaison", country="FR").close()
    return home


@pytest.fixture
def copy_home(tmp_path: Path) -> Callable[[Path, str], Path]:
    """``copy_home(src, name)``: a private copy of a home under this test's tmp_path."""

    def copy(src: Path, name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(src, dst)
        return dst

    return copy


@pytest.fixture
def dz(demo_world: World, copy_home: Callable[[Path, str], Path]) -> Path:
    return copy_home(demo_world.home("DZ"), "DZ")


@pytest.fixture
def mr(demo_world: World, copy_home: Callable[[Path, str], Path]) -> Path:
    return copy_home(demo_world.home("MR"), "MR")


@pytest.fixture
def fresh(fresh_home: Path, copy_home: Callable[[Path, str], Path]) -> Path:
    return copy_home(fresh_home, "fresh")


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """``cli(*argv, stdin=None)``: run one ``liaison`` command in-process."""

    def run(*argv: Any, stdin: str | None = None) -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse refusing the command line
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run
