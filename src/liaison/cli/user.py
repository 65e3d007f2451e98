"""``liaison user add|passwd|disable|list``: accounts of the analyst console."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from liaison.cli._common import add_home, open_node
from liaison.errors import InvalidInputError

__all__ = ["register"]


def register(sub: Any) -> None:
    from liaison.web.accounts import LANGS, ROLES

    p = sub.add_parser("user", help="manage the analyst console's users")
    us = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)

    a = us.add_parser("add", help="add a console user (asks for the password)")
    add_home(a)
    a.add_argument("name", help="user name (letters, digits, '.', '_' or '-')")
    a.add_argument("--role", required=True, choices=ROLES, help="what the user may do")
    a.add_argument("--lang", default="fr", choices=LANGS, help="console language")
    a.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    a.set_defaults(func=cmd_add)

    pw = us.add_parser("passwd", help="set a user's password (ends their sessions)")
    add_home(pw)
    pw.add_argument("name")
    pw.add_argument("--password-stdin", action="store_true")
    pw.set_defaults(func=cmd_passwd)

    d = us.add_parser("disable", help="disable a user (ends their sessions)")
    add_home(d)
    d.add_argument("name")
    d.set_defaults(func=cmd_disable)

    ls = us.add_parser("list", help="list console users")
    add_home(ls)
    ls.set_defaults(func=cmd_list)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = getpass.getpass("Password: ")
    second = getpass.getpass("Password (again): ")
    if first != second:
        raise InvalidInputError("the two passwords differ")
    return first


def cmd_add(args: argparse.Namespace) -> int:
    from liaison.web.accounts import Accounts

    password = _password(args)
    node = open_node(args)
    try:
        user = Accounts(node).add(args.name, password, role=args.role, lang=args.lang)
    finally:
        node.close()
    print(f"user {user.name} ({user.role}, {user.lang}) added")
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    from liaison.web.accounts import Accounts

    password = _password(args)
    node = open_node(args)
    try:
        Accounts(node).set_password(args.name, password)
    finally:
        node.close()
    print(f"password of {args.name} changed; their sessions are closed")
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    from liaison.web.accounts import Accounts

    node = open_node(args)
    try:
        Accounts(node).disable(args.name)
    finally:
        node.close()
    print(f"user {args.name} disabled")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from liaison.web.accounts import Accounts

    node = open_node(args)
    try:
        users = Accounts(node).users()
    finally:
        node.close()
    for u in users:
        state = "disabled" if u.disabled else "active"
        print(f"{u.name}\t{u.role}\t{u.lang}\t{state}")
    return 0
