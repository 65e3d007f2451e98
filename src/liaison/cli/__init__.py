"""The ``liaison`` command: one module per command group.

Each module in ``COMMAND_MODULES`` exposes ``register(subparsers)``, which adds its
sub-command(s) and sets ``func`` (``(argparse.Namespace) -> int``) as a default.
Every ``LiaisonError`` is printed as one line on stderr (a traceback only with
``--verbose``) and the command exits 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from liaison import __version__
from liaison.errors import LiaisonError

__all__ = ["main"]

COMMAND_MODULES: tuple[str, ...] = (
    "liaison.cli.node",
    "liaison.cli.party",
    "liaison.cli.collection",
    "liaison.cli.agreement",
    "liaison.cli.consent",
    "liaison.cli.sync",
    "liaison.cli.demo",
    "liaison.cli.policy",
    "liaison.cli.search",
    "liaison.cli.export",
    "liaison.cli.store",
    "liaison.cli.extract",
    "liaison.cli.correlate",
    "liaison.cli.audit",
    "liaison.cli.key",
    "liaison.cli.user",
)


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake reported like every other error: one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``liaison`` parser with every command group registered."""
    parser = _Parser(prog="liaison", description="Liaison: a secure intelligence-exchange node.")
    parser.add_argument("--version", action="version", version=f"liaison {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``liaison`` command; return its exit code (1 for a refused one)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except LiaisonError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"liaison: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("liaison: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        if args.verbose:
            traceback.print_exc()
        print(
            f"liaison: error: {exc.strerror or exc}"
            + (f": {exc.filename}" if exc.filename else ""),
            file=sys.stderr,
        )
        return 1
    except Exception as exc:  # a bug or an unmapped driver error: still one line
        if args.verbose:
            traceback.print_exc()
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"liaison: internal error: {first} (--verbose shows the traceback)", file=sys.stderr)
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
