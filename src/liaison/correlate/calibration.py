"""Similarity to probability: the calibrated score of a name match.

A rule's raw similarity says how alike two names are, not how likely they are to be one
entity. ``calibrated`` maps it onto that probability, per kind, with a logistic curve
centred on the kind's threshold (Platt scaling): ``p = 1 / (1 + exp(-slope * (s - t)))``,
so a pair at the threshold scores 0.5 and ``same`` is ``p >= 0.5``. A pair refused by a
structural rule (a different kinship chain, a token under the floor, two different
alias groups, a one-word name) scores at most the share of true matches that rule
refused on the labelled set; an acronym scores the share of acronym matches that were
right.

The parameters live in ``data/calibration.json``; ``bench/bench_correlate.py
--calibrate`` fits them on the ``calib`` and ``dev`` splits of
``tests/fixtures/correlate/name_pairs.csv`` and prints the reliability of the result
on the held-out splits.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from liaison.errors import ConfigError

__all__ = [
    "VETOES",
    "Calibration",
    "Record",
    "calibrated",
    "fit_calibration",
    "load_calibration",
    "logistic",
    "reliability",
]

#: Rules that refuse a pair whatever its similarity.
VETOES = ("alias-distinct", "kinship", "single-name", "token-floor")


@dataclass(frozen=True)
class Calibration:
    """Fitted parameters: a slope per kind, a ceiling per refusing rule, rule constants."""

    slopes: dict[str, float]
    ceilings: dict[str, float]
    constants: dict[str, float]
    fitted_on: str = ""

    def to_json(self) -> dict[str, Any]:
        """The parameters as written to ``data/calibration.json``."""
        return {
            "fitted_on": self.fitted_on,
            "slopes": self.slopes,
            "ceilings": self.ceilings,
            "constants": self.constants,
        }


@lru_cache(maxsize=1)
def load_calibration() -> Calibration:
    """The parameters shipped in ``data/calibration.json``."""
    path = resources.files("liaison.correlate").joinpath("data/calibration.json")
    try:
        raw = json.loads(path.read_text("utf-8"))
        return Calibration(
            slopes={str(k): float(v) for k, v in raw["slopes"].items()},
            ceilings={str(k): float(v) for k, v in raw["ceilings"].items()},
            constants={str(k): float(v) for k, v in raw["constants"].items()},
            fitted_on=str(raw.get("fitted_on", "")),
        )
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        raise ConfigError(f"correlation calibration file is unreadable: {exc}") from exc


def logistic(slope: float, similarity: float, threshold: float) -> float:
    """``1 / (1 + exp(-slope * (similarity - threshold)))``, safe for any input."""
    x = max(-60.0, min(60.0, slope * (similarity - threshold)))
    return 1.0 / (1.0 + math.exp(-x))


def calibrated(
    kind: str,
    rule: str,
    similarity: float,
    threshold: float,
    same: bool,
    calibration: Calibration | None = None,
) -> float:
    """The probability that a pair decided by ``rule`` with ``similarity`` is one entity."""
    cal = calibration or load_calibration()
    if rule in cal.constants:
        return cal.constants[rule]
    p = logistic(cal.slopes.get(kind, 10.0), similarity, threshold)
    if not same and rule in VETOES:
        p = min(p, cal.ceilings.get(rule, 0.05))
    return p


#: One labelled decision: (kind, rule, decided same, similarity, truly same).
Record = tuple[str, str, bool, float, bool]


def fit_calibration(
    records: list[Record], thresholds: dict[str, float], fitted_on: str = ""
) -> Calibration:
    """Fit the parameters on labelled decisions (pure: no file is read or written).

    Slopes maximise the likelihood of the fuzzy decisions of each kind, with one
    pseudo-observation of each surprise 0.1 on either side of the threshold (a true
    match just below, a non-match just above) so that a separable set still gives a
    finite slope; a kind without data takes the median slope. Ceilings and constants are
    add-one rates: (hits + 1) / (n + 2).
    """
    slopes: dict[str, float] = {}
    for kind, threshold in thresholds.items():
        points = [
            (s, gold)
            for k, rule, same, s, gold in records
            if k == kind and rule not in ("acronym",) and (same or rule not in VETOES)
        ]
        if not points:
            continue
        points += [(threshold - 0.1, True), (threshold + 0.1, False)]
        slopes[kind] = max(
            (float(a) for a in range(1, 101)),
            key=lambda a: sum(
                math.log(max(1e-12, p if gold else 1.0 - p))
                for s, gold in points
                for p in (logistic(a, s, threshold),)
            ),
        )
    fallback = sorted(slopes.values())[len(slopes) // 2] if slopes else 10.0
    slopes = {kind: slopes.get(kind, fallback) for kind in thresholds}
    ceilings: dict[str, float] = {}
    for rule in VETOES:
        refused = [gold for _, r, same, _, gold in records if r == rule and not same]
        ceilings[rule] = round(min(0.49, (sum(refused) + 1) / (len(refused) + 2)), 4)
    acronyms = [gold for _, r, same, _, gold in records if r == "acronym" and same]
    constants = {"acronym": round((sum(acronyms) + 1) / (len(acronyms) + 2), 4)}
    return Calibration(slopes, ceilings, constants, fitted_on)


def reliability(
    scored: list[tuple[float, bool]], bins: int = 5
) -> tuple[float, float, list[tuple[float, float, float, int]]]:
    """Brier score, expected calibration error, and per bin (lo, mean score, rate, n)."""
    if not scored:
        return 0.0, 0.0, []
    brier = sum((p - gold) ** 2 for p, gold in scored) / len(scored)
    table: list[tuple[float, float, float, int]] = []
    ece = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(p, g) for p, g in scored if lo <= p < hi or (b == bins - 1 and p == 1.0)]
        if not inside:
            continue
        mean = sum(p for p, _ in inside) / len(inside)
        rate = sum(g for _, g in inside) / len(inside)
        ece += len(inside) / len(scored) * abs(mean - rate)
        table.append((lo, mean, rate, len(inside)))
    return brier, ece, table
