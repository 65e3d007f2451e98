"""Extraction benchmark: P/R/F1 per entity type and language, and time per article.

Run: PYTHONPATH=src .venv/bin/python bench/bench_extract.py [--errors]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from liaison.extract import extract_text
from liaison.extract.evaluate import TYPES, Score, load_corpus, score_corpus

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "extract"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--errors", action="store_true", help="list every miss and false hit")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per page")
    args = parser.parse_args()

    docs = load_corpus(sorted(FIXTURES.glob("corpus_*.json")))
    t0 = time.perf_counter()
    scores, errors = score_corpus(docs)
    first = time.perf_counter() - t0
    print(f"{len(docs)} documents, first pass (includes model loading) {first:.1f} s\n")
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
    if args.errors:
        for err in errors:
            print(f"  {err['doc']:<7}{err['type']:<14}{err['error']:<9}{err['key']}")

    for lang in ("fr", "en", "ar"):
        page = "\n\n".join(d["text"] for d in docs if d["lang"] == lang)
        words = len(page.split())
        timings = []
        for _ in range(args.runs):
            t = time.perf_counter()
            extract_text(page, lang=lang)
            timings.append(time.perf_counter() - t)
        print(
            f"{lang}: one page of {words} words: median {statistics.median(timings) * 1000:.1f} ms"
            f", min {min(timings) * 1000:.1f} ms over {args.runs} runs"
        )


if __name__ == "__main__":
    main()
