"""``liaison collection add|list``."""

from __future__ import annotations

import argparse
from typing import Any

from liaison.cli._common import add_home, emit_json, open_node

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("collection", help="manage TAXII collections")
    cs = p.add_subparsers(dest="collection_command", metavar="ACTION", required=True)
    a = cs.add_parser("add", help="create a collection")
    add_home(a)
    a.add_argument("title")
    a.add_argument("--description", default="")
    a.add_argument("--alias")
    a.set_defaults(func=cmd_add)
    ls = cs.add_parser("list", help="list collections")
    add_home(ls)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)


def cmd_add(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        c = node.add_collection(args.title, args.description, alias=args.alias)
    print(f"collection {c.id} {c.title}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        cols = node.collections()
        counts = {c.id: node.count_objects(c.id) for c in cols}
    if args.json:
        emit_json(
            [
                {
                    "id": c.id,
                    "title": c.title,
                    "description": c.description,
                    "objects": counts[c.id],
                }
                for c in cols
            ]
        )
    else:
        for c in cols:
            print(f"{c.id}  {c.title:<20} {counts[c.id]:>8} objects")
    return 0
