"""A policy decision: allow or deny, with its reasons, what to redact and under which
agreement. Immutable, so one allow decision per agreement and partner is shared."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Decision"]


@dataclass(frozen=True, slots=True)
class Decision:
    allow: bool
    reasons: tuple[str, ...]
    redact: tuple[str, ...] = ()
    agreement_id: str | None = None
