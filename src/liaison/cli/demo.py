"""``liaison demo``: the two-node exchange scenario on loopback."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="run the DZ/MR/XX exchange scenario on loopback")
    p.add_argument("--keep", action="store_true", help="keep the demo folder afterwards")
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="stop after the scenario instead of serving until Ctrl-C",
    )
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from liaison.demo import main

    result = main(keep=args.keep, wait=not args.no_wait)
    ok = (
        result.get("dz_has_report")
        and not result.get("xx_before_consent")
        and result.get("xx_after_consent")
    )
    return 0 if ok else 1
