"""``liaison consent request|grant|deny|list``: the originator's signed say on onward release."""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from liaison.agreements import Consent, deny, grant, request
from liaison.agreements.model import format_ts
from liaison.cli._common import add_home, emit_json, named, open_node, positive
from liaison.errors import AgreementError, LiaisonError, NotFoundError
from liaison.node import Node
from liaison.service import build_exchange, documents

__all__ = ["register"]

log = logging.getLogger("liaison.consent")


def register(sub: Any) -> None:
    p = sub.add_parser("consent", help="consents to release a partner's object onward")
    s = p.add_subparsers(dest="consent_command", metavar="ACTION", required=True)

    a = s.add_parser("request", help="ask the originator of an object to let it go to a party")
    add_home(a)
    a.add_argument("object_id")
    a.add_argument("--to", required=True, metavar="PARTY", help="the recipient party")
    a.add_argument("--justification", default="")
    a.set_defaults(func=cmd_request)

    for name in ("grant", "deny"):
        a = s.add_parser(name, help=f"{name} a consent request (as the originator)")
        add_home(a)
        a.add_argument("consent_id")
        if name == "grant":
            a.add_argument("--valid-days", type=positive, default=90, help="days the consent holds")
        a.set_defaults(func=cmd_grant if name == "grant" else cmd_deny)

    a = s.add_parser("list", help="list consent requests and answers")
    add_home(a)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_list)


def _party_by_identity(node: Node, identity_id: str) -> str | None:
    for p in node.parties():
        if p.identity_id == identity_id and not p.internal:
            return p.name
    return None


def _deliver(node: Node, consent: Consent, identity_id: str) -> str:
    """Hand the document to the node of ``identity_id`` if we have a connection to it."""
    from liaison.service.peers import get_peer
    from liaison.sync.client import PeerClient

    name = _party_by_identity(node, identity_id)
    if name is None:
        return "kept here (no party for the other side)"
    try:
        with PeerClient(get_peer(node, name)) as c:
            c.post_json("liaison/consents/", consent.to_stix())
    except LiaisonError as exc:
        log.warning("consent %s not delivered to %s: %s", consent.id, name, exc)
        return f"kept here; delivery to {name} failed ({exc}); it travels at the next sync"
    return f"delivered to {name}"


def _find(node: Node, consent_id: str) -> Consent:
    for c in documents.consents(node):
        if c.id == consent_id:
            return c
    raise NotFoundError(f"no consent {consent_id}")


def cmd_request(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        recipient = node.party(args.to)
        rows = build_exchange(node).latest(args.object_id)
        if not rows:
            raise NotFoundError(f"no object {args.object_id} here")
        origins = sorted({o for r in rows for o in r.origins} - {recipient.identity_id})
        if not origins:
            raise AgreementError(
                f"{args.object_id} contains no partner's material: no consent needed"
            )
        names = node.names()
        made = [  # every request made (and signed) before any is stored
            request(
                args.object_id,
                originator=origin,
                recipient=recipient.identity_id,
                requester=node.identity_id,
                requester_key=node.key,
                justification=args.justification,
            )
            for origin in origins
        ]
        for c in made:
            documents.put_consent(node, c.to_stix())
        for c in made:
            print(
                f"{c.id}  requested from {named(names, c.originator_ref)}: "
                f"{_deliver(node, c, c.originator_ref)}"
            )
    return 0


def _answer(args: argparse.Namespace, granted: bool) -> int:
    with open_node(args) as node:
        req = _find(node, args.consent_id)
        if req.originator_ref != node.identity_id:
            who = named(node.names(), req.originator_ref)
            raise AgreementError(f"{req.id} asks {who}, not this node")
        if granted:
            until = datetime.now(UTC) + timedelta(days=args.valid_days)
            answer = grant(req, node.key, valid_until=until)
        else:
            answer = deny(req, node.key)
        documents.put_consent(node, answer.to_stix())
        print(f"{answer.id}  {answer.decision}: {_deliver(node, answer, req.requester_ref)}")
    return 0


def cmd_grant(args: argparse.Namespace) -> int:
    return _answer(args, True)


def cmd_deny(args: argparse.Namespace) -> int:
    return _answer(args, False)


def cmd_list(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        names = node.names()
        rows = [
            {
                "id": c.id,
                "decision": c.decision,
                "object": c.object_ref,
                "originator": named(names, c.originator_ref),
                "recipient": named(names, c.recipient_ref),
                "requester": named(names, c.requester_ref),
                "modified": format_ts(c.modified),
                "valid_until": format_ts(c.valid_until) if c.valid_until else None,
            }
            for c in documents.consents(node)
        ]
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("no consents")
    for r in rows:
        print(
            f"{r['id']}  {r['decision']:<9} {r['object']}  "
            f"{r['originator']} -> {r['recipient']} (asked by {r['requester']})"
        )
    return 0
