"""``liaison user add|passwd|disable`` through a small argparse harness."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from liaison.cli import user as user_cli
from liaison.errors import ConflictError, InvalidInputError
from liaison.node import Node
from liaison.service.accounts import Accounts


class Terminal(io.StringIO):
    """Standard input as a terminal (where ``getpass`` prompts)."""

    def isatty(self) -> bool:
        return True


def run(argv: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch, *, tty: bool = False) -> int:
    parser = argparse.ArgumentParser(prog="liaison")
    user_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    monkeypatch.setattr("sys.stdin", Terminal(stdin) if tty else io.StringIO(stdin))
    return int(args.func(args))


def test_add_passwd_disable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "n"
    Node.init(home, org="Test service", country="FR").close()
    pw = "a long enough passphrase"
    assert run(["user", "add", str(home), "amina", "--role", "officer", "--lang", "ar",
                "--password-stdin"], pw + "\n", monkeypatch) == 0  # fmt: skip
    assert "amina (officer, ar) added" in capsys.readouterr().out
    with pytest.raises(ConflictError):
        run(["user", "add", str(home), "amina", "--role", "analyst", "--password-stdin"],
            pw + "\n", monkeypatch)  # fmt: skip
    with pytest.raises(InvalidInputError):
        run(["user", "add", str(home), "bob", "--role", "analyst", "--password-stdin"],
            "short\n", monkeypatch)  # fmt: skip
    with pytest.raises(SystemExit):
        run(["user", "add", str(home), "bob", "--role", "general"], "", monkeypatch)
    assert run(["user", "passwd", str(home), "amina", "--password-stdin"],
               "another long passphrase\n", monkeypatch) == 0  # fmt: skip
    node = Node.open(home)
    try:
        acc = Accounts(node)
        assert acc.login("amina", "another long passphrase").role == "officer"
    finally:
        node.close()
    capsys.readouterr()
    assert run(["user", "list", str(home)], "", monkeypatch) == 0
    assert capsys.readouterr().out == "amina\tofficer\tar\tactive\n"
    assert run(["user", "disable", str(home), "amina"], "", monkeypatch) == 0
    node = Node.open(home)
    try:
        assert Accounts(node).get("amina").disabled
    finally:
        node.close()


def test_prompted_passwords_must_match(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "n"
    Node.init(home, org="Test service", country="FR").close()
    answers = iter(["a long enough passphrase", "a different passphrase"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(InvalidInputError, match="differ"):
        run(["user", "add", str(home), "amina", "--role", "analyst"], "", monkeypatch, tty=True)


def test_a_piped_password_needs_password_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "n"
    Node.init(home, org="Test service", country="FR").close()
    with pytest.raises(InvalidInputError, match="--password-stdin"):
        run(["user", "add", str(home), "amina", "--role", "analyst"], "pw\n", monkeypatch)
    with pytest.raises(InvalidInputError, match="empty"):
        run(["user", "add", str(home), "amina", "--role", "analyst", "--password-stdin"],
            "", monkeypatch)  # fmt: skip
    with Node.open(home) as node:
        assert Accounts(node).users() == []
