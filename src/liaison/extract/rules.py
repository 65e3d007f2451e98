"""Domain rules for persons: titles and ranks, and names with Sahel particles.

Statistical NER misses a name after a long title ("le chef d'état-major des armées
mauritaniennes El-Mokhtar Bolle Chaabane") and there is no offline Arabic NER model, so
persons are also found here: a title or rank, an optional complement made of known words
(``de la Défense``, ``الجيش المالي``), then the name. Names carrying a particle
(Ould, Ag, Ben, Abou; ولد، أغ، بن، أبو) are persons even without a title.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from liaison.extract.arabic import (
    KINSHIP_ARABIC,
    STOP_ARABIC,
    arabic_forms,
    continues_name,
    has_article,
    may_precede_name,
)
from liaison.extract.lexicon import LexiconMatch, demonyms, given_names
from liaison.extract.titles import introducer as _introducer
from liaison.extract.titles import title_end
from liaison.text import Token, normalize

__all__ = ["PersonMatch", "find_persons", "latin_stopwords"]


def _words(block: str) -> frozenset[str]:
    """The normal forms of the whitespace-separated words of ``block``."""
    return frozenset(normalize(w) for w in block.split())


_COMPLEMENT = _words(
    """de du des la le les l d of the for and et a au aux en
    armee armees army forces force armed air terre land nationale national nationales state
    etat major general generale gendarmerie garde guard police defense defence securite
    security interieur interior affaires etrangeres foreign affairs justice communication
    gouvernement government transition republique republic junte junta conseil council
    adjoint adjointe deputy ministere ministry cooperation renseignement intelligence
    territoriale administration reconciliation decentralisation economie finances
    presidence presidential militaire military regional regionale operations zone secteur
    groupe group mouvement movement mission office staff porte parole spokesman
    الجيش جيش الجيوش الاركان اركان العامه العام القوات قوات المسلحه الوطني الوطنيه الشعبي
    الدفاع الداخليه الخارجيه الحكومه حكومه الانتقاليه المجلس مجلس العسكري الامن الشؤون
    وزاره وزير الوزير باسم الرسمي المركزي العليا الاعلى للجيش للقوات للجيوش الاستخبارات
    الخاصه الانتقالي العمليات المنطقه البريه الجويه الحرس الدرك الشرطه المفوضيه
    اللجنه الهيئه البعثه الوفد الاتحاد الخاص الاممي"""
)

_STOP_ARABIC = (
    STOP_ARABIC
    | KINSHIP_ARABIC
    | _words(
        """في من الى عن مع الذي التي الذين خلال بعد قبل يوم اليوم امس حيث كما وقد قد لقد
    هذا هذه ذلك تلك عند حول ضد بين منذ عبر لدى امام اثر وفق بحسب حسب ثم او لكن كان كانت
    يكون ان انه انها قال وقال اعلن واعلن اكد واكد صرح افاد التقى استقبل وصل زار بحث اشرف
    اجتمع واجتمع دعا ندد نفى اوضح اضاف واضاف يقود تقود قاد يتزعم ويتزعم مقتل قتل اعتقال
    لمناقشه بشان حيال اجل الى ايضا بينما فيما وهو وهي هو هي التابعه المنتمي التابع
    جماعه تنظيم حركه ولايه كتيبه مدينه منطقه بلده قريه بالقرب قرب شمال جنوب شرق غرب
    ووزير والوزير ورئيس والرئيس ونظيره ونائب نائب الجماعه التنظيم الحركه المجموعه
    الكتيبه الولايه المدينه البلده القريه القاعده الموقع الهجوم العمليه مسلحين المسلحين
    عناصر مقاتلي مقاتلين فيه فيها به بها له لها عليه عليها نشر اصدر بث ظهر هدد يهدد
    يدعو شوهد افادت افاد مصادر مصدر سكان تسجيلا تسجيل بيان رساله اليوم الثلاثاء الاربعاء
    الخميس الجمعه السبت الاحد الاثنين"""
    )
)

_PARTICLES_LATIN = {"ould", "ag", "ben", "bin", "ibn", "abou", "abu", "el", "al", "ould-", "ag-"}
_STRONG_PARTICLES_LATIN = {"ould", "ag", "ben", "bin", "ibn", "abou", "abu"}
_PARTICLES_ARABIC = {"بن", "ولد", "اغ", "ابو", "ابن", "بنت", "ال"}
_STRONG_PARTICLES_ARABIC = {"بن", "ولد", "اغ", "ابو", "ابن", "بنت"}


@dataclass(frozen=True, slots=True)
class PersonMatch:
    """A person found by a rule: the name span and the title that introduced it."""

    start: int
    end: int
    title: str | None
    first: int
    last: int


@cache
def latin_stopwords() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS as EN
    from spacy.lang.fr.stop_words import STOP_WORDS as FR

    words = {normalize(w) for w in (*EN, *FR)}
    words |= {"selon", "according", "apres", "after", "lors", "during", "sources", "source"}
    words -= {"ben"}
    return frozenset(words)


def _gap(text: str, a: Token, b: Token) -> str:
    return text[a.end : b.start]


def _clean_gap(gap: str) -> bool:
    return gap.strip(" -'’\u00a0") == "" and "\n" not in gap


def find_persons(
    text: str, tokens: list[Token], taken: list[LexiconMatch], lang: str
) -> list[PersonMatch]:
    """Persons introduced by a title or carrying a particle."""
    in_lex = {}
    for m in taken:
        for k in range(m.first, m.last):
            in_lex[k] = m
    found: list[PersonMatch] = []
    used: set[int] = set()
    i = 0
    while i < len(tokens):
        end = title_end(tokens, i)
        if end > i:
            title: str | None = text[tokens[i].start : tokens[end - 1].end]
            if _introducer(tokens, i, end):
                title = None
            before = _name_before(text, tokens, i, end, in_lex, used)
            if before is not None:
                found.append(PersonMatch(tokens[before].start, tokens[i - 1].end, title, before, i))
                used.update(range(before, i))
                i = end
                continue
            match = _name_after(text, tokens, end, in_lex, lang == "ar" or tokens[i].arabic)
            if match is not None:
                first, last = match
                found.append(
                    PersonMatch(tokens[first].start, tokens[last - 1].end, title, first, last)
                )
                used.update(range(first, last))
                i = last
                continue
            i = end
            continue
        i += 1
    for first, last in _particle_names(text, tokens, in_lex, used):
        found.append(PersonMatch(tokens[first].start, tokens[last - 1].end, None, first, last))
    for first, last in _given_name_persons(text, tokens, in_lex, used):
        found.append(PersonMatch(tokens[first].start, tokens[last - 1].end, None, first, last))
    found = [
        PersonMatch(p.start + _arabic_cut(tokens[p.first]), p.end, p.title, p.first, p.last)
        for p in found
    ]
    return sorted(found, key=lambda p: p.start)


_LEADER_ARABIC = _words("قائد القائد زعيم الزعيم أمير الأمير القيادي مؤسس")


def _name_before(
    text: str,
    tokens: list[Token],
    i: int,
    end: int,
    in_lex: dict[int, LexiconMatch],
    used: set[int],
) -> int | None:
    """Arabic "NAME قائد GROUP": the name stands before a leader title."""
    if not tokens[i].arabic or tokens[i].key not in _LEADER_ARABIC or end not in in_lex:
        return None
    dem = demonyms()
    first = i
    while first > 0 and i - first < 3:
        t = tokens[first - 1]
        forms = {t.key, t.key[1:]} if t.key[:1] in "وبلف" else {t.key}
        if (
            not t.arabic
            or first - 1 in in_lex
            or first - 1 in used
            or forms & _STOP_ARABIC
            or forms & _COMPLEMENT
            or not may_precede_name(t.key, has_article(t.text))
            or t.key in dem
            or title_end(tokens, first - 1) > first - 1
            or not _clean_gap(_gap(text, t, tokens[first]))
        ):
            break
        first -= 1
    return first if i - first >= 2 else None


def _name_after(
    text: str, tokens: list[Token], i: int, in_lex: dict[int, LexiconMatch], arabic: bool
) -> tuple[int, int] | None:
    """Skip the title's complement, then read the name; (first, last) token indexes."""
    dem = demonyms()
    skipped = 0
    while i < len(tokens) and skipped < 9:
        if i > 0 and not _clean_gap(_gap(text, tokens[i - 1], tokens[i])):
            return None
        tok = tokens[i]
        if i in in_lex:
            i = in_lex[i].last
            skipped += 1
            continue
        nested = title_end(tokens, i)
        if nested > i:
            i = nested
            skipped += 1
            continue
        key = tok.key
        if arabic:
            stripped = key[1:] if key[:1] in "ول" and len(key) > 3 else key
            if key in _COMPLEMENT or stripped in _COMPLEMENT or key in dem:
                i += 1
                skipped += 1
                continue
            if key in _STOP_ARABIC or stripped in _STOP_ARABIC or tok.text.isdigit():
                return None
            break
        if key in _COMPLEMENT or key in dem:
            i += 1
            skipped += 1
            continue
        if not tok.capitalized:
            return None
        break
    if i >= len(tokens):
        return None
    found = _read_name(text, tokens, i, in_lex, arabic)
    if found is not None and skipped and found[1] - found[0] == 1:
        return None  # "governor of the Sahel region": one word after a complement is no name
    return found


