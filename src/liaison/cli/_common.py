"""Helpers shared by command modules."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from liaison.errors import InvalidInputError
from liaison.node import Node
from liaison.store import PartyRecord, Permission

__all__ = [
    "OPERATOR",
    "add_home",
    "check_out",
    "emit_json",
    "named",
    "open_node",
    "operator_party",
    "positive",
    "readable",
    "tcp_port",
]

_IDENTITY_ID = re.compile(r"identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

#: The name the operator's own reads go by (not a stored party: it has no credential).
OPERATOR = "operator"


def add_home(parser: argparse.ArgumentParser) -> None:
    """The ``DIR`` argument every node command takes."""
    parser.add_argument("home", metavar="DIR", type=Path, help="the node home")


def open_node(args: argparse.Namespace) -> Node:
    """The node of ``args.home``; use it as a context manager."""
    return Node.open(args.home)


def emit_json(value: Any) -> None:
    """Print ``value`` as indented JSON."""
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def operator_party(node: Node) -> PartyRecord:
    """The node's own view, for the operator's reads: internal, reads every collection.

    It is never stored: it has no credential, and ``party list`` does not show it.
    """
    return PartyRecord(
        name=OPERATOR,
        identity_id=node.identity_id,
        internal=True,
        token_hash="",
        permissions=tuple(Permission(c.id, True, False) for c in node.collections()),
    )


def named(names: dict[str, str], identity_id: str) -> str:
    """A known name for ``identity_id`` (the id itself when none is known)."""
    return names.get(identity_id, identity_id)


def readable(text: str, names: dict[str, str]) -> str:
    """``text`` with every identity id it holds replaced by its known name."""
    return _IDENTITY_ID.sub(lambda m: names.get(m.group(0), m.group(0)), text)


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def tcp_port(text: str) -> int:
    """An argparse type: a TCP port, 1-65535."""
    value = positive(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be between 1 and 65535, not {value}")
    return value


def check_out(path: Path) -> Path:
    """``path`` if a file may be written there: its folder exists and it is not a folder."""
    if path.is_dir():
        raise InvalidInputError(f"--out {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise InvalidInputError(f"--out {path}: folder {path.parent} does not exist")
    return path
