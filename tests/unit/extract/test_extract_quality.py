"""The annotated corpus: measured F1 per language and type must not regress."""

from __future__ import annotations

from pathlib import Path

import pytest

from liaison.extract.evaluate import TYPES, Score, load_corpus, score_corpus, score_relations

# Development corpus (35 texts; the rules were tuned on it): F1 1.00 on every language and
# type when this was written. Floors sit below, and never below the targets
# (0.90 fr/en, 0.80 ar).
FLOORS = {(lang, kind): 0.95 for lang in ("fr", "en", "ar") for kind in TYPES}
# Held-out (24 texts): first measured at fr 1.00, en 0.985, ar 0.96; its three errors
# were then fixed (1.00 now), so it is a regression set like the development one.
HELDOUT_FLOORS = {"fr": 0.95, "en": 0.95, "ar": 0.95}
# Blind 1 (24 texts): measured fr 0.982, en 0.962, ar 0.943 before the given-name rule
# was added (fr 1.00, en 0.962, ar 0.926 after). Blind 2 (12 texts, written after that
# rule, measured once): fr 0.966, en 0.968, ar 0.857 -- Arabic persons only 0.57; the
# fuzzy gazetteer look-up added afterwards brings fr and en to 1.00.
BLIND_FLOORS = {"fr": 0.95, "en": 0.93, "ar": 0.90}
BLIND2_FLOORS = {"fr": 0.93, "en": 0.93, "ar": 0.82}


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


def _per_language(scores: dict[tuple[str, str], Score]) -> dict[str, Score]:
    totals: dict[str, Score] = {}
    for (lang, _), s in scores.items():
        total = totals.setdefault(lang, Score())
        total.tp += s.tp
        total.fp += s.fp
        total.fn += s.fn
    return totals


@pytest.mark.parametrize(
    ("name", "floors"),
    [
        ("heldout.json", HELDOUT_FLOORS),
        ("blind.json", BLIND_FLOORS),
        ("blind2.json", BLIND2_FLOORS),
    ],
)
def test_unseen_sets_hold(fixtures_dir: Path, name: str, floors: dict[str, float]) -> None:
    docs = load_corpus([fixtures_dir / name])
    assert {d["lang"] for d in docs} == set(floors)
    scores, errors = score_corpus(docs)
    for lang, total in _per_language(scores).items():
        assert total.f1 >= floors[lang], (lang, total, errors)


# Issue #17: 15 development texts with relationships (tuned on: entities and relationships
# 1.00 when written) and 30 held-out texts, written before the changes and measured once:
# entities fr 0.925, en 0.962, ar 0.971; relationships fr 0.647, en 0.889, ar 0.759.
RELATION_SETS = {"relations_dev.json": (0.95, 0.9), "relations_heldout.json": (0.9, 0.6)}


@pytest.mark.parametrize("name", sorted(RELATION_SETS))
def test_relationship_sets_hold(fixtures_dir: Path, name: str) -> None:
    entity_floor, relation_floor = RELATION_SETS[name]
    docs = load_corpus([fixtures_dir / name])
    assert all("relations" in d for d in docs)
    scores, errors = score_corpus(docs)
    for lang, total in _per_language(scores).items():
        assert total.f1 >= entity_floor, (lang, total, errors)
    relations, rel_errors = score_relations(docs)
    assert set(relations) == {"fr", "en", "ar"}
    for lang, score in relations.items():
        assert score.f1 >= relation_floor, (lang, score, rel_errors)


def test_relationship_scoring_by_hand() -> None:
    doc = {
        "id": "t",
        "lang": "fr",
        "date": "2026-03-15",
        "text": "Le JNIM, dirigé par Iyad Ag Ghaly, a attaqué Boni.",
        "gold": {"person": ["Iyad Ag Ghaly"], "organization": ["JNIM"], "place": ["Boni"]},
        "relations": [["JNIM", "attributed-to", "Iyad Ag Ghaly"], ["JNIM", "located-at", "Boni"]],
    }
    scores, errors = score_relations([doc])
    # found: attributed-to (right) and targets Boni (not in the gold); missed: located-at
    assert (scores["fr"].tp, scores["fr"].fp, scores["fr"].fn) == (1, 1, 1)
    assert {e["error"] for e in errors} == {"spurious", "missed"}


def test_score_arithmetic() -> None:
    s = Score(tp=8, fp=2, fn=0)
    assert s.precision == pytest.approx(0.8)
    assert s.recall == 1.0
    assert s.f1 == pytest.approx(2 * 0.8 / 1.8)
    assert Score(tp=0, fp=3, fn=3).f1 == 0.0
