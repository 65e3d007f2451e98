"""Find entities in a text: lexicon, rules and (fr/en) spaCy NER, merged into one list."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from liaison.extract.lexicon import (
    LexiconMatch,
    demonyms,
    fuzzy_place,
    lexicon,
    organizations_by_id,
    places_by_id,
)
from liaison.extract.rules import PersonMatch, find_persons, latin_stopwords
from liaison.extract.titles import title_end
from liaison.text import Token, normalize, sentences, surface_form, tokenize

__all__ = ["EntityType", "Mention", "RawEntity", "find_entities"]


def _words(block: str) -> frozenset[str]:
    """The normal forms of the whitespace-separated words of ``block``."""
    return frozenset(normalize(w) for w in block.split())


EntityType = Literal["person", "organization", "armed-group", "place"]

# A spaCy ORG is kept only when it is an acronym or starts with one of these words.
_ORG_HEADS = _words(
    """ministere ministry armee army agence agency gendarmerie police garde guard conseil
    council commission comite committee croix parlement parliament assemblee assembly
    direction directorate mission force forces front mouvement movement groupe group
    coalition brigade bataillon battalion katiba organisation organization office bureau
    service services union alliance banque bank universite university institut institute
    haut haute cour court tribunal programme program fonds fund agence association
    ong ngo compagnie company societe etat-major etat state department departement"""
)


@dataclass(slots=True)
class Mention:
    start: int
    end: int
    text: str


@dataclass(slots=True)
class RawEntity:
    """One entity of the text, before it becomes a STIX object."""

    type: EntityType
    name: str
    key: str
    mentions: list[Mention] = field(default_factory=list)
    ref: str | None = None
    title: str | None = None
    origin: str = "rule"
    aliases: list[str] = field(default_factory=list)


def find_entities(text: str, lang: str) -> list[RawEntity]:
    """Persons, organizations, armed groups and places, each with all its mentions."""
    tokens = tokenize(text)
    lex = lexicon().find(tokens, text)
    persons = find_persons(text, tokens, lex, lang)
    candidates: list[tuple[int, int, int, object]] = []  # start, end, priority, payload
    for m in lex:
        candidates.append((m.start, m.end, 3, m))
    for p in persons:
        candidates.append((p.start, p.end, 2, p))
    if lang in ("fr", "en"):
        covered = [(c[0], c[1]) for c in candidates]
        for start, end, label in _model_entities(text, lang, tokens, covered):
            candidates.append((start, end, 1, (label, start, end)))
    if lang in ("fr", "en"):
        covered = [(c[0], c[1]) for c in candidates]
        for start, end, ref in _fuzzy_places(text, tokens, covered, lang):
            candidates.append((start, end, 1, (f"place:{ref}", start, end)))
    chosen = _resolve(candidates)
    entities: dict[tuple[str, str], RawEntity] = {}
    for start, end, payload in chosen:
        ent = _to_entity(text, start, end, payload, lang)
        if ent is None:
            continue
        known = entities.get((ent.type, ent.key))
        if known is None:
            entities[(ent.type, ent.key)] = ent
        else:
            known.mentions.extend(ent.mentions)
            known.title = known.title or ent.title
    _link_surnames(text, tokens, entities, chosen)
    out = list(entities.values())
    for ent in out:
        ent.mentions.sort(key=lambda m: m.start)
    out.sort(key=lambda e: e.mentions[0].start)
    return out


def _resolve(
    candidates: list[tuple[int, int, int, object]],
) -> list[tuple[int, int, object]]:
    """Keep non-overlapping spans: higher priority first, then longer."""
    ranked = sorted(candidates, key=lambda c: (-c[2], -(c[1] - c[0]), c[0]))
    kept: list[tuple[int, int, object]] = []
    for start, end, _prio, payload in ranked:
        if any(start < e and s < end for s, e, _ in kept):
            continue
        kept.append((start, end, payload))
    return sorted(kept, key=lambda k: k[0])


def _to_entity(text: str, start: int, end: int, payload: object, lang: str) -> RawEntity | None:
    surface = text[start:end]
    mention = Mention(start, end, surface)
    if isinstance(payload, LexiconMatch):
        if payload.kind == "org":
            org = organizations_by_id()[payload.ref]
            kind: EntityType = "armed-group" if org.kind == "armed-group" else "organization"
            return RawEntity(
                kind, org.name(lang), f"org:{org.id}", [mention], org.id, origin="lexicon"
            )
        return _place(text, start, end, mention, payload.ref, "gazetteer")
    if isinstance(payload, PersonMatch):
        return RawEntity(
            "person", surface, _person_key(surface), [mention], title=payload.title, origin="rule"
        )
    assert isinstance(payload, tuple)
    label = str(payload[0])
    if label.startswith("place:"):
        return _place(text, start, end, mention, label.removeprefix("place:"), "gazetteer-fuzzy")
    if label == "person":
        return RawEntity("person", surface, _person_key(surface), [mention], origin="model")
    return RawEntity(
        "organization", surface, "org:" + normalize(surface), [mention], origin="model"
    )


def _place(text: str, start: int, end: int, mention: Mention, ref: str, origin: str) -> RawEntity:
    """A place named as the text names it; the gazetteer's other names become aliases.

    "Tombouctou" in French, "تمبكتو" in Arabic, "Timbuktu" in English: the analyst reads
    their own language, and correlation still links the drafts through the aliases.
    """
    place = places_by_id()[ref]
    surface = unicodedata.normalize("NFC", surface_form(text, start, end))
    aliases = [n for n in dict.fromkeys((place.name, *place.names)) if n != surface]
    return RawEntity(
        "place", surface, f"place:{place.id}", [mention], place.id, origin=origin, aliases=aliases
    )


def _person_key(name: str) -> str:
    return " ".join(t.key for t in tokenize(name))


def _open_sentences(
    text: str, tokens: list[Token], covered: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Sentences with a capitalised word that the lexicon and the rules left unexplained.

    Only those go through the statistical model: the rest cannot add a person or an
    organization, and skipping them is most of the time saved on a long text.
    """
    stop = latin_stopwords()
    dem = demonyms()
    out: list[tuple[int, int]] = []
    k = 0
    for start, end in sentences(text):
        open_word = False
        while k < len(tokens) and tokens[k].start < end:
            tok = tokens[k]
            k += 1
            if open_word or tok.start < start or not tok.capitalized:
                continue
            if tok.key in stop or tok.key in dem:
                continue
            if any(s <= tok.start < e for s, e in covered):
                continue
            open_word = True
        if open_word:
            out.append((start, end))
    return out


