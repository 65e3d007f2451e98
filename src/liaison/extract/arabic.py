"""Where an Arabic name stops: function words, verbs, common nouns, clitics.

Arabic has no capital letters and there is no offline Arabic NER model, so a rule that
has found the start of a name (a title, a kinship particle, a known given name) reads
on word by word and must know when the name is over. A word ends the name when it is a
function word, a verb or a common noun of news text, or when it carries a clitic that
a name part does not take (و "and" + a known word); after the name of a kinship chain
("ولد سيدي") only another particle, the second half of a compound (عبد الله) or a nisba
(الصحراوي) goes on. Words are compared in their normal form (``liaison.text``).
"""

from __future__ import annotations

import re
from functools import cache

from liaison.text import normalize

__all__ = [
    "KINSHIP_ARABIC",
    "STOP_ARABIC",
    "arabic_forms",
    "continues_name",
    "has_article",
    "is_arabic_verb",
    "may_precede_name",
]


def _words(block: str) -> frozenset[str]:
    """The normal forms of the whitespace-separated words of ``block``."""
    return frozenset(normalize(w) for w in block.split())


#: Function words, verbs and nouns of news text that never belong to a name.
STOP_ARABIC = _words(
    """في من الى إلى عن مع الذي التي الذين خلال بعد قبل يوم اليوم امس أمس حيث كما وقد قد
    لقد هذا هذه ذلك تلك عند حول ضد بين منذ عبر لدى امام أمام اثر إثر وفق بحسب حسب ثم او أو
    لكن كان كانت يكون ان أن إن انه أنه إنه انها أنها إنها لم لن ما لا غير دون نحو عدة بعض كل
    جميع أي التي اللذين هناك هنا حين عندما بينما فيما وهو وهي هو هي ايضا أيضا اجل أجل
    قال وقال قالت اعلن أعلن واعلن أعلنت اكد أكد واكد أكدت صرح افاد أفاد أفادت افادت التقى
    استقبل وصل وصلت زار زارت بحث أشرف اشرف اجتمع واجتمع دعا ندد نفى أوضح اوضح أضاف اضاف
    واضاف يقود تقود قاد قادت يتزعم ويتزعم تتزعم يقف تقف وقف غادر غادرت عاد عادت توجه فر فرت
    هرب انتقل ظهر هدد يهدد يدعو شوهد نشر أصدر اصدر بث أعلنت نفذ نفذت هاجم هاجمت هاجموا
    اعتقل اعتقلت اختطف اختطفت قتل قتلت أصيب اصيب استهدف استهدفت تبنى تبنت نصب نصبت حاصر
    حاصرت أقام أقامت رصدت رصد يشتبه تشتبه يعتقد يدعى يسمى المدعو أسس أسست يؤسس ينشط تنشط
    مقتل اعتقال لمناقشة بشأن بشان حيال التابعة المنتمي التابع المنتمية
    جماعة تنظيم حركة ولاية كتيبة مدينة منطقة بلدة قرية بالقرب قرب شمال جنوب شرق غرب وسط
    ووزير والوزير ورئيس والرئيس ونظيره ونائب نائب الجماعة التنظيم الحركة المجموعة
    الكتيبة الولاية المدينة البلدة القرية القاعدة الموقع الهجوم العملية مسلحين المسلحين
    مسلحون مسلحو عناصر مقاتلي مقاتلين مقاتلو فيه فيها به بها له لها عليه عليها مصادر مصدر
    سكان تسجيلا تسجيل بيان بيانا رسالة قافلة قوافل دورية موقعا مركزا معسكرا معسكر ثكنة
    كمين كمينا هجوما هجمات عملية سيارة شاحنة سوق سوقا مدرسة طريق الطريق الحدود حدود مخيم
    الثلاثاء الأربعاء الاربعاء الخميس الجمعة السبت الأحد الاحد الاثنين الإثنين
    المهرب مهرب المهربين التاجر تاجر الزعيم المسؤول مسؤول مسؤولي المتحدث الناطق القيادي
    شخص شخصين رجل رجال امرأة الشاب شاب المواطن السائق سائق الجندي جندي جنود الجنود
    بأن لأن وبأن أمنية محلية عسكرية رسمية مطلعة متطابقة إعلامية حكومية"""
)

