"""What ``verify`` found: a report of problems, each with a stable kind and a sentence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from liaison.audit.heads import SignedTreeHead
from liaison.merkle import EMPTY_ROOT

__all__ = ["MAX_PROBLEMS", "Problem", "VerifyReport"]

MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class Problem:
    """One thing wrong. ``kind`` is stable (tests, JSON); ``message`` is for people."""

    kind: str
    message: str
    seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "seq": self.seq}


@dataclass
class VerifyReport:
    size: int = 0
    root_hash: bytes = EMPTY_ROOT
    head: SignedTreeHead | None = None
    heads_checked: int = 0
    objects_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    suppressed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, message: str, seq: int | None = None) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.suppressed += 1
        else:
            self.problems.append(Problem(kind, message, seq))

    def summary(self) -> str:
        if self.ok:
            head = f"signed head size {self.head.size}" if self.head else "no signed head"
            return f"audit log OK: {self.size} entries, root {self.root_hash.hex()}, {head}"
        first = self.problems[0].message
        more = len(self.problems) + self.suppressed - 1
        return f"audit log FAILED: {first}" + (f" (and {more} more problems)" if more else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "size": self.size,
            "root_hash": self.root_hash.hex(),
            "head": self.head.to_dict() if self.head else None,
            "heads_checked": self.heads_checked,
            "objects_checked": self.objects_checked,
            "problems": [p.to_dict() for p in self.problems],
            "suppressed": self.suppressed,
            "warnings": list(self.warnings),
        }
