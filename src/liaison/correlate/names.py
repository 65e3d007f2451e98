"""Do two names -- in any script or spelling -- refer to the same entity?

``match_names`` tries its rules in order and says which one decided:

1. ``exact``: the normalised forms are equal;
2. ``alias``: both names belong to one alias group (``aliases``);
3. ``alias-distinct``: both names are known, but to different groups -- not the same;
4. ``acronym`` (organizations): one name is the initials of the other;
5. ``tokens``: tokens aligned one to one and scored with ``rapidfuzz`` on the spelling,
   the phonetic form, and -- when one side was written in Arabic script, which drops
   short vowels -- the consonant skeleton. Unmatched tokens weigh half. For persons,
   a pair of multi-token names fails if any aligned token falls under the token floor
   (same given name, different family name);
6. ``joined``: the names compared without spaces (Noureddine = Nour ad-Din).

The scores and thresholds were set on ``tests/fixtures/correlate/name_pairs.csv``
(``bench/bench_correlate.py`` prints precision and recall).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import combinations

from rapidfuzz.fuzz import ratio

from liaison.correlate.aliases import load_aliases
from liaison.correlate.text import KINDS, acronym, coarse, phonetic, skeleton, tokens
from liaison.errors import InvalidInputError
from liaison.text import transliterate_ar

__all__ = [
    "THRESHOLDS",
    "TOKEN_FLOOR",
    "NameMatch",
    "blocking_keys",
    "match_names",
    "normalise",
    "transliterate_ar",
]

#: A pair is the same entity when its score reaches the threshold of its kind.
THRESHOLDS: dict[str, float] = {"person": 0.84, "organization": 0.86, "place": 0.9, "other": 0.87}
#: Every aligned token of two multi-token names must reach the floor of their kind
#: (same given name, different family name; Forces armées maliennes / nigériennes).
TOKEN_FLOOR: dict[str, float] = {"person": 0.85, "organization": 0.75, "place": 0.8, "other": 0.8}
_MAX_TOKENS = 8


@dataclass(frozen=True)
class NameMatch:
    """The answer for one pair: decision, score in [0, 1], deciding rule, explanation."""

    same: bool
    score: float
    rule: str
    explanation: str

    def as_dict(self) -> dict[str, object]:
        return {
            "same": self.same,
            "score": round(self.score, 4),
            "rule": self.rule,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class _Prepared:
    name: str
    kind: str
    toks: tuple[str, ...]
    phon: tuple[str, ...]
    phon_i: tuple[str, ...]
    canon: tuple[str, ...]
    skel: tuple[str, ...]
    arabic: bool
    groups: frozenset[str]

    @property
    def normalised(self) -> str:
        return " ".join(self.toks)


def _kind(kind: str | None) -> str:
    if kind is None:
        return "other"
    if kind not in KINDS:
        raise InvalidInputError(f"unknown name kind {kind!r} (expected one of {', '.join(KINDS)})")
    return kind


@lru_cache(maxsize=65536)
def _prepare(name: str, kind: str | None) -> _Prepared:
    k = _kind(kind)
    toks, arabic = tokens(name, k)
    toks = toks[:_MAX_TOKENS]
    phon = tuple(phonetic(t) for t in toks)
    given = load_aliases().given_names if k == "person" else {}
    return _Prepared(
        name=name,
        kind=k,
        toks=tuple(toks),
        phon=phon,
        phon_i=tuple(phonetic(t, e="i") for t in toks),
        canon=tuple(given.get(x, x) for x in phon),
        skel=tuple(skeleton(p) for p in phon),
        arabic=arabic,
        groups=load_aliases().lookup(name, kind, key=" ".join(phon) if kind else None),
    )


def normalise(name: str, kind: str | None = None) -> str:
    """Case, diacritics, script, hyphens and particles folded: ``Iyad Ag-Ghaly`` -> ``iyad ghaly``.

    Arabic script is romanised first (``transliterate_ar``). Idempotent.
    """
    return _prepare(name, kind).normalised


def blocking_keys(name: str, kind: str | None = None) -> set[str]:
    """Keys under which candidates for ``name`` are indexed and looked up.

    Pairs of token skeletons (one key per single-token name), the skeleton of the
    joined name, alias groups and, for organizations, the acronym.
    """
    p = _prepare(name, kind)
    keys = {f"a|{g}" for g in p.groups}
    if not p.toks:
        return keys
    sk = sorted({coarse(x) for x in p.canon})
    if len(p.toks) == 1:
        keys.add(f"1|{p.kind}|{sk[0]}")
    else:
        keys.update(f"2|{p.kind}|{a}|{b}" for a, b in combinations(sk, 2))
        if len(sk) == 1:
            keys.add(f"2|{p.kind}|{sk[0]}|{sk[0]}")
    keys.add(f"j|{p.kind}|{coarse(''.join(p.phon))}")
    if p.kind in ("organization", "other"):
        acr = _acronym_of(p)
        if acr:
            keys.add(f"c|{acr}")
    return keys


def _acronym_of(p: _Prepared) -> str:
    if len(p.toks) == 1 and p.toks[0].isalpha() and 2 <= len(p.toks[0]) <= 7 and not p.arabic:
        return p.toks[0]
    if len(p.toks) >= 2:
        return acronym(list(p.toks))
    return ""


def _token_sim(a: _Prepared, i: int, b: _Prepared, j: int) -> tuple[float, str]:
    if a.canon[i] == b.canon[j] and (a.canon[i] != a.phon[i] or b.canon[j] != b.phon[j]):
        return 1.0, "given-name variants"
    if a.arabic and b.arabic:
        # Arabic script spells every consonant and long vowel: a letter more or less is
        # another name (محمد / محمود, حسن / حسين), so the spelling score is squared.
        sim = (ratio(_fold_ar(a.toks[i]), _fold_ar(b.toks[j])) / 100) ** 2
        return sim, "arabic spelling"
    spelling = ratio(a.toks[i], b.toks[j]) / 100
    best, how = spelling, "spelling"
    phon = max(ratio(a.phon[i], b.phon[j]), ratio(a.phon_i[i], b.phon_i[j])) / 100
    if phon > best:
        best, how = phon, "phonetic"
    if a.kind == "person" and best < 1.0:
        fa, fb = a.skel[i].lstrip("h")[:1], b.skel[j].lstrip("h")[:1]
        if fa and fb and fa != fb:
            # Okacha / Boukacha: a different leading consonant rarely is a spelling variant.
            best, how = best * 0.9, how + ", leading consonant differs"
    if a.arabic != b.arabic:
        sa, sb = a.skel[i], b.skel[j]
        shortest = min(len(sa), len(sb))
        weight = 0.97 if shortest >= 3 else 0.93 if shortest == 2 else 0.88
        sk = weight * ratio(sa, sb) / 100 if shortest else 0.0
        if sk > best:
            best, how = sk, "skeleton"
    return best, how


def _fold_ar(romanised: str) -> str:
    """Hamza seats and taa marbuta are spelling, not identity: أ/إ/ا, ة/ه, ى/ي."""
    s = romanised
    if s.startswith("i"):
        s = "a" + s[1:]
    if s.endswith("h"):
        s = s[:-1] + "a"
    return s


def _align(a: _Prepared, b: _Prepared) -> tuple[float, list[tuple[int, int, float, str]]]:
    cells = []
    for i in range(len(a.toks)):
        for j in range(len(b.toks)):
            sim, how = _token_sim(a, i, b, j)
            cells.append((sim, i, j, how))
    cells.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: list[tuple[int, int, float, str]] = []
    for sim, i, j, how in cells:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j, sim, how))
    short, long_ = sorted((len(a.toks), len(b.toks)))
    score = sum(p[2] for p in pairs) / (short + 0.5 * (long_ - short))
    return score, pairs


def _joined(a: _Prepared, b: _Prepared) -> float:
    ja, jb = "".join(a.phon), "".join(b.phon)
    best = ratio(ja, jb) / 100
    if a.arabic != b.arabic:
        best = max(best, 0.95 * ratio(skeleton(ja), skeleton(jb)) / 100)
    return best


def match_names(a: str, b: str, kind: str | None = None, *, aliases: bool = True) -> NameMatch:
    """Decide whether ``a`` and ``b`` name one entity of ``kind`` (None: any kind).

    ``aliases=False`` leaves the alias tables out (to measure the fuzzy rules alone).
    """
    pa, pb = _prepare(a, kind), _prepare(b, kind)
    if not aliases:
        pa = replace(pa, groups=frozenset(), canon=pa.phon)
        pb = replace(pb, groups=frozenset(), canon=pb.phon)
    k = pa.kind
    threshold = THRESHOLDS[k]
    if not pa.toks or not pb.toks:
        return NameMatch(False, 0.0, "empty", "one of the names has no letters left")
    if pa.normalised == pb.normalised:
        return NameMatch(True, 1.0, "exact", f"both normalise to {pa.normalised!r}")
    table = load_aliases()
    ca, cb = table.curated(pa.groups), table.curated(pb.groups)
    # Our curated table overrides the gazetteer (twin towns across a border).
    shared = ca & cb if ca and cb else pa.groups & pb.groups
    if shared:
        group = load_aliases().groups[min(shared)]
        return NameMatch(
            True,
            1.0,
            "alias",
            f"both are names of {group.canonical!r} in the alias table"
            f" ({group.id}, {group.source})",
        )
    acr = _acronym_rule(pa, pb)
    if acr is not None:
        return acr
    score, pairs = _align(pa, pb)
    parts = [f"{pa.toks[i]}~{pb.toks[j]} {sim:.2f} ({how})" for i, j, sim, how in sorted(pairs)]
    detail = "tokens " + ", ".join(parts)
    rule = "tokens"
    joined = _joined(pa, pb)
    if len(pa.toks) != len(pb.toks) and joined > score:
        score, rule = joined, "joined"
        detail = f"joined {''.join(pa.phon)!r}~{''.join(pb.phon)!r} {joined:.2f}"
    if pa.groups and pb.groups:
        ga, gb = sorted(ca or pa.groups)[0], sorted(cb or pb.groups)[0]
        return NameMatch(
            False,
            min(score, threshold - 0.01),
            "alias-distinct",
            f"the names belong to different alias groups ({ga} vs {gb}); {detail}",
        )
    floor = TOKEN_FLOOR[k]
    if rule == "tokens" and min(len(pa.toks), len(pb.toks)) >= 2:
        weakest = min(pairs, key=lambda p: p[2])
        if weakest[2] < floor:
            return NameMatch(
                False,
                min(score, threshold - 0.01),
                "token-floor",
                f"{pa.toks[weakest[0]]!r} vs {pb.toks[weakest[1]]!r} scores {weakest[2]:.2f}"
                f" < {k} token floor {floor:.2f}; {detail}",
            )
    same = score >= threshold
    verdict = ">=" if same else "<"
    return NameMatch(
        same, score, rule, f"{detail}; score {score:.2f} {verdict} {k} threshold {threshold:.2f}"
    )


def _acronym_rule(pa: _Prepared, pb: _Prepared) -> NameMatch | None:
    if pa.kind not in ("organization", "other"):
        return None
    for short, long_ in ((pa, pb), (pb, pa)):
        if len(short.toks) == 1 and len(long_.toks) >= 2:
            acr = acronym(list(long_.toks))
            if _acronym_of(short) and short.toks[0] == acr:
                return NameMatch(
                    True,
                    0.95,
                    "acronym",
                    f"{short.toks[0].upper()!r} is the initials of {' '.join(long_.toks)!r}",
                )
    return None