def _model_entities(
    text: str, lang: str, tokens: list[Token], covered: list[tuple[int, int]]
) -> list[tuple[int, int, str]]:
    """spaCy persons and organizations, trimmed and filtered."""
    from liaison.extract.models import run_model

    segments = _open_sentences(text, tokens, covered)
    stop = latin_stopwords()
    dem = demonyms()
    out: list[tuple[int, int, str]] = []
    found = (
        (ent, seg_start)
        for doc, (seg_start, _) in zip(
            run_model(lang, [text[s:e] for s, e in segments]), segments, strict=True
        )
        for ent in doc.ents
    )
    for ent, offset in found:
        label = ent.label_
        if label not in ("PER", "PERSON", "ORG", "LOC", "GPE"):
            continue
        words = tokenize(ent.text)
        # trim leading function words and titles ("Le", "General")
        k = 0
        while k < len(words) and (words[k].key in stop or title_end(words, k) > k):
            k = max(k + 1, title_end(words, k))
        words = words[k:]
        if not words:
            continue
        start = offset + ent.start_char + words[0].start
        end = offset + ent.start_char + words[-1].end
        if label in ("LOC", "GPE"):
            if all(w.capitalized for w in words):
                ref = fuzzy_place(text[start:end])
                if ref is not None:
                    out.append((start, end, f"place:{ref}"))
            continue
        if label in ("PER", "PERSON"):
            if len(words) < 2 or any(w.text.isdigit() or w.key in dem for w in words):
                continue
            if not all(
                w.capitalized
                or w.key in {"ould", "ag", "ben", "el", "al", "ibn", "bin", "de", "da", "dit"}
                for w in words
            ):
                continue
            out.append((start, end, "person"))
        else:
            acronym = len(words) == 1 and words[0].text.isupper() and len(words[0].text) >= 3
            if acronym or (len(words) > 1 and words[0].key in _ORG_HEADS and words[0].capitalized):
                out.append((start, end, "organization"))
    return out


_LOCATIVE = {
    "fr": _words("a au aux de d du vers pres depuis entre dans sur"),
    "en": _words("in from near at to toward towards around outside between"),
}


def _fuzzy_places(
    text: str, tokens: list[Token], covered: list[tuple[int, int]], lang: str
) -> list[tuple[int, int, str]]:
    """Capitalised words after a locative preposition ("from Anderamboukane") that are a
    gazetteer name spelled a little differently."""
    stop = latin_stopwords()
    dem = demonyms()
    locative = _LOCATIVE[lang]
    out: list[tuple[int, int, str]] = []
    for i in range(1, len(tokens)):
        tok = tokens[i]
        if tok.arabic or not tok.capitalized or tok.text.isupper() or tok.key in stop:
            continue
        if tok.key in dem or tokens[i - 1].key not in locative or tok.start - tokens[i - 1].end > 2:
            continue
        if any(s < tok.end and tok.start < e for s, e in covered):
            continue
        ref = fuzzy_place(tok.text)
        if ref is not None:
            out.append((tok.start, tok.end, ref))
    return out


def _link_surnames(
    text: str,
    tokens: list[Token],
    entities: dict[tuple[str, str], RawEntity],
    chosen: list[tuple[int, int, object]],
) -> None:
    """Attach later surname-only mentions ("Goïta") to the full-name person."""
    by_surname: dict[str, RawEntity] = {}
    for ent in entities.values():
        if ent.type != "person":
            continue
        parts = ent.key.split()
        if len(parts) >= 2 and len(parts[-1]) >= 3:
            by_surname.setdefault(parts[-1], ent)
    if not by_surname:
        return
    stop = latin_stopwords()
    for tok in tokens:
        person = by_surname.get(tok.key)
        if person is None or tok.key in stop:
            continue
        if not tok.arabic and not tok.capitalized:
            continue
        if any(tok.start < e and s < tok.end for s, e, _ in chosen):
            continue
        if tok.start < person.mentions[0].start:
            continue
        person.mentions.append(Mention(tok.start, tok.end, tok.text))