def _read_name(
    text: str, tokens: list[Token], i: int, in_lex: dict[int, LexiconMatch], arabic: bool
) -> tuple[int, int] | None:
    stop_latin = latin_stopwords()
    dem = demonyms()
    first, j = i, i
    limit = 5 if arabic else 6
    while j < len(tokens) and j - first < limit:
        tok = tokens[j]
        if j > first and not _clean_gap(_gap(text, tokens[j - 1], tok)):
            break
        if j in in_lex or (j > first and title_end(tokens, j) > j):
            break
        if arabic:
            if j == first and not _arabic_opens_name(tok, dem, after_title=True):
                break
            if j == first:
                j = _read_arabic(text, tokens, first, in_lex, set())
                break
        else:
            if tok.key in _STRONG_PARTICLES_LATIN and j + 1 < len(tokens):
                j += 2
                continue
            if tok.key in _PARTICLES_LATIN:
                j += 1
                continue
            if not tok.capitalized or tok.key in stop_latin or tok.key in dem:
                break
            if tok.text.isupper() and len(tok.text) > 1:
                break
        j += 1
    while j > first and tokens[j - 1].key in (_PARTICLES_ARABIC if arabic else _PARTICLES_LATIN):
        j -= 1
    if j == first:
        return None
    if j - first == 1 and len(tokens[first].text) < 3:
        return None
    return first, j


