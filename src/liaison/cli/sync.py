"""``liaison sync DIR [--party NAME]``: pull from partners once, with a progress bar."""

from __future__ import annotations

import argparse
from typing import Any

from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from liaison.cli._common import add_home, open_node, positive
from liaison.errors import LiaisonError, NotFoundError
from liaison.service import build_exchange
from liaison.service.runtime import tune_gc
from liaison.sync import get_peer, peers, pull

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("sync", help="pull new intelligence from partners once")
    add_home(p)
    p.add_argument("--party", action="append", help="only this partner (repeatable)")
    p.add_argument("--page-size", type=positive, default=1000)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--rescan",
        action="store_true",
        help="read partners' collections from the start (after a policy change)",
    )
    p.set_defaults(func=cmd_sync)


def cmd_sync(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        for name in args.party or []:
            node.party(name)  # "no party X" rather than "no connection"
        targets = [get_peer(node, n) for n in args.party] if args.party else peers(node)
        if not targets:
            raise NotFoundError("no partner connection set up (liaison party connect)")
        exchange = build_exchange(node)
        tune_gc()  # a long pull: collect less often, never rescan what is loaded now
        failed = _pull_all(exchange, targets, args)
    if failed:
        raise LiaisonError(f"sync failed with {failed} of {len(targets)} partner(s)")
    return 0


def _pull_all(ex: Any, targets: list[Any], args: argparse.Namespace) -> int:
    """Pull from each target with a progress line; return how many failed."""
    failed = 0
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        disable=bool(args.quiet),
        transient=True,
    ) as bar:
        for peer in targets:
            task = bar.add_task(f"{peer.party}: connecting", total=None)

            def progress(
                title: str, stored: int, rejected: int, task: Any = task, party: str = peer.party
            ) -> None:
                bar.update(task, description=f"{party}/{title}: {stored} new, {rejected} rejected")

            try:
                report = pull(
                    ex, peer, page_size=args.page_size, progress=progress, rescan=args.rescan
                )
            except LiaisonError as exc:
                failed += 1
                bar.console.print(f"[red]{escape(peer.party)}: {escape(str(exc))}[/red]")
                continue
            bar.console.print(report.line(), markup=False)
            for reason in report.reasons[:10]:
                bar.console.print(f"  rejected {reason}", markup=False)
    return failed
