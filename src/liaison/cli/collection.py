"""``liaison collection add|set|list``: collections and their default handling.

A collection's default handling marks what local clients post unmarked (no
``object_marking_refs``; granular markings stay): ``--classification`` (a level of this
node's scheme), ``--rel-to`` (partners, by party name; this node is always in the list)
and ``--tlp``. Everything is checked before anything is written.
"""

from __future__ import annotations

import argparse
from typing import Any

from liaison.cli._common import add_home, emit_json, open_node
from liaison.errors import InvalidInputError
from liaison.markings.defaults import DefaultHandling
from liaison.markings.tlp import TLP_LEVELS
from liaison.node import Node

__all__ = ["describe_default", "register"]


def _default_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--classification",
        metavar="LEVEL",
        help="default classification: a level of this node's scheme",
    )
    p.add_argument(
        "--rel-to",
        nargs="+",
        metavar="PARTY",
        default=[],
        help="default releasability: partners by name (this node is always included)",
    )
    p.add_argument("--tlp", choices=TLP_LEVELS, help="default TLP level")


def register(sub: Any) -> None:
    p = sub.add_parser("collection", help="manage TAXII collections")
    cs = p.add_subparsers(dest="collection_command", metavar="ACTION", required=True)
    a = cs.add_parser(
        "add", help="create a collection (optionally with a default handling for unmarked posts)"
    )
    add_home(a)
    a.add_argument("title")
    a.add_argument("--description", default="")
    a.add_argument("--alias")
    _default_flags(a)
    a.set_defaults(func=cmd_add)
    s = cs.add_parser(
        "set", help="set (or remove) the default handling of a collection's unmarked posts"
    )
    add_home(s)
    s.add_argument("collection", metavar="COLLECTION", help="id, title or alias")
    _default_flags(s)
    s.add_argument(
        "--no-default", action="store_true", help="remove the default: unmarked stays unmarked"
    )
    s.set_defaults(func=cmd_set)
    ls = cs.add_parser("list", help="list collections")
    add_home(ls)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)


def _default(node: Node, args: argparse.Namespace) -> DefaultHandling | None:
    """The default handling the flags describe (None: no flag), checked in full."""
    level, names, tlp = args.classification, list(args.rel_to), args.tlp
    if level is None and not names and tlp is None:
        return None
    levels = list(node.settings.classification_levels)
    if level is not None and level not in levels:
        raise InvalidInputError(
            f"--classification: {level!r} is not a level of this node's scheme"
            f" ({', '.join(levels)})"
        )
    parties = {p.name: p for p in node.parties()}
    ids: list[str] = []
    for name in names:
        party = parties.get(name)
        if party is None:
            raise InvalidInputError(f"--rel-to: no party called {name!r} (liaison party list)")
        if party.internal:
            raise InvalidInputError(
                f"--rel-to: {name} is an internal party; this node is always in the list"
            )
        ids.append(party.identity_id)
    return DefaultHandling(classification=level, releasable_to=tuple(ids), tlp=tlp)


def describe_default(d: DefaultHandling | None, names: dict[str, str]) -> str:
    """One line for people: ``CONFIDENTIEL, REL TO MR, XX, TLP:GREEN`` (or ``none``)."""
    if d is None:
        return "none"
    parts = []
    if d.classification is not None:
        parts.append(d.classification)
    if d.releasable_to:
        parts.append("REL TO " + ", ".join(sorted(names.get(i, i) for i in d.releasable_to)))
    if d.tlp is not None:
        parts.append(f"TLP:{d.tlp.upper()}")
    return ", ".join(parts)


def _default_json(d: DefaultHandling | None, names: dict[str, str]) -> dict[str, Any] | None:
    if d is None:
        return None
    rel = sorted(names.get(i, i) for i in d.releasable_to)
    return {**d.to_json(), "releasable_to_names": rel}


def cmd_add(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        default = _default(node, args)
        c = node.add_collection(args.title, args.description, alias=args.alias, default=default)
        names = node.names()
    print(f"collection {c.id} {c.title}")
    if default is not None:
        print(f"default handling {describe_default(default, names)}")
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        default = _default(node, args)
        if args.no_default and default is not None:
            raise InvalidInputError("--no-default takes no --classification, --rel-to or --tlp")
        if not args.no_default and default is None:
            raise InvalidInputError(
                "nothing to set: give --classification, --rel-to and/or --tlp, or --no-default"
            )
        c = node.set_collection_default(args.collection, default)
        names = node.names()
    print(f"collection {c.id} {c.title}: default handling {describe_default(default, names)}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        cols = node.collections()
        counts = {c.id: node.count_objects(c.id) for c in cols}
        defaults = {c.id: node.collection_default(c.id) for c in cols}
        names = node.names()
    if args.json:
        emit_json(
            [
                {
                    "id": c.id,
                    "title": c.title,
                    "description": c.description,
                    "objects": counts[c.id],
                    "default_handling": _default_json(defaults[c.id], names),
                }
                for c in cols
            ]
        )
    else:
        for c in cols:
            line = f"{c.id}  {c.title:<20} {counts[c.id]:>8} objects"
            if defaults[c.id] is not None:
                line += f"  default: {describe_default(defaults[c.id], names)}"
            print(line)
    return 0
