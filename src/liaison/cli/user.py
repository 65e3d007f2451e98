"""``liaison user add|passwd|disable|list``: accounts of the analyst console."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from liaison.cli._common import add_home, open_node
from liaison.errors import ConflictError, InvalidInputError
from liaison.node import check_name

__all__ = ["register"]


def register(sub: Any) -> None:
    from liaison.service.accounts import LANGS, ROLES

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
        if not line:
            raise InvalidInputError("--password-stdin: standard input is empty")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InvalidInputError(
            "standard input is not a terminal: to pipe a password, add --password-stdin"
        )
    try:
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password (again): ")
    except EOFError:
        raise InvalidInputError("no password given") from None
    if first != second:
        raise InvalidInputError("the two passwords differ")
    return first


def cmd_add(args: argparse.Namespace) -> int:
    from liaison.service.accounts import Accounts

    check_name(args.name, "user name")
    with open_node(args) as node:
        accounts = Accounts(node)
        if any(u.name == args.name for u in accounts.users()):
            raise ConflictError(f"user {args.name!r} exists already")
        user = accounts.add(args.name, _password(args), role=args.role, lang=args.lang)
    print(f"user {user.name} ({user.role}, {user.lang}) added")
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    from liaison.service.accounts import Accounts

    with open_node(args) as node:
        accounts = Accounts(node)
        accounts.get(args.name)  # "no user …" before asking for a password
        accounts.set_password(args.name, _password(args))
    print(f"password of {args.name} changed; their sessions are closed")
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    from liaison.service.accounts import Accounts

    with open_node(args) as node:
        Accounts(node).disable(args.name)
    print(f"user {args.name} disabled")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from liaison.service.accounts import Accounts

    with open_node(args) as node:
        users = Accounts(node).users()
    if not users:
        print("no users (liaison user add)")
    for u in users:
        state = "disabled" if u.disabled else "active"
        print(f"{u.name}\t{u.role}\t{u.lang}\t{state}")
    return 0
