"""Full-text search of reports, notes and names, always through the policy gate.

At ingest each object's searchable text (names, aliases, descriptions, note and
opinion content, report abstracts) is folded -- case, Latin diacritics, Arabic
diacritics, tatweel and letter variants -- and indexed by the store: SQLite FTS5 or a
PostgreSQL ``tsvector`` (simple + French + English configurations). A query is folded
the same way; every hit then passes the same policy decision as any other read.
"""

from __future__ import annotations

import re
from typing import Any

from liaison.errors import InvalidInputError
from liaison.store import ObjectRow, PartyRecord

__all__ = ["fold", "search", "searchable_text"]

_FIELDS = ("name", "description", "content", "abstract", "explanation", "x_mitre_aliases")
_LISTS = ("aliases", "labels", "x_liaison_topics", "x_liaison_regions")
_MAX_TEXT = 20_000
_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """The normal form both the index and the queries use."""
    from liaison.text import normalize_arabic, normalize_latin

    return normalize_latin(normalize_arabic(text))


def searchable_text(obj: dict[str, Any]) -> str:
    parts: list[str] = []
    for f in _FIELDS:
        v = obj.get(f)
        if isinstance(v, str):
            parts.append(v)
    for f in _LISTS:
        v = obj.get(f)
        if isinstance(v, list):
            parts.extend(x for x in v if isinstance(x, str))
    return fold(" ".join(parts))[:_MAX_TEXT]


def query_terms(query: str) -> list[str]:
    terms = _WORD.findall(fold(query))
    if not terms:
        raise InvalidInputError("the search query has no words")
    if len(terms) > 20:
        raise InvalidInputError("the search query has more than 20 words")
    return terms


def search(
    exchange: Any,
    party: PartyRecord,
    query: str,
    *,
    limit: int = 50,
    collection_id: str | None = None,
) -> list[tuple[ObjectRow, bytes]]:
    """The latest versions matching every word, that ``party`` may see, best first."""
    terms = query_terms(query)
    readable = [c.id for c in exchange.readable(party) if party.can_read(c.id)]
    if collection_id is not None:
        readable = [c for c in readable if c == collection_id]
    if not readable:
        return []
    verdict = exchange.gate.verdicts(party)
    out: list[tuple[ObjectRow, bytes]] = []
    offset, batch = 0, max(limit * 2, 50)
    while len(out) < limit:
        rows = exchange.store.search(readable, terms, limit=batch, offset=offset)
        for row in rows:
            v = verdict(row)
            if v.body is not None:
                out.append((row, v.body))
                if len(out) == limit:
                    break
        if len(rows) < batch:
            break
        offset += batch
    return out
