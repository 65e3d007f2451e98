"""``liaison correlate``: ask whether two names match; list the correlations a node holds.

* ``liaison correlate names NAME1 NAME2 [--kind person|organization|place] [--json]``
  works without a node home.
* ``liaison correlate list DIR [--object ID] [--limit N] [--offset N] [--json]`` reads
  the node's store (local analysts only: correlations are never shown to partners).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from liaison.errors import InvalidInputError

__all__ = ["register", "run_list", "run_names"]


def register(subparsers: Any) -> None:
    """Add the ``correlate`` command group."""
    parser = subparsers.add_parser(
        "correlate",
        help="cross-lingual name matching and the node's correlations",
        description="Correlations link objects that share an observable or name the same "
        "person, group or place in any script. They are local knowledge.",
    )
    sub = parser.add_subparsers(dest="correlate_command", metavar="SUBCOMMAND")
    sub.required = True

    names = sub.add_parser(
        "names",
        help="do two names refer to the same entity?",
        description="Compare two names (Latin or Arabic script) and explain the decision.",
    )
    names.add_argument("name1", metavar="NAME1")
    names.add_argument("name2", metavar="NAME2")
    names.add_argument("--kind", choices=("person", "organization", "place"), default=None)
    names.add_argument("--json", action="store_true", help="print the answer as JSON")
    names.set_defaults(func=run_names)

    listing = sub.add_parser(
        "list",
        help="list the correlations stored in a node",
        description="List correlations, newest first (or those of one object).",
    )
    listing.add_argument("home", metavar="DIR", type=Path, help="the node home")
    listing.add_argument("--object", metavar="ID", help="only the correlations of this object")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--offset", type=int, default=0)
    listing.add_argument("--json", action="store_true", help="print the list as JSON")
    listing.set_defaults(func=run_list)


def run_names(args: argparse.Namespace) -> int:
    """Print whether ``name1`` and ``name2`` match; exit 0 either way."""
    from liaison.correlate import match_names

    m = match_names(args.name1, args.name2, args.kind)
    if args.json:
        out = {"name1": args.name1, "name2": args.name2, "kind": args.kind, **m.as_dict()}
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    else:
        verdict = "same entity" if m.same else "different entities"
        sys.stdout.write(f"{verdict} (score {m.score:.2f}, rule {m.rule})\n{m.explanation}\n")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print the correlations stored in ``DIR/liaison.db``."""
    from liaison.correlate import LOCAL

    if args.limit < 0 or args.offset < 0:
        raise InvalidInputError("--limit and --offset must not be negative")
    from liaison.node import Node
    from liaison.service.correlations import backlog, correlation_index

    # A reading command writes nothing: what is not correlated yet is said, not done.
    with Node.open(args.home) as node, correlation_index(node, complete=False) as index:
        if args.object:
            found = index.correlations_for(args.object, viewer=LOCAL)
            found = found[args.offset : args.offset + args.limit]
        else:
            found = index.list(args.limit, args.offset, viewer=LOCAL)
        waiting = backlog(node)
    if waiting:
        print(
            f"note: {waiting} stored object version(s) not correlated yet;"
            " a serving node correlates them",
            file=sys.stderr,
        )
    if args.json:
        rows = [c.as_dict() for c in found]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    if not found:
        sys.stdout.write("no correlations\n")
    for c in found:
        sys.stdout.write(
            f"#{c.id} {c.score:.2f} {c.kind}/{c.rule}: {c.object_a} ({c.source_a})"
            f" <-> {c.object_b} ({c.source_b})\n    {c.explanation}\n"
        )
    return 0
