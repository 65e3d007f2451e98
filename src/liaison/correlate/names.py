"""Do two names -- in any script or spelling -- refer to the same entity?

``match_names`` tries its rules in order and says which one decided:

1. ``exact``: the normalised forms are equal (for persons, part by part: the same given
   name, the same kinship chain, the same family name);
2. ``alias``: both names belong to one alias group (``aliases``);
3. ``alias-distinct``: both names are known, but to different groups -- not the same
   (this is where the curated list of distinct persons with similar names acts);
4. ``acronym`` (organizations): one name is the initials of the other;
5. ``kinship`` (persons): when either name carries a kinship particle (ould, ag, ben,
   bin, ibn, bint; ولد، أغ، بن، ابن، بنت), the names are compared part by part: the
   particles must be the same, in the same order, and each part -- the given name,
   each ancestor's name, the family name -- must match its counterpart, in order and
   with as many words. "Mohamed Ould Sidi" is never "Sidi Ould Mohamed" (a father and
   his son), "Mohamed Ould Ahmed" never "Mohamed Ag Ahmed" nor "Mohamed Ahmed".
   "Ben Salah" written as one word ("Bensalah") is the one exception;
6. ``single-name`` (persons): two one-word names match only when equal, given-name
   variants (Oumar = Omar = عمر), or one consonant skeleton across scripts: Hama is
   not Hamma;
7. ``tokens``: tokens aligned one to one and scored with ``rapidfuzz`` on the spelling,
   the phonetic form, and -- when one side was written in Arabic script, which drops
   short vowels -- the consonant skeleton. Unmatched tokens weigh half. A pair of
   multi-token names fails if any aligned token falls under the token floor of its
   kind (``token-floor``: same given name, different family name);
8. ``joined``: the names compared without spaces (Noureddine = Nour ad-Din).

Every answer carries a ``similarity`` (the raw score of its rule) and a ``score``: the
similarity calibrated into the probability that the pair is the same entity
(``calibration``, fitted on the labelled set). ``same`` is ``score >= 0.5``, which is
``similarity >= THRESHOLDS[kind]``. The thresholds were set on
``tests/fixtures/correlate/name_pairs.csv`` (``bench/bench_correlate.py`` prints the
figures).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from itertools import combinations, pairwise

from liaison.correlate.aliases import alias_key, load_aliases
from liaison.correlate.calibration import calibrated
from liaison.correlate.similarity import Pair, Prepared, align, digits, joined, prepare_tokens
from liaison.correlate.text import (
    KINDS,
    acronym,
    coarse,
    has_kinship,
    kinship_links,
    person_parts,
    phonetic,
    skeleton,
    tokens,
)
from liaison.errors import InvalidInputError
from liaison.text import transliterate_ar

__all__ = [
    "THRESHOLDS",
    "TOKEN_FLOOR",
    "NameMatch",
    "blocking_keys",
    "cannot_match",
    "explained",
    "lookup_keys",
    "match_deferred",
    "match_names",
    "name_parts",
    "normalise",
    "transliterate_ar",
]

#: A pair is the same entity when its similarity reaches the threshold of its kind.
THRESHOLDS: dict[str, float] = {"person": 0.84, "organization": 0.86, "place": 0.9, "other": 0.87}
#: Every aligned token of two multi-token names must reach the floor of their kind
#: (same given name, different family name; Forces armées maliennes / nigériennes).
TOKEN_FLOOR: dict[str, float] = {"person": 0.85, "organization": 0.75, "place": 0.8, "other": 0.8}
_MAX_TOKENS = 8
#: Names whose preparation and keys are remembered (least recently used first out).
#: Each costs about 2 KB over the four caches, so this bounds them near 16 MB: a
#: correlator (``serve``'s indexing child, a reader catching up) stays flat as a store
#: fills with distinct names. A batch asks about its few hundred names within ms.
NAMES_CACHED = 8192


@dataclass(frozen=True)
class NameMatch:
    """The answer for one pair: decision, calibrated score, deciding rule, explanation.

    ``score`` is the estimated probability that both names designate one entity;
    ``similarity`` is the raw score the rule computed (``None`` for exact and alias).
    """

    same: bool
    score: float
    rule: str
    explanation: str
    similarity: float | None = None

    def as_dict(self) -> dict[str, object]:
        """The answer as JSON-ready values."""
        out: dict[str, object] = {
            "same": self.same,
            "score": round(self.score, 4),
            "rule": self.rule,
            "explanation": self.explanation,
        }
        if self.similarity is not None:
            out["similarity"] = round(self.similarity, 4)
        return out


def _kind(kind: str | None) -> str:
    if kind is None:
        return "other"
    if kind not in KINDS:
        raise InvalidInputError(f"unknown name kind {kind!r} (expected one of {', '.join(KINDS)})")
    return kind


@lru_cache(maxsize=NAMES_CACHED)
def _prepare(name: str, kind: str | None) -> Prepared:
    k = _kind(kind)
    toks, arabic = tokens(name, k)
    toks = toks[:_MAX_TOKENS]
    phon = tuple(phonetic(t) for t in toks)
    links: tuple[str, ...] = ()
    segments: tuple[tuple[str, ...], ...] = ()
    table = load_aliases()
    given = table.given_names if k == "person" else {}
    key = " ".join(phon)  # the alias key when there is no kinship particle
    if k == "person" and has_kinship(name):
        segments, links = person_parts(name)
        key = alias_key(name, k)
    elif k == "person":
        segments = (tuple(toks),)
    return Prepared(
        name=name,
        kind=k,
        toks=tuple(toks),
        phon=phon,
        phon_i=tuple(phonetic(t, e="i") for t in toks),
        canon=tuple(given.get(x, x) for x in phon),
        skel=tuple(skeleton(p) for p in phon),
        arabic=arabic,
        groups=table.lookup(name, kind, key=key if kind else None),
        links=links,
        segments=segments,
    )


def cannot_match(name: str, other: str, kind: str | None) -> bool:
    """True when ``match_names(name, other, kind).same`` is certainly False; cheap.

    Person names whose kinship particles differ (and that share no alias group: the
    query belongs to none) are refused by the ``kinship`` rule whatever their words;
    the index drops such candidates before preparing them in full. Other names of as
    many words (two or more, no alias group in common) whose numbers differ are
    refused by the token floor (see ``_numbers_differ``).
    """
    if kind != "person":
        return _numbers_differ(name, other, kind)
    query = _prepare(name, kind)
    if query.groups:
        return False
    links = kinship_links(other)
    if links == query.links:
        return False
    return not ((links, query.links) in _GLUED or (query.links, links) in _GLUED)


def _numbers_differ(name: str, other: str, kind: str | None) -> bool:
    """ "Brigade 12 Kidal" / "Brigade 13 Kidal": certainly not one entity, decided
    without scoring every pair of words (names sharing words but for a number are
    the commonest candidates, and scoring them was most of a large store's matching).

    Numbers are identifiers: a token holding digits scores 0 against any token whose
    digits differ (``token_sim``). Two names of as many words (two or more) are
    aligned word for word, each word of one with a word of the other; when one holds a
    number the other does not, that word's pair scores 0, below every kind's token
    floor, so the ``tokens`` rule refuses -- and with as many words on both sides no
    other rule applies: ``joined`` needs lengths that differ, ``acronym`` a one-word
    side, ``exact`` the same words, ``alias`` a group in common.
    """
    words, numbers, groups = _numbered(name, kind)
    if words < 2:
        return False
    other_words, other_numbers, other_groups = _numbered(other, kind)
    return words == other_words and numbers != other_numbers and not groups & other_groups


@lru_cache(maxsize=NAMES_CACHED)
def _numbered(name: str, kind: str | None) -> tuple[int, frozenset[str], frozenset[str]]:
    """A name's word count, the numbers its words hold, its alias groups."""
    p = _prepare(name, kind)
    return len(p.toks), frozenset(d for d in map(digits, p.toks) if d), p.groups


_GLUED = {(("ben",), ())}  # "Ben Salah" may be "Bensalah": left to the full rule


def _bare(p: Prepared) -> Prepared:
    """``p`` without the alias tables (no groups, no given-name variants)."""
    return replace(p, groups=frozenset(), canon=p.phon)


def normalise(name: str, kind: str | None = None) -> str:
    """Case, diacritics, script, hyphens and particles folded: ``Iyad Ag-Ghaly`` -> ``iyad ghaly``.

    Arabic script is romanised first (``transliterate_ar``). Idempotent. Kinship
    particles are dropped here (blocking and display); ``name_parts`` keeps them.
    """
    return _prepare(name, kind).normalised


def name_parts(name: str) -> dict[str, object]:
    """The structured reading of a person name, for explanations and the docs.

    >>> name_parts("Sidi Mohamed Ould Cheikh Abdallahi")
    {'given': ['sidimohamed'], 'chain': [['ould', ['cheikhabdlahi']]]}
    """
    segments, links = person_parts(name)
    return {
        "given": list(segments[0]),
        "chain": [[link, list(seg)] for link, seg in zip(links, segments[1:], strict=True)],
    }


def blocking_keys(name: str, kind: str | None = None) -> set[str]:
    """Keys under which candidates for ``name`` are indexed and looked up.

    Pairs of token skeletons (one key per single-token name), the skeleton of the
    joined name, alias groups and, for organizations, the acronym. Kinship particles
    are left out, so a father and his son meet here and part in ``match_names``.
    """
    return set(_blocking_keys(name, kind))


@lru_cache(maxsize=NAMES_CACHED)
def _blocking_keys(name: str, kind: str | None) -> frozenset[str]:
    return frozenset(_keys(name, kind))


def _keys(name: str, kind: str | None) -> set[str]:
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
    if p.links == ("ben",) and len(p.segments[1]) == 1 and p.segments[0]:
        # "Ben Salah" is also written "Bensalah": the keys of the joined spelling too
        glued = [coarse(phonetic(t)) for t in (*p.segments[0], "ben" + p.segments[1][0])]
        keys.update(f"2|{p.kind}|{a}|{b}" for a, b in combinations(sorted(set(glued)), 2))
    if p.kind in ("organization", "other"):
        acr = _acronym_of(p)
        if acr:
            keys.add(f"c|{acr}")
    return keys


def lookup_keys(name: str, kind: str | None = None) -> set[str]:
    """Keys under which the index looks for candidates for ``name`` (its ``blocking_keys``
    are those it is stored under).

    The same keys, but for the initials of a name of several words: two such names never
    match by their initials (the ``acronym`` rule needs a one-word side), and initials
    are shared by very many names ("Katiba Macina", "Katiba Menaka", …; a number adds no
    initial: every "Réseau N" has the initial ``r``). So a name of several words looks
    its initials up among one-word names only -- under the key a one-word name is stored
    with (``1|``) -- and only when they could be an acronym (2 to 7 letters). A one-word
    name still looks up the names of several words whose initials it spells (``c|``).
    """
    return set(_lookup_keys(name, kind))


@lru_cache(maxsize=NAMES_CACHED // 2)  # a batch asks about its names twice, within ms
def _lookup_keys(name: str, kind: str | None) -> frozenset[str]:
    """``lookup_keys``, remembered: the correlator asks when it reads the store for a
    batch and again when it looks the name up."""
    keys = blocking_keys(name, kind)
    p = _prepare(name, kind)
    if len(p.toks) >= 2 and p.kind in ("organization", "other"):
        acr = _acronym_of(p)
        keys.discard(f"c|{acr}")
        if 2 <= len(acr) <= 7:
            keys.add(f"1|{p.kind}|{coarse(phonetic(acr))}")
    return frozenset(keys)


def _acronym_of(p: Prepared) -> str:
    if len(p.toks) == 1 and p.toks[0].isalpha() and 2 <= len(p.toks[0]) <= 7 and not p.arabic:
        return p.toks[0]
    if len(p.toks) >= 2:
        return acronym(list(p.toks))
    return ""


Why = Callable[[], str]


class _Deferred:
    """Where ``_verdict`` leaves the explanation it did not build (``match_deferred``)."""

    __slots__ = ("why",)

    def __init__(self) -> None:
        self.why: Why | None = None


#: Build the explanation (True), leave it empty (False), or leave its builder in a
#: ``_Deferred`` for later.
_Explain = bool | _Deferred


def _verdict(
    same: bool, similarity: float, rule: str, kind: str, why: Why, explain: _Explain
) -> NameMatch:
    """A decision with its calibrated score (a refusal never scores 0.5 or more).

    The explanation is built only when ``explain`` (the index scores many candidates it
    then drops: their explanations would be wasted).
    """
    score = calibrated(kind, rule, similarity, THRESHOLDS[kind], same)
    score = max(score, 0.5) if same else min(score, 0.4999)
    if isinstance(explain, _Deferred):
        explain.why = why
        return NameMatch(same, score, rule, "", similarity)
    return NameMatch(same, score, rule, why() if explain else "", similarity)


def match_names(
    a: str, b: str, kind: str | None = None, *, aliases: bool = True, explain: bool = True
) -> NameMatch:
    """Decide whether ``a`` and ``b`` name one entity of ``kind`` (None: any kind).

    ``aliases=False`` leaves the alias tables out (to measure the fuzzy rules alone);
    ``explain=False`` leaves the explanation empty (same decision and score, faster).
    """
    return _match(a, b, kind, aliases, explain)


def match_deferred(a: str, b: str, kind: str | None = None) -> tuple[NameMatch, Why | None]:
    """``match_names(a, b, kind, explain=False)``, and what builds the explanation it
    left empty (None: it has one). ``explained(*match_deferred(a, b, kind))`` is
    ``match_names(a, b, kind)``, each pair decided once (the index explains only the
    few candidates it keeps)."""
    later = _Deferred()
    m = _match(a, b, kind, True, later)
    return m, later.why


def explained(m: NameMatch, why: Why | None) -> NameMatch:
    """``m`` with the explanation ``match_deferred`` left to build."""
    if why is None:
        return m
    return NameMatch(m.same, m.score, m.rule, why(), m.similarity)


def _match(a: str, b: str, kind: str | None, aliases: bool, explain: _Explain) -> NameMatch:
    pa, pb = _prepare(a, kind), _prepare(b, kind)
    if not aliases:
        pa, pb = _bare(pa), _bare(pb)
    k = pa.kind
    threshold = THRESHOLDS[k]
    if not pa.toks or not pb.toks:
        return NameMatch(False, 0.0, "empty", "one of the names has no letters left")
    same_parts = pa.links == pb.links and pa.segments == pb.segments
    if pa.normalised == pb.normalised and same_parts:
        return NameMatch(True, 1.0, "exact", f"both normalise to {pa.normalised!r}")
    table = load_aliases()
    ca, cb = table.curated(pa.groups), table.curated(pb.groups)
    # Our curated table overrides the gazetteer (twin towns across a border).
    shared = ca & cb if ca and cb else pa.groups & pb.groups
    if shared:
        group = table.groups[min(shared)]
        return NameMatch(
            True,
            1.0,
            "alias",
            f"both are names of {group.canonical!r} in the alias table"
            f" ({group.id}, {group.source})",
        )
    acr = _acronym_rule(pa, pb, explain)
    if acr is not None:
        return acr
    if k == "person" and (pa.links or pb.links) and not (pa.groups and pb.groups):
        return _kinship(pa, pb, threshold, aliases, explain)
    score, pairs = align(pa, pb)
    rule = "tokens"
    both = joined(pa, pb)
    if len(pa.toks) != len(pb.toks) and both > score:
        score, rule = both, "joined"

    def detail() -> str:
        if rule == "joined":
            return f"joined {''.join(pa.phon)!r}~{''.join(pb.phon)!r} {both:.2f}"
        return _detail(pa, pb, pairs)

    if pa.groups and pb.groups:
        ga, gb = sorted(ca or pa.groups)[0], sorted(cb or pb.groups)[0]
        known = table.groups[ga], table.groups[gb]
        return _verdict(
            False, score, "alias-distinct", k,
            lambda: f"the names belong to different alias groups: {known[0].canonical!r} ({ga})"
            f" vs {known[1].canonical!r} ({gb}); {detail()}",
            explain,
        )  # fmt: skip
    if k == "person" and len(pa.toks) == 1 and len(pb.toks) == 1:
        return _single_name(pa, pb, score, detail, aliases, explain)
    floor = TOKEN_FLOOR[k]
    if rule == "tokens" and min(len(pa.toks), len(pb.toks)) >= 2:
        weakest = min(pairs, key=lambda p: p[2])
        if weakest[2] < floor:
            return _verdict(
                False, score, "token-floor", k,
                lambda: f"{pa.toks[weakest[0]]!r} vs {pb.toks[weakest[1]]!r} scores"
                f" {weakest[2]:.2f} < {k} token floor {floor:.2f}; {detail()}",
                explain,
            )  # fmt: skip
    same = score >= threshold
    return _verdict(
        same, score, rule, k,
        lambda: f"{detail()}; similarity {score:.2f} {'>=' if same else '<'} {k} threshold"
        f" {threshold:.2f}",
        explain,
    )  # fmt: skip


def _detail(pa: Prepared, pb: Prepared, pairs: list[Pair]) -> str:
    parts = [f"{pa.toks[i]}~{pb.toks[j]} {sim:.2f} ({how})" for i, j, sim, how in sorted(pairs)]
    return "tokens " + ", ".join(parts)


def _chain(p: Prepared) -> str:
    """A readable kinship chain: ``mohamed | ould sidi``."""
    out = [" ".join(p.segments[0]) or "-"]
    out += [
        f"{link} {' '.join(seg) or '-'}" for link, seg in zip(p.links, p.segments[1:], strict=True)
    ]
    return " | ".join(out)


def _kinship(
    pa: Prepared, pb: Prepared, threshold: float, aliases: bool, explain: _Explain
) -> NameMatch:
    """Part-by-part comparison of person names of which one has a kinship particle."""
    floor = TOKEN_FLOOR["person"]
    for x, y in ((pa, pb), (pb, pa)):
        glued = _glued_ben(x, y, threshold, floor, aliases, explain)
        if glued is not None:
            return glued

    def reading() -> str:
        return f"{_chain(pa)!r} vs {_chain(pb)!r}"

    if pa.links != pb.links:
        what = (
            "one name has no kinship particle"
            if not pa.links or not pb.links
            else f"kinship particles differ ({' '.join(pa.links)} vs {' '.join(pb.links)})"
        )
        flat = align(pa, pb)[0]
        return _verdict(False, flat, "kinship", "person", lambda: f"{what}: {reading()}", explain)
    total, count = 0.0, 0
    parts: list[tuple[str, Prepared, Prepared, list[Pair]]] = []

    def details() -> str:
        return "; ".join(
            f"{role}: {_detail(xa, xb, pairs).removeprefix('tokens ')}"
            for role, xa, xb, pairs in parts
        )

    for n, (sa, sb) in enumerate(zip(pa.segments, pb.segments, strict=True)):
        role = "given name" if n == 0 else f"{pa.links[n - 1]} part {n}"
        if len(sa) != len(sb):
            counts = f"the {role} has {len(sa)} vs {len(sb)} words"

            def why_counts(counts: str = counts) -> str:
                return f"{counts}: {reading()}"

            return _verdict(
                False, align(pa, pb)[0], "kinship", "person", why_counts, explain
            )  # fmt: skip
        if not sa:
            continue
        xa = prepare_tokens(sa, "person", pa.arabic, aliases)
        xb = prepare_tokens(sb, "person", pb.arabic, aliases)
        score, pairs = align(xa, xb)
        ordered = sorted(pairs)
        crossed = any(p[1] > q[1] for p, q in pairwise(ordered))
        weakest = min(p[2] for p in pairs)
        parts.append((role, xa, xb, pairs))
        if crossed or weakest < floor or score < threshold:
            why = "words in another order" if crossed else f"{weakest:.2f} < floor {floor:.2f}"
            differs = f"the {role} differs ({why})"

            def why_differs(differs: str = differs) -> str:
                return f"{differs}: {reading()}; {details()}"

            return _verdict(
                False, align(pa, pb)[0], "kinship", "person", why_differs, explain
            )  # fmt: skip
        total += sum(p[2] for p in pairs)
        count += len(pairs)
    score = total / count if count else 1.0
    same = score >= threshold
    return _verdict(
        same, score, "kinship", "person",
        lambda: f"same kinship chain ({' '.join(pa.links)}), part by part: {details()};"
        f" similarity {score:.2f} {'>=' if same else '<'} person threshold {threshold:.2f}",
        explain,
    )  # fmt: skip


def _glued_ben(
    x: Prepared, y: Prepared, threshold: float, floor: float, aliases: bool, explain: _Explain
) -> NameMatch | None:
    """ "Abdelkader Ben Salah" = "Abdelkader Bensalah": a Maghrebi family name in one word."""
    if x.links != ("ben",) or y.links or len(x.segments[1]) != 1 or not x.segments[0]:
        return None
    toks = (*x.segments[0], "ben" + x.segments[1][0])
    if len(toks) != len(y.toks):
        return None
    gx = prepare_tokens(toks, "person", x.arabic, aliases)
    gy = prepare_tokens(y.toks, "person", y.arabic, aliases)
    score, pairs = align(gx, gy)
    if score < threshold or min(p[2] for p in pairs) < floor:
        return None
    return _verdict(
        True, score, "kinship", "person",
        lambda: f"'ben' written joined to the family name: {_detail(gx, gy, pairs)};"
        f" similarity {score:.2f} >= person threshold {threshold:.2f}",
        explain,
    )  # fmt: skip


def _single_name(
    pa: Prepared, pb: Prepared, score: float, detail: Why, aliases: bool, explain: _Explain
) -> NameMatch:
    """Two one-word person names: one spelling, one given name, or one skeleton."""
    given = load_aliases().given_names if aliases else {}
    if pa.canon == pb.canon and (pa.phon[0] in given or pb.phon[0] in given):
        return _verdict(
            True, 1.0, "single-name", "person",
            lambda: f"given-name variants; {detail()}", explain,
        )  # fmt: skip
    if pa.arabic != pb.arabic and pa.skel == pb.skel and len(pa.skel[0]) >= 2:
        return _verdict(
            True, score, "single-name", "person",
            lambda: f"one consonant skeleton {pa.skel[0]!r} across scripts; {detail()}",
            explain,
        )  # fmt: skip
    return _verdict(
        False, score, "single-name", "person",
        lambda: f"a one-word name matches only its own spelling or a known variant; {detail()}",
        explain,
    )  # fmt: skip


def _acronym_rule(pa: Prepared, pb: Prepared, explain: _Explain) -> NameMatch | None:
    if pa.kind not in ("organization", "other"):
        return None
    for short, long_ in ((pa, pb), (pb, pa)):
        if len(short.toks) == 1 and len(long_.toks) >= 2:
            acr = acronym(list(long_.toks))
            if _acronym_of(short) and short.toks[0] == acr:
                said = f"{short.toks[0].upper()!r} is the initials of {' '.join(long_.toks)!r}"
                return _verdict(True, 1.0, "acronym", pa.kind, partial(str, said), explain)
    return None
