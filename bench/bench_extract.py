"""Extraction benchmark: P/R/F1 per entity type and language, relationships, time per article.

Run: PYTHONPATH=src .venv/bin/python bench/bench_extract.py [--errors]

The relationship sets (``relations_*.json``) carry gold relationships as well; their
relationship precision, recall and F1 are printed per language.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from liaison.extract import extract_text
from liaison.extract.evaluate import TYPES, Score, load_corpus, score_corpus, score_relations

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "extract"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--errors", action="store_true", help="list every miss and false hit")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per page")
    args = parser.parse_args()

    sets = [
        ("development (rules tuned on it)", sorted(FIXTURES.glob("corpus_*.json"))),
        ("held-out (errors fixed once, see docs/extract.md)", [FIXTURES / "heldout.json"]),
        ("blind 1 (measured, then one rule added)", [FIXTURES / "blind.json"]),
        ("blind 2 (measured once, then tuned on for issue #17)", [FIXTURES / "blind2.json"]),
        ("relationships, development (issue #17)", [FIXTURES / "relations_dev.json"]),
        (
            "relationships, held out (issue #17, measured once)",
            [FIXTURES / "relations_heldout.json"],
        ),
    ]
    docs: list[dict[str, object]] = []
    for title, paths in sets:
        corpus = load_corpus(paths)
        docs.extend(corpus)
        t0 = time.perf_counter()
        scores, errors = score_corpus(corpus)
        elapsed = time.perf_counter() - t0
        print(f"{title}: {len(corpus)} documents, scored in {elapsed:.1f} s\n")
        _table(scores)
        if args.errors:
            for err in errors:
                print(f"  {err['doc']:<9}{err['type']:<14}{err['error']:<9}{err['key']}")
            print()
        relations, rel_errors = score_relations(corpus)
        for lang, r in sorted(relations.items()):
            print(f"{lang:<5}{'relationship':<14}{r.precision:7.3f}{r.recall:7.3f}{r.f1:7.3f}"
                  f"{r.tp:5d}{r.fp:5d}{r.fn:5d}")  # fmt: skip
        if relations:
            total = Score()
            for r in relations.values():
                total.tp, total.fp, total.fn = total.tp + r.tp, total.fp + r.fp, total.fn + r.fn
            print(f"{'all':<5}{'relationship':<14}{total.precision:7.3f}{total.recall:7.3f}"
                  f"{total.f1:7.3f}\n")  # fmt: skip
        if args.errors:
            for err in rel_errors:
                print(f"  {err['doc']:<9}{'relationship':<14}{err['error']:<9}{err['key']}")
    _timing(docs, args.runs)


def _table(scores: dict[tuple[str, str], Score]) -> None:
    print(f"{'lang':<5}{'type':<14}{'P':>7}{'R':>7}{'F1':>7}{'tp':>5}{'fp':>5}{'fn':>5}")
    for lang in ("fr", "en", "ar"):
        total = Score()
        for kind in TYPES:
            s = scores.get((lang, kind), Score())
            total.tp, total.fp, total.fn = total.tp + s.tp, total.fp + s.fp, total.fn + s.fn
            print(
                f"{lang:<5}{kind:<14}{s.precision:7.3f}{s.recall:7.3f}{s.f1:7.3f}"
                f"{s.tp:5d}{s.fp:5d}{s.fn:5d}"
            )
        print(f"{lang:<5}{'all':<14}{total.precision:7.3f}{total.recall:7.3f}{total.f1:7.3f}\n")


def _timing(docs: list[dict[str, object]], runs: int) -> None:
    for lang in ("fr", "en", "ar"):
        texts: list[str] = []
        for d in docs:  # about one page: 400 words
            if d["lang"] == lang and sum(len(t.split()) for t in texts) < 400:
                texts.append(str(d["text"]))
        page = "\n\n".join(texts)
        words = len(page.split())
        extract_text(page, lang=lang)  # warm: models load once per process
        wall, cpu = [], []
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            extract_text(page, lang=lang)
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        print(
            f"{lang}: one page of {words} words: wall median {statistics.median(wall) * 1000:.1f}"
            f" ms (min {min(wall) * 1000:.1f}), CPU median {statistics.median(cpu) * 1000:.1f}"
            f" ms, over {runs} runs"
        )


if __name__ == "__main__":
    main()
