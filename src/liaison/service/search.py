"""Full-text search of reports, notes and names, always through the policy gate.

At ingest each object's searchable text (names, aliases, descriptions, note and
opinion content, report abstracts) is folded -- case, Latin diacritics, Arabic
diacritics, tatweel and letter variants -- and indexed by the store: SQLite FTS5 or a
PostgreSQL ``tsvector`` (simple + French + English configurations). A query is folded
the same way; every hit then passes the same policy decision as any other read, and a
hit whose released copy was redacted is kept only if that copy still holds every word.
Partners get hits newest first, never by relevance (ranking weighs words by how often
they occur in everything stored -- withheld objects included).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import orjson

from liaison.errors import InvalidInputError
from liaison.text import normalize_arabic, normalize_latin
from liaison.text.normal import fold_words

if TYPE_CHECKING:  # types only: the sync's checking process uses ``searchable_text`` and
    from liaison.store import ObjectRow, PartyRecord  # no store (docs/adr/0010)

__all__ = ["fold", "search", "searchable_text"]

_FIELDS = ("name", "description", "content", "abstract", "explanation", "x_mitre_aliases")
_LISTS = ("aliases", "labels", "x_liaison_topics", "x_liaison_regions")
_MAX_TEXT = 20_000
_NAMES = frozenset((*_FIELDS, *_LISTS))
#: The names of ``_FIELDS`` and of ``_LISTS`` an object has -> those, in their order
#: (at most 2^10 sets).
_ORDERS: dict[frozenset[str], tuple[tuple[str, ...], tuple[str, ...]]] = {}
_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """The normal form both the index and the queries use."""
    return normalize_latin(normalize_arabic(text))


def searchable_text(obj: dict[str, Any]) -> str:
    """``fold`` of the object's texts joined by spaces, at most ``_MAX_TEXT`` characters
    (the index holds exactly that).

    Folded part by part: ``fold`` changes each character alone, or a base character
    with the combining marks after it -- never across a space -- so the folded parts
    joined by spaces are the folded whole. An ASCII part is only case-folded; the
    slower steps run over the parts that need them, word by word with the words
    already met remembered (``fold_words``: the same string).
    """
    present = _NAMES.intersection(obj)  # in C: the few of those names the object has
    if not present:
        return ""
    order = _ORDERS.get(present)
    if order is None:
        order = _ORDERS[present] = (
            tuple(f for f in _FIELDS if f in present),
            tuple(f for f in _LISTS if f in present),
        )
    fields, lists = order
    parts: list[str] = []
    for f in fields:
        v = obj.get(f)
        if isinstance(v, str):
            parts.append(v)
    for f in lists:
        v = obj.get(f)
        if isinstance(v, list):
            parts += [x for x in v if isinstance(x, str)]
    text = " ".join(parts)
    if text.isascii():
        return text.casefold()[:_MAX_TEXT]
    folded: list[str] = []
    size = -1
    for part in parts:
        part = part.casefold() if part.isascii() else fold_words(part)
        folded.append(part)
        size += len(part) + 1
        if size >= _MAX_TEXT:
            break  # what follows would be cut off
    return " ".join(folded)[:_MAX_TEXT]


def _matches(released: bytes, terms: list[str]) -> bool:
    """Does the copy a party receives still hold every term (as a whole word)?"""
    words = set(_WORD.findall(searchable_text(orjson.loads(released))))
    return all(t in words for t in terms)


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
    # A partner's hits come newest first: relevance would weigh terms by how often
    # they occur in everything stored, withheld objects included.
    recent = not party.internal
    while len(out) < limit:
        rows = exchange.store.search(readable, terms, limit=batch, offset=offset, recent=recent)
        verdict.prepare(rows)
        for row in rows:
            v = verdict(row)
            if v.body is None:
                continue
            if v.body is not row.body and not _matches(v.body, terms):
                continue  # the words were in what was redacted for this party
            out.append((row, v.body))
            if len(out) == limit:
                break
        if len(rows) < batch:
            break
        offset += batch
    return out
