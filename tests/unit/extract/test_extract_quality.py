"""The annotated corpus: measured F1 per language and type must not regress."""

from __future__ import annotations

from pathlib import Path

import pytest

from liaison.extract.evaluate import Score, load_corpus, score_corpus

# Measured on the development corpus (35 texts) when this was written: fr 1.00 on every
# type; en person 1.00, organization 0.974, place 1.00; ar person 0.957, organization
# 1.00, place 1.00. Floors sit a little below, and never below the targets
# (0.90 fr/en, 0.80 ar).
FLOORS = {
    ("fr", "person"): 0.95,
    ("fr", "organization"): 0.95,
    ("fr", "place"): 0.95,
    ("en", "person"): 0.95,
    ("en", "organization"): 0.93,
    ("en", "place"): 0.95,
    ("ar", "person"): 0.90,
    ("ar", "organization"): 0.95,
    ("ar", "place"): 0.95,
}
# Held-out texts, written after the rules and never tuned on: fr 1.00, en 0.95, ar 0.95
# over all three types.
HELDOUT_FLOORS = {"fr": 0.92, "en": 0.90, "ar": 0.88}


@pytest.fixture(scope="module")
def dev_scores(fixtures_dir: Path) -> dict[tuple[str, str], Score]:
    docs = load_corpus(sorted(fixtures_dir.glob("corpus_*.json")))
    scores, _ = score_corpus(docs)
    return scores


def test_corpus_is_big_enough(fixtures_dir: Path) -> None:
    docs = load_corpus(sorted(fixtures_dir.glob("corpus_*.json")))
    assert len(docs) >= 30
    for lang in ("fr", "en", "ar"):
        assert sum(d["lang"] == lang for d in docs) >= 10
    assert len({d["id"] for d in docs}) == len(docs)


@pytest.mark.parametrize(("lang", "kind"), sorted(FLOORS))
def test_f1_holds(dev_scores: dict[tuple[str, str], Score], lang: str, kind: str) -> None:
    score = dev_scores[(lang, kind)]
    assert score.tp > 0
    assert score.f1 >= FLOORS[(lang, kind)], (lang, kind, score)


def test_heldout_f1_holds(fixtures_dir: Path) -> None:
    docs = load_corpus([fixtures_dir / "heldout.json"])
    scores, errors = score_corpus(docs)
    for lang, floor in HELDOUT_FLOORS.items():
        total = Score()
        for (cell_lang, _), s in scores.items():
            if cell_lang == lang:
                total.tp += s.tp
                total.fp += s.fp
                total.fn += s.fn
        assert total.f1 >= floor, (lang, total, errors)


def test_score_arithmetic() -> None:
    s = Score(tp=8, fp=2, fn=0)
    assert s.precision == pytest.approx(0.8)
    assert s.recall == 1.0
    assert s.f1 == pytest.approx(2 * 0.8 / 1.8)
    assert Score(tp=0, fp=3, fn=3).f1 == 0.0
