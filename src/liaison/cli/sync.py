"""``liaison sync DIR [--party NAME]``: pull from partners once, with a progress bar."""

from __future__ import annotations

import argparse
from typing import Any

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from liaison.cli._common import add_home, open_node
from liaison.errors import LiaisonError, NotFoundError
from liaison.service import build_exchange
from liaison.sync import get_peer, peers, pull

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("sync", help="pull new intelligence from partners once")
    add_home(p)
    p.add_argument("--party", action="append", help="only this partner (repeatable)")
    p.add_argument("--page-size", type=int, default=1000)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--rescan",
        action="store_true",
        help="read partners' collections from the start (after a policy change)",
    )
    p.set_defaults(func=cmd_sync)


def cmd_sync(args: argparse.Namespace) -> int:
    node = open_node(args)
    ex = build_exchange(node)
    targets = [get_peer(node.store, n) for n in args.party] if args.party else peers(node.store)
    if not targets:
        raise NotFoundError("no partner connection set up (liaison party connect)")
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
                bar.console.print(f"[red]{peer.party}: {exc}[/red]")
                continue
            bar.console.print(report.line())
            for reason in report.reasons[:10]:
                bar.console.print(f"  rejected {reason}")
    node.close()
    if failed:
        raise LiaisonError(f"sync failed with {failed} of {len(targets)} partner(s)")
    return 0
