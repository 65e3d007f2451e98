"""``liaison extract FILE``: propose a draft STIX 2.1 bundle from a text file."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from liaison.errors import InvalidInputError

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``extract`` sub-command."""
    parser = subparsers.add_parser(
        "extract",
        help="propose a draft STIX bundle from a French, Arabic or English text",
        description="Extract persons, organizations, armed groups, places, dates and "
        "stated relationships from FILE into an unmarked draft STIX 2.1 bundle.",
    )
    parser.add_argument("file", metavar="FILE", help="UTF-8 text file, or - for stdin")
    parser.add_argument("--lang", choices=("fr", "ar", "en", "auto"), default="auto")
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="document date (default: today)")
    parser.add_argument("--source", help="where the text comes from (kept on the report)")
    parser.add_argument("--out", metavar="FILE", help="write the bundle here, not stdout")
    parser.set_defaults(func=run)


def _read(name: str) -> str:
    try:
        raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {name}: {exc.strerror or exc}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{name} is not UTF-8 text") from exc


def run(args: argparse.Namespace) -> int:
    """Extract from ``args.file`` and print (or write) the bundle JSON."""
    from liaison.extract import extract_text

    document_date = None
    if args.date:
        try:
            document_date = date.fromisoformat(args.date)
        except ValueError as exc:
            raise InvalidInputError(f"--date must be YYYY-MM-DD, not {args.date!r}") from exc
    text = _read(args.file)
    draft = extract_text(text, lang=args.lang, document_date=document_date, source=args.source)
    payload = json.dumps(draft.bundle, ensure_ascii=False, indent=2) + "\n"
    if args.out:
        try:
            Path(args.out).write_text(payload, encoding="utf-8")
        except OSError as exc:
            raise InvalidInputError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    else:
        sys.stdout.write(payload)
    return 0
