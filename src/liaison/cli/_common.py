"""Helpers shared by command modules."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from liaison.node import Node
from liaison.store import PartyRecord

__all__ = ["add_home", "emit_json", "open_node", "operator_party"]


def add_home(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("home", metavar="DIR", type=Path, help="the node home")


def open_node(args: argparse.Namespace) -> Node:
    return Node.open(args.home)


def emit_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def operator_party(node: Node) -> PartyRecord:
    """The internal party the operator's commands read as (created on first use)."""
    for p in node.store.parties():
        if p.internal and not p.disabled:
            return p
    party, _ = node.add_party("operator", internal=True)
    return party
