"""Name text to comparable tokens: script, case, diacritics, particles, phonetics.

Three layers, each a pure function of its input:

* ``tokens(name, kind)``: Arabic script romanised (``translit``), everything else folded
  to ASCII (``anyascii``), lower case, hyphens and apostrophes split, particles and
  titles dropped for the kind, ``Abd``-compounds joined (Abdel Aziz = عبد العزيز).
* ``phonetic(token)``: French, English and Arabic-romanised spellings folded onto one
  alphabet (ou/w -> u, dj -> j, ch -> sh, kh -> k, e -> a, o -> u, y -> i, doubles
  collapsed, silent final e and h dropped).
* ``skeleton(phonetic)``: the consonants only -- what an unvowelled Arabic spelling
  still shares with a Latin one; ``coarse`` also drops ``h`` for blocking keys.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

from anyascii import anyascii

from liaison.text import has_arabic, transliterate_ar

__all__ = [
    "HONORIFICS",
    "KINDS",
    "KINSHIP",
    "PARTICLES",
    "acronym",
    "coarse",
    "has_kinship",
    "kinship_links",
    "person_parts",
    "phonetic",
    "skeleton",
    "tokens",
]

KINDS: Final = ("person", "organization", "place", "other")

_ARTICLES = {"al", "el", "ul", "ad", "ed", "ud", "ar", "er", "as", "es", "ash", "at", "az", "an"}
_TITLES = {
    "emir",
    "amir",
    "dr",
    "docteur",
    "general",
    "gen",
    "colonel",
    "col",
    "capitaine",
    "cpt",
    "commandant",
    "cdt",
    "lieutenant",
    "lt",
    "sergent",
    "sgt",
    "mr",
    "mme",
    "mrs",
    "ms",
    "m",
    "mlle",
    "president",
    "hadj",
    "haj",
    "hajj",
    "elhadj",
    "alhaji",
    "elhadji",
    "hadji",
    "alhadji",
}
PARTICLES: Final[dict[str, frozenset[str]]] = {
    "person": frozenset(
        _ARTICLES
        | _TITLES
        | {
            "ag",
            "agh",
            "ak",
            "ould",
            "uld",
            "wuld",
            "wld",
            "walad",
            "ben",
            "bin",
            "ibn",
            "bn",
            "ibnu",
            "bint",
            "bent",
            "mint",
            "ult",
            "oult",
            "welet",
            "de",
            "da",
            "di",
            "du",
            "le",
            "la",
            "van",
            "von",
            "der",
            "wa",
        }
    ),
    "organization": frozenset(
        _ARTICLES
        | {
            "de",
            "du",
            "des",
            "la",
            "le",
            "les",
            "l",
            "d",
            "et",
            "aux",
            "au",
            "a",
            "en",
            "pour",
            "of",
            "the",
            "and",
            "for",
            "in",
            "wa",
            "wal",
            "fi",
            "li",
            "lil",
            "bi",
        }
    ),
    "place": frozenset({"al", "el", "de", "du", "la", "le", "les", "l", "d"}),
    "other": frozenset({"al", "el", "de", "du", "des", "la", "le", "les", "l", "d", "the", "of"}),
}

#: Kinship particles ("son of", "daughter of") by spelling, to their class.
KINSHIP: Final[dict[str, str]] = {
    **dict.fromkeys(("ould", "uld", "wuld", "wld", "walad", "wuld"), "ould"),
    **dict.fromkeys(("ag", "agh", "ak"), "ag"),
    **dict.fromkeys(("ben", "bin", "ibn", "bn", "ibnu", "abn"), "ben"),
    **dict.fromkeys(
        ("bint", "bent", "mint", "ult", "oult", "welet", "walet", "wallet", "bnt", "mnt"), "bint"
    ),
}
#: Honorifics that open a compound name: Sidi Mohamed, Moulay Idriss, Cheikh Ahmed, Abou Bakr.
HONORIFICS: Final = frozenset(
    {"sidi", "sidy", "sid", "moulay", "mulay", "mawlay", "cheikh", "cheick", "cheik", "chekh",
     "sheikh", "shaykh", "shaikh", "shikh", "abou", "abu", "abo"}
)  # fmt: skip
_ABD: Final = frozenset({"abd", "abdel", "abdul", "abdoul", "abdal"})

_ELISION_RE = re.compile(r"\b(qu|[cdjlmnst])['’](?=\w)")
_APOSTROPHE_RE = re.compile(r"['’‘`ʼʻ´]")
_SEPARATOR_RE = re.compile(r"[^a-z0-9]+")
_ABD_RE = re.compile(r"^abd(?:[aeiou]+l?)?")
_AL_PREFIX_RE = re.compile(r"^(?:al|el)[^aeiouy\d][a-z]{3,}$")
_LITERAL_RULES: Final = (
    ("tch", "ch"), ("sch", "sh"), ("x", "ks"), ("ch", "sh"), ("dj", "j"), ("ph", "f"),
    ("p", "b"),  # Arabic has no p: Mopti = موبتي
    ("gh", "g"), ("kh", "k"), ("th", "t"), ("dh", "d"), ("ck", "k"), ("q", "k"),
)  # fmt: skip
_SOFT_C_RE = re.compile(r"c(?=[eiy])")
_SILENT_E_RE = re.compile(r"(?<=[a-z]{3}[^aeiouy])e$")  # silent final e: Mourabitoune
_VOWEL_RULES: Final = (("ou", "u"), ("oo", "u"), ("w", "u"), ("ee", "i"), ("y", "i"), ("o", "u"))
_FINAL_H_RE = re.compile(r"(?<=[aiu])h$")  # Fatimah = Fatima = فاطمة


def _fold(name: str) -> tuple[str, bool]:
    text = unicodedata.normalize("NFKC", name)
    arabic = has_arabic(text)
    if arabic:
        text = transliterate_ar(text)
    return anyascii(text).lower(), arabic


@lru_cache(maxsize=16384)
def _raw(name: str) -> tuple[tuple[str, ...], bool]:
    text, arabic = _fold(name)
    text = _ELISION_RE.sub(r"\1 ", text)
    text = _APOSTROPHE_RE.sub("", text)
    return tuple(t for t in _SEPARATOR_RE.split(text) if t), arabic


def _joined(kept: list[str] | tuple[str, ...], kind: str | None) -> list[str]:
    """``Abd`` compounds joined, ``al``-prefixes split off."""
    out: list[str] = []
    i = 0
    while i < len(kept):
        tok = kept[i]
        if kind in (None, "person", "other") and tok in _ABD:
            # Abd + name is one name: "Abdel Aziz" = "Abdelaziz" = "عبد العزيز".
            if i + 1 < len(kept):
                tok = "abd" + kept[i + 1]
                i += 1
        elif tok.startswith("abd") and len(tok) > 3:
            tok = "abd" + _ABD_RE.sub("", tok)
        elif _AL_PREFIX_RE.match(tok):
            tok = tok[2:]  # Alghabass = al-Ghabass = الغباس
        out.append(tok)
        i += 1
    return out


def tokens(name: str, kind: str | None = None) -> tuple[list[str], bool]:
    """The name's tokens without particles, and whether it was written in Arabic script.

    Particles are kept when dropping them would leave nothing (``Al`` alone).
    """
    raw, arabic = _raw(name)
    drop = PARTICLES.get(kind or "other", PARTICLES["other"])
    kept = [t for t in raw if t not in drop] or list(raw)
    return _joined(kept, kind), arabic


def has_kinship(name: str) -> bool:
    """True when the name holds a kinship particle (ould, ag, ben, bint; ولد، أغ، بن …)."""
    return not KINSHIP.keys().isdisjoint(_raw(name)[0])


def kinship_links(name: str) -> tuple[str, ...]:
    """The kinship particle classes of a name, in order (``person_parts``' links)."""
    return tuple(KINSHIP[t] for t in _raw(name)[0] if t in KINSHIP)


@lru_cache(maxsize=8192)
def person_parts(name: str) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """A person name cut at its kinship particles: ``(segments, links)``.

    ``links`` are the particle classes in order (``ould``, ``ag``, ``ben``, ``bint``);
    ``segments`` has one more entry: the given name(s) before the first particle, then
    what follows each particle. Titles and articles are dropped as in ``tokens``; an
    honorific that opens a compound name (Sidi, Moulay, Cheikh, Abou) is joined to the
    next word of its segment: "Sidi Mohamed" is one given name, not two.

    >>> person_parts("Sidi Mohamed Ould Cheikh Abdallahi")
    ((('sidimohamed',), ('cheikhabdlahi',)), ('ould',))
    >>> person_parts("عبد العزيز بن سلمان")
    ((('abdaziz',), ('slman',)), ('ben',))
    """
    raw, _ = _raw(name)
    drop = PARTICLES["person"] - KINSHIP.keys()
    segments: list[list[str]] = [[]]
    links: list[str] = []
    for tok in raw:
        if tok in KINSHIP:
            links.append(KINSHIP[tok])
            segments.append([])
        elif tok not in drop:
            segments[-1].append(tok)
    if not links:
        return (tuple(_joined([t for t in raw if t not in drop] or raw, "person")),), ()
    return tuple(_compounds(_joined(seg, "person")) for seg in segments), tuple(links)


def _compounds(seg: list[str]) -> tuple[str, ...]:
    """Honorifics joined to the next word; a doubled name (Houka Houka) read once."""
    out: list[str] = []
    pending = ""
    for tok in seg:
        if tok in HONORIFICS:
            pending += tok
            continue
        if not pending and out and out[-1] == tok:
            continue
        out.append(pending + tok)
        pending = ""
    if pending:
        out.append(pending)
    return tuple(out)


_DOUBLE_RE = re.compile(r"(.)\1+")
_VOWELS_RE = re.compile(r"[aiu]")
_FINAL_AT_RE = re.compile(r"(?<=.)at$")  # taa marbuta: Jamaat = جماعة


@lru_cache(maxsize=32768)
def phonetic(token: str, e: str = "a") -> str:
    """Fold one ASCII token onto the matching alphabet (see the module docstring).

    A Latin ``e`` stands for a fatha as often as for a kasra (Ahmed = Ahmad, Khaled =
    Khalid): it becomes ``a`` by default and ``i`` with ``e="i"``.
    """
    s = token
    for old, new in _LITERAL_RULES:
        if old in s:
            s = s.replace(old, new)
    if "c" in s:
        s = _SOFT_C_RE.sub("s", s).replace("c", "k")
    if s.endswith("e"):
        s = _SILENT_E_RE.sub("", s)
    for old, new in _VOWEL_RULES:
        if old in s:
            s = s.replace(old, new)
    if s.endswith("h"):
        s = _FINAL_H_RE.sub("", s)
    return _DOUBLE_RE.sub(r"\1", s.replace("e", e))


@lru_cache(maxsize=32768)
def skeleton(phon: str) -> str:
    """Consonant skeleton of a phonetic token: ``muhamad`` -> ``mhmd``."""
    return _VOWELS_RE.sub("", _FINAL_AT_RE.sub("a", phon))


def coarse(phon: str) -> str:
    """Blocking form: skeleton without ``h``; the phonetic form when that is empty."""
    return skeleton(phon).replace("h", "") or phon


def acronym(toks: list[str]) -> str:
    """Initials of the content tokens: groupe soutien islam musulmans -> gsim."""
    return "".join(t[0] for t in toks if t and t[0].isalpha())
