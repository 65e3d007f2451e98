"""The high-water mark: a derived product is at least as restricted as all its sources."""

from __future__ import annotations

from collections.abc import Sequence

from liaison.errors import PolicyError
from liaison.markings.handling import Handling
from liaison.markings.scale import ClassificationScale, most_restrictive, tlp_rank

__all__ = ["check_derivation"]


def _rel(rel: frozenset[str] | None) -> frozenset[str]:
    # An unstated releasability releases to no partner: the empty set.
    return frozenset() if rel is None else rel


def check_derivation(
    new_handling: Handling, source_handlings: Sequence[Handling], *, scale: ClassificationScale
) -> None:
    """Refuse a derived product marked less restrictively than its sources.

    Raises ``PolicyError`` naming every property that falls short of the high-water
    mark (``most_restrictive`` of the sources, granular restrictions included).
    """
    hw = most_restrictive(source_handlings, scale=scale)
    problems: list[str] = []
    if hw.classification is not None:
        need = scale.levels.index(hw.classification)
        if new_handling.classification is None or new_handling.scheme_owner is None:
            problems.append(f"unclassified, but its sources reach {hw.classification}")
        else:
            rank = scale.rank(new_handling.scheme_owner, new_handling.classification)
            if rank is None or rank < need:
                problems.append(
                    f"classified {new_handling.classification}, below {hw.classification} "
                    "(the highest classification of its sources)"
                )
    extra = _rel(new_handling.releasable_to) - _rel(hw.releasable_to)
    if extra:
        problems.append(
            "releasable to " + ", ".join(sorted(extra)) + ", to whom its sources are not"
        )
    if tlp_rank(new_handling.tlp) < tlp_rank(hw.tlp):
        got = "no TLP" if new_handling.tlp is None else f"TLP:{new_handling.tlp.upper()}"
        problems.append(f"{got}, below TLP:{str(hw.tlp).upper()} of its sources")
    if hw.originator_control and not new_handling.originator_control:
        problems.append("missing the originator-control caveat of its sources")
    if hw.no_evidence_use and not new_handling.no_evidence_use:
        problems.append("missing the not-for-use-as-evidence caveat of its sources")
    have = set((new_handling.statement or "").split("\n"))
    for line in (hw.statement or "").split("\n"):
        if line and line not in have:
            problems.append(f"missing the handling statement {line!r} of its sources")
    if problems:
        raise PolicyError(
            "derived product less restrictive than its sources: " + "; ".join(problems),
            details={"high_water_mark": hw.to_json()},
        )
