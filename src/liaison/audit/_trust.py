"""Which signed heads ``verify`` checks, and which keys it trusts for which sizes."""

from __future__ import annotations

from collections.abc import Sequence

from liaison.audit.heads import SignedTreeHead
from liaison.audit.report import VerifyReport
from liaison.db import Db
from liaison.errors import LiaisonError

__all__ = ["MAX_HEADS", "judge_heads", "load_heads"]

MAX_HEADS = 2048


def load_heads(conn: Db, report: VerifyReport) -> list[tuple[int, SignedTreeHead]]:
    """Heads whose signature holds (by whichever key), in the order they were made.

    A node that signs a head per small batch has many; past ``MAX_HEADS`` a sample is
    checked: evenly spaced ones, the latest, and both sides of every change of key.
    """
    out: list[tuple[int, SignedTreeHead]] = []
    rows = conn.execute(
        "SELECT id, size, root, timestamp, key, signature FROM audit_heads ORDER BY id"
    ).fetchall()
    if len(rows) > MAX_HEADS:
        step = -(-len(rows) // MAX_HEADS)
        keep = {*range(0, len(rows), step), len(rows) - 1}
        keep |= {j for i in range(1, len(rows)) if rows[i][4] != rows[i - 1][4] for j in (i - 1, i)}
        report.warnings.append(
            f"checked {len(keep)} of {len(rows)} signed tree heads (evenly spaced, the "
            "latest, and every change of key)"
        )
        rows = [rows[i] for i in sorted(keep)]
    for row_id, size, root, ts, key, sig in rows:
        try:
            head = SignedTreeHead(int(size), bytes(root), ts, key, sig)
            head.verify()
        except (LiaisonError, TypeError, ValueError) as exc:
            report.add(
                "head-signature", f"signed tree head #{row_id} (size {size}) is invalid: {exc}"
            )
            continue
        out.append((row_id, head))
    return out


_NO_LIMIT = 1 << 62


def _trusted_ranges(
    keys: Sequence[str],
    heads: list[tuple[int, SignedTreeHead]],
    roots: dict[int, bytes],
    rotations: list[tuple[int, str, str]],
) -> dict[str, list[tuple[int, int]]]:
    """Which key may sign heads of which sizes.

    The given keys: any size. A ``key.rotated`` entry at ``seq`` (details ``old_key``,
    ``new_key``) that a trusted head covers -- its size beyond ``seq`` and its root equal
    to the recomputed one -- lets ``old_key`` sign sizes up to ``seq + 1`` and ``new_key``
    sizes from ``seq + 1``. Repeated until nothing changes, so a chain of rotations can be
    followed from the current key back to the first one, or forward from a pinned one.
    """
    ranges: dict[str, list[tuple[int, int]]] = {k: [(0, _NO_LIMIT)] for k in keys}

    def allowed(key: str, size: int) -> bool:
        return any(lo <= size <= hi for lo, hi in ranges.get(key, ()))

    changed = True
    while changed:
        changed = False
        for seq, old, new in rotations:
            covered = any(
                h.size > seq and roots.get(h.size) == h.root_hash and allowed(h.key, h.size)
                for _, h in heads
            )
            if not covered:
                continue
            for key, span in ((old, (0, seq + 1)), (new, (seq + 1, _NO_LIMIT))):
                if span not in ranges.setdefault(key, []):
                    ranges[key].append(span)
                    changed = True
    return ranges


def judge_heads(
    keys: Sequence[str],
    heads: list[tuple[int, SignedTreeHead]],
    roots: dict[int, bytes],
    rotations: list[tuple[int, str, str]],
    size: int,
    report: VerifyReport,
) -> None:
    """Compare every trusted head with the recomputed tree; set ``report.head``."""
    ranges = _trusted_ranges(keys, heads, roots, rotations)
    for row_id, head in heads:
        if not any(lo <= head.size <= hi for lo, hi in ranges.get(head.key, ())):
            report.add(
                "head-untrusted-key",
                f"signed tree head #{row_id} (size {head.size}) is signed by untrusted key "
                f"{head.key_fingerprint}",
            )
            continue
        report.head = head
        if head.size > size:
            report.add(
                "truncated",
                f"signed tree head #{row_id} covers {head.size} entries but the log has "
                f"{size}: rows seq {size}..{head.size - 1} are missing",
                size,
            )
            continue
        report.heads_checked += 1
        if roots.get(head.size) != head.root_hash:
            report.add(
                "head-root",
                f"entries 0..{head.size - 1} do not hash to the root signed in tree head "
                f"#{row_id} ({head.timestamp}): history before seq {head.size} was changed",
            )