def _arabic_opens_name(tok: Token, dem: dict[str, str], after_title: bool = False) -> bool:
    """Can this Arabic word be the first word of a name?

    After a title the article is allowed ("الفريق أول السعيد شنقريحة").
    """
    return (
        tok.arabic
        and not tok.text.isdigit()
        and tok.key not in dem
        and not arabic_forms(tok.key) & _COMPLEMENT
        and may_precede_name(tok.key, has_article(tok.text) and not after_title)
    )


def _read_arabic(
    text: str, tokens: list[Token], first: int, in_lex: dict[int, LexiconMatch], used: set[int]
) -> int:
    """Read an Arabic name on from its first word; the index after its last word.

    Particles (ولد، أغ، بن، أبو) chain ancestors' names; ``arabic.continues_name`` says
    when the name is over (a verb, a common noun, a word after the chain that is no
    nisba). A trailing particle is left out.
    """
    dem = demonyms()
    j = first + 1
    particle = tokens[first].key in _STRONG_PARTICLES_ARABIC
    prev, after, chained, words = tokens[first].key, particle, particle, int(not particle)
    while j < len(tokens) and j - first < 7:
        tok = tokens[j]
        if not _clean_gap(_gap(text, tokens[j - 1], tok)) or j in in_lex or j in used:
            break
        if not tok.arabic or tok.text.isdigit() or tok.key in dem:
            break
        if not after and title_end(tokens, j) > j:  # "ولد الشيخ": a name after a particle
            break
        if arabic_forms(tok.key) & _COMPLEMENT:
            break
        if tok.key in _STRONG_PARTICLES_ARABIC and not after:
            prev, after, chained = tok.key, True, True
            j += 1
            continue
        if not continues_name(
            tok.key,
            prev,
            article=has_article(tok.text),
            after_particle=after,
            chained=chained,
            words=words,
        ):
            break
        prev, after, words = tok.key, False, words + 1
        j += 1
    while j > first + 1 and tokens[j - 1].key in _PARTICLES_ARABIC:
        j -= 1
    return j


def _arabic_cut(tok: Token) -> int:
    """Letters of a clitic that opens an Arabic name: و/ف/ب/ل before a known given name."""
    if not tok.arabic or tok.key in given_names():
        return 0
    for form, cut in ((tok.key[1:], 1), (tok.key[2:], 2)):
        if len(form) >= 3 and form in given_names() and tok.key[0] in "وفبل":
            return cut
    return 0


