"""Precision, recall and F1 of the extractor against an annotated corpus.

A corpus is a JSON list of ``{"id", "lang", "date", "text", "gold": {"person": [...],
"organization": [...], "place": [...]}}``, optionally with ``"relations": [[source,
relationship_type, target], ...]``; gold values are the surface forms of the mentions
(Arabic clitics left out: "الجيش المالي" for "للجيش المالي"). Scoring compares, per
document and type, the set of normal forms of gold mentions with the set of normal
forms of extracted spans (armed groups count as organizations). A relationship is
right when its type is the gold one and its source and target entities each have a
mention whose normal form is the gold one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from liaison.extract.draft import extract_text
from liaison.text import surface_form, tokenize

__all__ = ["TYPES", "Score", "load_corpus", "score_corpus", "score_relations"]

TYPES = ("person", "organization", "place")


@dataclass(slots=True)
class Score:
    """Counts for one (language, type) cell."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_corpus(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Documents of every corpus file, in order."""
    docs: list[dict[str, Any]] = []
    for path in paths:
        docs.extend(json.loads(path.read_text(encoding="utf-8")))
    return docs


def _key(surface: str) -> str:
    keys = [t.key for t in tokenize(surface)]
    if keys and keys[0].startswith("لل"):  # للأمم = ل + الأمم: compare without the clitic
        keys[0] = "ال" + keys[0][2:]
    return " ".join(keys)


def _type_of(entity_type: str) -> str | None:
    if entity_type == "armed-group":
        return "organization"
    return entity_type if entity_type in TYPES else None


def score_corpus(
    docs: list[dict[str, Any]],
) -> tuple[dict[tuple[str, str], Score], list[dict[str, Any]]]:
    """Scores per (lang, type) and the list of errors (for reading, not for asserting)."""
    scores: dict[tuple[str, str], Score] = {}
    errors: list[dict[str, Any]] = []
    for doc in docs:
        draft = extract_text(
            doc["text"],
            lang=doc.get("lang", "auto"),
            document_date=date.fromisoformat(doc["date"]),
        )
        predicted: dict[str, set[str]] = {t: set() for t in TYPES}
        for ent in draft.entities:
            kind = _type_of(ent.type)
            if kind is not None:
                predicted[kind].update(
                    _key(surface_form(doc["text"], s.start, s.end)) for s in ent.spans
                )
        for kind in TYPES:
            gold = {_key(g) for g in doc["gold"].get(kind, ())}
            cell = scores.setdefault((doc["lang"], kind), Score())
            cell.tp += len(gold & predicted[kind])
            cell.fp += len(predicted[kind] - gold)
            cell.fn += len(gold - predicted[kind])
            for missing in sorted(gold - predicted[kind]):
                errors.append({"doc": doc["id"], "type": kind, "error": "missed", "key": missing})
            for extra in sorted(predicted[kind] - gold):
                errors.append({"doc": doc["id"], "type": kind, "error": "spurious", "key": extra})
    return scores, errors


def _relations_of(draft: Any, text: str) -> list[tuple[str, set[str], set[str]]]:
    keys: dict[str, set[str]] = {}
    for ent in draft.entities:
        if ent.stix_id is not None:
            keys[ent.stix_id] = {_key(surface_form(text, s.start, s.end)) for s in ent.spans}
    return [
        (o["relationship_type"], keys.get(o["source_ref"], set()), keys.get(o["target_ref"], set()))
        for o in draft.bundle["objects"]
        if o["type"] == "relationship"
    ]


def score_relations(docs: list[dict[str, Any]]) -> tuple[dict[str, Score], list[dict[str, Any]]]:
    """Relationship scores per language over the documents that carry ``relations``."""
    scores: dict[str, Score] = {}
    errors: list[dict[str, Any]] = []
    for doc in docs:
        if "relations" not in doc:
            continue
        draft = extract_text(
            doc["text"],
            lang=doc.get("lang", "auto"),
            document_date=date.fromisoformat(doc["date"]),
        )
        predicted = _relations_of(draft, doc["text"])
        gold = [(_key(src), kind, _key(dst)) for src, kind, dst in doc["relations"]]
        cell = scores.setdefault(doc["lang"], Score())
        matched: set[int] = set()
        for kind, src, dst in predicted:
            hit = next(
                (
                    n
                    for n, g in enumerate(gold)
                    if n not in matched and g[1] == kind and g[0] in src and g[2] in dst
                ),
                None,
            )
            if hit is None:
                cell.fp += 1
                errors.append(
                    {
                        "doc": doc["id"],
                        "error": "spurious",
                        "key": f"{sorted(src)} {kind} {sorted(dst)}",
                    }
                )
            else:
                matched.add(hit)
                cell.tp += 1
        for n, g in enumerate(gold):
            if n not in matched:
                cell.fn += 1
                errors.append({"doc": doc["id"], "error": "missed", "key": " ".join(g)})
    return scores, errors
