"""TOML files an operator writes, read so that every error names the file and the line.

``tomllib`` gives values without positions; ``KeyLines`` finds the line of each key
(``("partner", 0, "levels")`` for ``levels`` in the first ``[[partner]]`` table) by a
light scan of the text, good enough for error messages::

    data, lines = read_toml(path)
    raise InvalidInputError(f"{lines.at('partner', 0, 'levels')}: levels must be a list")
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from liaison.errors import InvalidInputError, LiaisonError

__all__ = ["KeyLines", "parse_toml", "read_toml"]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*(?:\.|=)""")

Path_ = tuple[str | int, ...]


class KeyLines:
    """Where each key of a TOML document is written (1-based line numbers)."""

    def __init__(self, where: str, text: str = "") -> None:
        self.where = where
        self._lines: dict[Path_, int] = {}
        self._scan(text)

    def line(self, *path: str | int) -> int | None:
        """The line of ``path``, else of its nearest enclosing table, else None."""
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return None

    def at(self, *path: str | int) -> str:
        """``file:line`` for ``path`` (just ``file`` when the line is not known)."""
        n = self.line(*path)
        return f"{self.where}:{n}" if n else self.where

    def _scan(self, text: str) -> None:
        table: Path_ = ()
        counts: dict[str, int] = {}
        depth = 0  # brackets still open from a multi-line array value
        for number, raw in enumerate(text.splitlines(), start=1):
            line = _strip(raw)
            if depth:
                depth = max(0, depth + _balance(line))
                continue
            header = _HEADER.match(raw) if line.lstrip().startswith("[") else None
            if header:
                name = _unquote(header.group(2).split(".")[0].strip())
                if header.group(1) == "[[":
                    index = counts.get(name, 0)
                    counts[name] = index + 1
                    table = (name, index)
                else:
                    table = (name,)
                self._lines.setdefault(table, number)
                continue
            key = _KEY.match(raw)  # the raw line: a quoted key keeps its text
            if key:
                self._lines.setdefault((*table, _unquote(key.group(1))), number)
                value = line.split("=", 1)[1] if "=" in line else ""
                depth = max(0, _balance(value))


def _unquote(key: str) -> str:
    return key[1:-1] if key[:1] in "\"'" and key[-1:] == key[:1] else key


def _strip(line: str) -> str:
    """The line without its comment and without the text of its strings."""
    out, quote = [], ""
    for ch in line:
        if quote:
            if ch == quote:
                quote = ""
                out.append(ch)
            continue
        if ch == "#":
            break
        if ch in "\"'":
            quote = ch
        out.append(ch)
    return "".join(out)


def _balance(text: str) -> int:
    return text.count("[") + text.count("{") - text.count("]") - text.count("}")


def read_toml(
    path: Path, *, error: type[LiaisonError] = InvalidInputError
) -> tuple[dict[str, Any], KeyLines]:
    """Parse a TOML file; raise ``error`` with one line (file, line) when it cannot be."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise error(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text") from exc
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return parse_toml(text, str(path), error=error)


def parse_toml(
    text: str, where: str, *, error: type[LiaisonError] = InvalidInputError
) -> tuple[dict[str, Any], KeyLines]:
    """Parse TOML text read from ``where``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{where}: not valid TOML: {exc}") from exc
    return data, KeyLines(where, text)
