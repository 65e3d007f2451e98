"""Comparing classifications across national schemes, and the high-water mark.

A node ranks every classification on its own scheme. A partner's level is placed on it
through the equivalence table of an agreement; a level the table leaves out is rounded
*up* to the next level the table does map (never down), and a level above every row
cannot be placed at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from liaison.errors import PolicyError
from liaison.markings.handling import Handling, statements_of
from liaison.markings.tlp import TLP_LEVELS

__all__ = ["ClassificationScale", "equivalence_map", "most_restrictive", "tlp_rank"]

_TLP_RANK = {t: i for i, t in enumerate(TLP_LEVELS)}


def tlp_rank(tlp: str | None) -> int:
    """-1 for no TLP, then clear < green < amber < amber+strict < red."""
    return -1 if tlp is None else _TLP_RANK[tlp]


def equivalence_map(
    src_levels: Sequence[str], dst_levels: Sequence[str], pairs: Iterable[tuple[str, str]]
) -> dict[int, int]:
    """Rank in ``src_levels`` -> rank in ``dst_levels``, rounding unmapped levels up.

    ``pairs`` are (src level, dst level) equivalences; pairs naming unknown levels
    are ignored. Source ranks above the highest mapped one are absent from the result.
    """
    src_rank = {lvl: i for i, lvl in enumerate(src_levels)}
    dst_rank = {lvl: i for i, lvl in enumerate(dst_levels)}
    known: dict[int, int] = {}
    for s, d in pairs:
        if s in src_rank and d in dst_rank:
            i = src_rank[s]
            known[i] = max(known.get(i, -1), dst_rank[d])
    out: dict[int, int] = {}
    upper: int | None = None
    for i in range(len(src_levels) - 1, -1, -1):
        if i in known:
            upper = known[i]
        if upper is not None:
            out[i] = upper
    return out


class ClassificationScale:
    """Places (scheme owner, level) on the node's own ordered scheme."""

    __slots__ = ("_ranks", "levels", "owner")

    def __init__(self, owner: str, levels: Sequence[str]) -> None:
        self.owner = owner
        self.levels = tuple(levels)
        self._ranks: dict[tuple[str, str], int] = {(owner, lvl): i for i, lvl in enumerate(levels)}

    def add_scheme(
        self, other: str, other_levels: Sequence[str], pairs: Iterable[tuple[str, str]]
    ) -> None:
        """Learn ``other``'s scheme from (other level, own level) equivalences.

        When several agreements place the same level, the highest placement wins.
        """
        if other == self.owner:
            return
        for i, r in equivalence_map(other_levels, self.levels, pairs).items():
            key = (other, other_levels[i])
            self._ranks[key] = max(self._ranks.get(key, -1), r)

    def rank(self, owner: str, level: str) -> int | None:
        """Rank on the node's scheme, or None if the level cannot be placed."""
        return self._ranks.get((owner, level))

    def require_rank(self, owner: str, level: str) -> int:
        r = self._ranks.get((owner, level))
        if r is None:
            raise PolicyError(f"{level} ({owner}) has no equivalent in this node's scheme")
        return r


def most_restrictive(handlings: Iterable[Handling], *, scale: ClassificationScale) -> Handling:
    """The high-water mark of ``handlings``, expressed in the node's scheme.

    Granular restrictions of a source count as if they applied to the whole source
    (a derived product may have used the restricted part). Raises ``PolicyError``
    when a classification cannot be placed on the node's scheme.
    """
    items = list(handlings)
    top = -1
    rel: frozenset[str] | None = None
    rel_unstated = False
    tlp = -1
    orcon = noev = False
    grading: tuple[str, str] | None = None
    for h in items:
        layers: list[tuple[str | None, str | None, frozenset[str] | None, str | None]] = [
            (h.classification, h.scheme_owner, h.releasable_to, h.tlp)
        ]
        layers += [(g.classification, g.scheme_owner, g.releasable_to, g.tlp) for g in h.granular]
        for i, (level, owner, rto, t) in enumerate(layers):
            if level is not None and owner is not None:
                top = max(top, scale.require_rank(owner, level))
            if rto is not None:
                rel = rto if rel is None else rel & rto
            elif i == 0:
                rel_unstated = True
            tlp = max(tlp, tlp_rank(t))
        orcon |= h.originator_control
        noev |= h.no_evidence_use
        if h.grading is not None:
            grading = (
                h.grading
                if grading is None
                else (max(grading[0], h.grading[0]), max(grading[1], h.grading[1]))
            )
    statements = statements_of(items)
    return Handling(
        classification=None if top < 0 else scale.levels[top],
        scheme_owner=None if top < 0 else scale.owner,
        releasable_to=None if rel_unstated else rel,
        tlp=None if tlp < 0 else TLP_LEVELS[tlp],
        originator_control=orcon,
        no_evidence_use=noev,
        statement="\n".join(statements) or None,
        grading=grading,
    )