#: Kinship nouns ("his son", "the brother of") that stand before a name, never in it.
KINSHIP_ARABIC = _words(
    """ابنه ابنها ابنهم نجله نجلها نجل شقيقه شقيقها شقيق أخوه اخوه أخيه اخيه أخاه اخاه
    والده والدها والد عمه خاله زوجته زوجها صهره حفيده ابنة ابنته ابنتها"""
)

_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640]")
# Imperfect verbs: a person prefix (ي ت) and a short stem without a long alef.
_IMPERFECT = re.compile("^[يت][^ا]{2,4}$")
# Perfect verbs of the 3rd person: feminine -ت, plural -وا (a four-letter word at least).
_PERFECT = re.compile("^(?!ال).{3,5}ت$|^.{2,5}وا$")


def arabic_forms(key: str) -> set[str]:
    """A word's normal form with and without its proclitics (و ف, then ب ل, لل -> ال).

    >>> sorted(arabic_forms("وبتمبكتو"))
    ['بتمبكتو', 'تمبكتو', 'وبتمبكتو']
    """
    out = {key}
    base = key
    if len(base) > 3 and base[0] in "وف":
        base = base[1:]
        out.add(base)
    if len(base) > 3 and base.startswith("لل"):
        out.add("ال" + base[2:])
    elif len(base) > 3 and base[0] in "بل":
        out.add(base[1:])
    return out


@cache
def _given() -> frozenset[str]:
    from liaison.extract.lexicon import given_names

    return given_names()


def is_arabic_verb(key: str) -> bool:
    """True for a listed verb, or a word shaped like a conjugated verb that is no name."""
    if key in _given():
        return False
    if key in STOP_ARABIC:
        return True
    if _IMPERFECT.match(key) and not key.endswith("ي"):
        return True
    return bool(_PERFECT.match(key))


def _stop(key: str) -> bool:
    forms = arabic_forms(key)
    return bool(forms & STOP_ARABIC or forms & KINSHIP_ARABIC) or is_arabic_verb(key)


def may_precede_name(key: str, article: bool) -> bool:
    """Can this word open a name (read backwards from a particle, or after a title)?

    Not a function word, verb, common or kinship noun; not a word with the article
    (``article``: it is written with a bare alef and lam) unless it is a known given
    name (المختار, الأمين).
    """
    if _stop(key):
        return False
    return not article or key in _given()


def continues_name(
    key: str, prev: str | None, *, article: bool, after_particle: bool, chained: bool, words: int
) -> bool:
    """Does the word ``key`` continue the Arabic name read so far?

    ``article``: the word is written with the article; ``prev`` is the previous word,
    ``after_particle`` whether it was a kinship particle, ``chained`` whether a
    particle was read before, ``words`` how many name words (particles not counted)
    were read already.
    """
    if prev is not None and prev in ("عبد", "ابو"):
        return not _stop(key)  # عبد الله, أبو بكر: the compound's second half
    if _stop(key):
        return False
    if after_particle:
        return True  # the ancestor's name: الشريف in "أغ الشريف"
    if key in _given():
        return words < 4
    if article:
        return key.endswith("ي") and words < 4  # a nisba: الصحراوي, الغزواني
    if chained:
        return False  # after "ولد سيدي" only a nisba or a given name
    # a third word ending like a common noun (ة, -ات) ends the name: "سيدو كوني تعزيزات"
    return words < 3 and not (words >= 2 and key.endswith(("ه", "ات")))


def has_article(text: str) -> bool:
    """True when an Arabic word is written with the article ال (a bare alef, then lam)."""
    letters = _MARKS.sub("", text)
    return letters.startswith("ال") and len(letters) > 3
