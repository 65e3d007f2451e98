"""Token-level similarity of two prepared names: spelling, phonetics, consonant skeleton.

``Prepared`` holds one name's tokens in every form the rules compare; ``align`` pairs
the tokens of two names one to one, best first, and scores the whole (unmatched tokens
weigh half); ``joined`` compares the names without spaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.fuzz import ratio

from liaison.correlate.aliases import load_aliases
from liaison.correlate.text import phonetic, skeleton

__all__ = ["Pair", "Prepared", "align", "digits", "joined", "prepare_tokens", "token_sim"]

#: One aligned pair: (token index in a, token index in b, similarity, how it was scored).
Pair = tuple[int, int, float, str]


@dataclass(frozen=True)
class Prepared:
    """One name, tokenised: spelling, phonetic forms, canonical given names, skeletons."""

    name: str
    kind: str
    toks: tuple[str, ...]
    phon: tuple[str, ...]
    phon_i: tuple[str, ...]
    canon: tuple[str, ...]
    skel: tuple[str, ...]
    arabic: bool
    groups: frozenset[str]
    #: person names: the kinship particle classes in order, and the segments they cut
    links: tuple[str, ...] = ()
    segments: tuple[tuple[str, ...], ...] = ()

    @property
    def normalised(self) -> str:
        return " ".join(self.toks)


@lru_cache(maxsize=8192)
def prepare_tokens(toks: tuple[str, ...], kind: str, arabic: bool, given: bool = True) -> Prepared:
    """A ``Prepared`` for bare tokens (no alias groups): a segment of a person name.

    ``given=False`` leaves the given-name variant table out.
    """
    phon = tuple(phonetic(t) for t in toks)
    table = load_aliases().given_names if given and kind == "person" else {}
    return Prepared(
        name=" ".join(toks),
        kind=kind,
        toks=toks,
        phon=phon,
        phon_i=tuple(phonetic(t, e="i") for t in toks),
        canon=tuple(table.get(x, x) for x in phon),
        skel=tuple(skeleton(p) for p in phon),
        arabic=arabic,
        groups=frozenset(),
    )


def _fold_ar(romanised: str) -> str:
    """Hamza seats and taa marbuta are spelling, not identity: أ/إ/ا, ة/ه, ى/ي."""
    s = romanised
    if s.startswith("i"):
        s = "a" + s[1:]
    if s.endswith("h"):
        s = s[:-1] + "a"
    return s


@lru_cache(maxsize=16384)
def digits(token: str) -> str:
    """The digits of a token. Cached: every pair of tokens of two names asks, and a
    batch of names that share a word compares thousands of pairs."""
    return "".join(ch for ch in token if ch.isdigit())


#: ``token_sim`` answers, by what decides them: each token and its canonical form (its
#: phonetic and skeleton forms follow from the token), the scripts and the kind.
_SIMS: dict[tuple[str, str, str, str, bool, bool, str], tuple[float, str]] = {}
#: ``_SIMS`` starts afresh when it holds this many.
_SIMS_MAX = 1 << 15  # about 10 MB at most ...
#: ... as only pairs of tokens this short (together) are remembered.
_SIMS_LEN = 64


def token_sim(a: Prepared, i: int, b: Prepared, j: int) -> tuple[float, str]:
    """Similarity in [0, 1] of token ``i`` of ``a`` and token ``j`` of ``b``, and how.

    Numbers are identifiers, not spellings: tokens whose digits differ score 0
    ("Réseau 17" is not "Réseau 170", "Katiba 2755" not "Katiba 275").

    Remembered (bounded): names share their words, and a batch of similar names
    compares the same pairs of words thousands of times.
    """
    key = (a.toks[i], a.canon[i], b.toks[j], b.canon[j], a.arabic, b.arabic, a.kind)
    found = _SIMS.get(key)
    if found is None:
        found = _token_sim(a, i, b, j)
        if len(key[0]) + len(key[2]) <= _SIMS_LEN:  # names come from the sender
            if len(_SIMS) >= _SIMS_MAX:
                _SIMS.clear()
            _SIMS[key] = found
    return found


def _token_sim(a: Prepared, i: int, b: Prepared, j: int) -> tuple[float, str]:
    """``token_sim``, computed."""
    ta, tb = a.toks[i], b.toks[j]
    if not (ta.isalpha() and tb.isalpha()) and digits(ta) != digits(tb):
        return 0.0, "numbers differ"
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


def align(a: Prepared, b: Prepared) -> tuple[float, list[Pair]]:
    """Tokens paired one to one, best first; the score weighs unmatched tokens half."""
    cells = []
    for i in range(len(a.toks)):
        for j in range(len(b.toks)):
            sim, how = token_sim(a, i, b, j)
            cells.append((sim, i, j, how))
    cells.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: list[Pair] = []
    for sim, i, j, how in cells:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j, sim, how))
    short, long_ = sorted((len(a.toks), len(b.toks)))
    if not long_:
        return 1.0, pairs
    score = sum(p[2] for p in pairs) / (short + 0.5 * (long_ - short))
    return score, pairs


def joined(a: Prepared, b: Prepared) -> float:
    """The names compared without spaces (Noureddine = Nour ad-Din)."""
    ja, jb = "".join(a.phon), "".join(b.phon)
    best = ratio(ja, jb) / 100
    if a.arabic != b.arabic:
        best = max(best, 0.95 * ratio(skeleton(ja), skeleton(jb)) / 100)
    return best
