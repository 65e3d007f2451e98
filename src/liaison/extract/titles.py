"""Titles and ranks that introduce a person's name, in French, English and Arabic.

``title_end(tokens, i)`` finds the longest title starting at token ``i`` (an Arabic
title may carry a clitic: للعقيد = ل + العقيد). Some Arabic words introduce a name as a
title does but are no role ("بقيادة إياد أغ غالي", led by): ``introducer`` says so, and
the person then gets no ``roles``.
"""

from __future__ import annotations

from functools import cache

from liaison.extract.arabic import arabic_forms
from liaison.text import Token, tokenize

__all__ = ["introducer", "title_end"]

_TITLES_LATIN = """
général|général d'armée|général de division|général de brigade|général de corps d'armée
colonel|colonel-major|lieutenant-colonel|commandant|capitaine|lieutenant|sergent|adjudant
chef d'état-major|chef d'état-major général|chef d'état-major général des armées
chef d'état-major adjoint|ministre|ministre délégué|premier ministre|président|présidente
porte-parole|directeur|directeur général|gouverneur|préfet|maire|émir|cheikh|imam
ambassadeur|ambassadrice|secrétaire général|représentant spécial|commissaire|homologue
m|mme|m.|dr|chef|chef militaire|leader|dirigeant|commandant de zone|juge|procureur
general|gen|lieutenant general|lt gen|major general|maj gen|brigadier general|brig gen
colonel|col|lieutenant colonel|lt col|major|captain|capt|sergeant|chief of staff
chief of defence staff|chief of defense staff|army chief|minister|prime minister
president|spokesman|spokeswoman|spokesperson|director|director general|governor|mayor
emir|sheikh|shaykh|ambassador|secretary-general|secretary general|special representative
commander|counterpart|mr|mrs|ms|judge|prosecutor|prefect
"""

_TITLES_ARABIC = """
الفريق|الفريق أول|العقيد|اللواء|العميد|المقدم|الرائد|النقيب|الملازم|الجنرال|المشير
الوزير|وزير|الرئيس|رئيس|رئيس الوزراء|الوزير الأول|الناطق باسم|المتحدث باسم
الناطق الرسمي باسم|المتحدث الرسمي باسم|رئيس أركان|رئيس الأركان|قائد|القائد|زعيم|الزعيم
أمير|الأمير|الشيخ|السيد|المدعو|القيادي|نظيره|نظيرته|السفير|الوالي|المحافظ|مدير|المدير
الحاكم|الجنرال|ممثل|مبعوث|المبعوث|الأمين العام|أمين عام|الامين العام
قيادة|زعامة|إمرة|تحت قيادة
التاجر|المهرب|المحلل|الصحفي|الباحث|الناشط|السائق|المتهم|المشتبه به|الداعية|الإمام
"""

# Words that introduce a name as a title does, but are no role: "بقيادة إياد أغ غالي".
INTRODUCERS = frozenset({"قياده", "زعامه", "امره", "تحت قياده"})

# Words a title's complement may contain before the name (normal forms).


@cache
def _title_trie() -> dict[str, object]:
    trie: dict[str, object] = {}
    for line in (_TITLES_LATIN + _TITLES_ARABIC).split("\n"):
        for title in line.split("|"):
            tokens = tokenize(title.strip())
            if not tokens:
                continue
            node = trie
            for tok in tokens:
                node = node.setdefault(tok.key, {})  # type: ignore[assignment]
            node[""] = True
    return trie


def title_end(tokens: list[Token], i: int) -> int:
    """Index after the longest title starting at ``i``, or ``i`` when there is none."""
    node: object = _title_trie()
    j, best = i, i
    while j < len(tokens) and isinstance(node, dict):
        key = tokens[j].key
        if tokens[j].arabic and key not in node and j == i:
            if key.startswith("لل"):  # للعقيد = ل + العقيد
                key = "ال" + key[2:]
            elif key[:1] in "وفبل":
                key = key[1:]
        node = node.get(key)
        if node is None:
            break
        j += 1
        if isinstance(node, dict) and node.get(""):
            best = j
        if j < len(tokens) and tokens[j].start - tokens[j - 1].end > 2:
            break
    return best


def introducer(tokens: list[Token], i: int, end: int) -> bool:
    """True when the "title" at ``tokens[i:end]`` only introduces a name (بقيادة)."""
    rest = [t.key for t in tokens[i + 1 : end]]
    return any(" ".join([f, *rest]) in INTRODUCERS for f in arabic_forms(tokens[i].key))