def _particle_names(
    text: str, tokens: list[Token], in_lex: dict[int, LexiconMatch], used: set[int]
) -> list[tuple[int, int]]:
    """Names around Ould/Ag/Ben/Abou (ولد/أغ/بن/أبو) not already found."""
    out: list[tuple[int, int]] = []
    stop_latin = latin_stopwords()
    dem = demonyms()
    k = 0
    while k < len(tokens):
        tok = tokens[k]
        strong = _STRONG_PARTICLES_ARABIC if tok.arabic else _STRONG_PARTICLES_LATIN
        if k in used or k in in_lex or tok.key not in strong:
            k += 1
            continue
        if not tok.arabic and not (tok.capitalized or tok.key in {"ould", "ag"}):
            k += 1
            continue

        if tok.arabic:
            first = k
            while (
                first > 0
                and k - first < 2
                and first - 1 not in used
                and first - 1 not in in_lex
                and title_end(tokens, first - 1) == first - 1
                and _arabic_opens_name(tokens[first - 1], dem)
                and (tok.key != "ابو" or tokens[first - 1].key in given_names())
                and _clean_gap(_gap(text, tokens[first - 1], tokens[first]))
            ):
                first -= 1
            last = _read_arabic(text, tokens, first, in_lex, used)
            if last > k + 1:
                out.append((first, last))
                used.update(range(first, last))
                k = last
            else:
                k += 1
            continue

        def name_like(idx: int) -> bool:
            t = tokens[idx]
            if idx in used or idx in in_lex or t.key in dem:
                return False
            return t.capitalized and t.key not in stop_latin and not t.text.isupper()

        first = k
        while (
            first > 0
            and k - first < 2
            and name_like(first - 1)
            and _clean_gap(_gap(text, tokens[first - 1], tokens[first]))
        ):
            first -= 1
        last = k + 1
        while (
            last < len(tokens)
            and last - k <= 3
            and _clean_gap(_gap(text, tokens[last - 1], tokens[last]))
            and (name_like(last) or tokens[last].key in _PARTICLES_LATIN)
        ):
            last += 1
        while last > k + 1 and tokens[last - 1].key in _PARTICLES_LATIN:
            last -= 1
        if last > k + 1:
            out.append((first, last))
            used.update(range(first, last))
            k = last
        else:
            k += 1
    return out


def _given_name_persons(
    text: str, tokens: list[Token], in_lex: dict[int, LexiconMatch], used: set[int]
) -> list[tuple[int, int]]:
    """A known given name followed by one to three name-like words ("Boureima Dicko")."""
    names = given_names()
    stop_latin = latin_stopwords()
    dem = demonyms()
    out: list[tuple[int, int]] = []

    def free(idx: int) -> bool:
        return idx not in used and idx not in in_lex and title_end(tokens, idx) == idx

    def name_like(idx: int) -> bool:
        t = tokens[idx]
        if not free(idx) or t.key in dem or t.text.isdigit():
            return False
        return (t.capitalized and t.key not in stop_latin and not t.text.isupper()) or (
            t.key in _PARTICLES_LATIN
        )

    k = 0
    while k < len(tokens):
        tok = tokens[k]
        # "على" (on) and "علي" (Ali) share a normal form: only the written ي is a name
        given = tok.key in names and (tok.capitalized or tok.arabic) and "ى" not in tok.text
        given = given or (tok.arabic and _arabic_cut(tok) > 0)
        if not given or not free(k):
            k += 1
            continue
        if tok.arabic:
            last = _read_arabic(text, tokens, k, in_lex, used)
            if last > k + 1 and not (last == k + 2 and f"{tok.key} {tokens[k + 1].key}" in names):
                out.append((k, last))
                used.update(range(k, last))
                k = last
            else:
                k += 1
            continue
        last = k + 1
        if last < len(tokens) and f"{tok.key} {tokens[last].key}" in names:
            last += 1  # عبد الله, Abdel Kader
        start_of_rest = last
        while (
            last < len(tokens)
            and last - start_of_rest < 3
            and _clean_gap(_gap(text, tokens[last - 1], tokens[last]))
            and name_like(last)
        ):
            last += 1
        keys = _PARTICLES_ARABIC if tok.arabic else _PARTICLES_LATIN
        while last > start_of_rest and tokens[last - 1].key in keys:
            last -= 1
        if last > start_of_rest:
            out.append((k, last))
            used.update(range(k, last))
            k = last
        else:
            k += 1
    return out
