"""Event dates in French, English and Arabic, resolved against the document's date.

Absolute dates ("12 mars 2025", "March 3", "3 مارس", "12 آذار") are read with month
tables (Maghreb and Levantine Arabic month names included); relative ones ("hier",
"last Tuesday", "أمس", "الثلاثاء الماضي") are resolved by ``dateparser`` relative to the
document date, preferring the past. A date without a year takes the document's year,
or the year before when that would put it after the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

__all__ = ["DateMention", "find_dates"]

_MONTHS: dict[str, int] = {}
for _n, _names in enumerate(
    [
        "janvier january jan يناير جانفي كانون_الثاني",
        "février fevrier february feb فبراير فيفري شباط",
        "mars march mar مارس آذار اذار",
        "avril april apr أبريل ابريل افريل أفريل نيسان",
        "mai may ماي مايو أيار ايار",
        "juin june jun يونيو جوان حزيران",
        "juillet july jul يوليو جويلية يوليوز تموز",
        "août aout august aug أغسطس اغسطس أوت اوت غشت آب",
        "septembre september sep sept سبتمبر أيلول ايلول شتنبر",
        "octobre october oct أكتوبر اكتوبر تشرين_الأول",
        "novembre november nov نوفمبر نونبر تشرين_الثاني",
        "décembre decembre december dec ديسمبر دجنبر كانون_الأول",
    ],
    start=1,
):
    for _m in _names.split():
        _MONTHS[_m.replace("_", " ")] = _n

_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
_DAY = r"(?P<day>[0-3]?[0-9٠-٩]{1,2})(?:er|st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20|١٩|٢٠)[0-9٠-٩]{2})"

_ABSOLUTE = [
    re.compile(rf"\b{_DAY}\s+(?P<month>{_MONTH_ALT})\b(?:,?\s+{_YEAR})?", re.IGNORECASE),
    re.compile(rf"\b(?P<month>{_MONTH_ALT})\s+{_DAY}\b(?:,?\s+{_YEAR})?", re.IGNORECASE),
    re.compile(r"\b(?P<year>20\d{2})-(?P<mnum>\d{2})-(?P<day>\d{2})\b"),
    re.compile(r"\b(?P<day>\d{1,2})/(?P<mnum>\d{1,2})/(?P<year>20\d{2})\b"),
]

_WEEKDAYS = (
    "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
_WEEKDAYS_AR = "الاثنين|الإثنين|الثلاثاء|الأربعاء|الاربعاء|الخميس|الجمعة|السبت|الأحد|الاحد"
# An Arabic cue may carry a proclitic (وأمس "and yesterday", فالثلاثاء): the match
# starts after it, so the span is the cue itself.
_AR_START = "(?:(?<!\\w)|(?<=(?<!\\w)[وفب]))"
_RELATIVE = re.compile(
    rf"(?:\b(?:last\s+)?(?:{_WEEKDAYS})(?:\s+(?:dernier|last))?\b"
    rf"|{_AR_START}(?:{_WEEKDAYS_AR})(?:\s+الماضي)?(?!\w)"
    r"|\bavant-hier\b|\bhier\b|\byesterday\b|\bthe day before yesterday\b"
    rf"|{_AR_START}(?:أول\s+أمس|أمس|الأمس)(?!\w)"
    r"|\bil y a (?:deux|trois|quatre|cinq|six|\d+) jours\b"
    r"|\b(?:two|three|four|five|six|\d+) days ago\b)",
    re.IGNORECASE,
)
_DROP = re.compile(r"\b(?:dernier|last)\b|الماضي", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date phrase of the text and the calendar day it resolves to."""

    start: int
    end: int
    text: str
    value: date


def find_dates(text: str, lang: str, document_date: date) -> list[DateMention]:
    """Every resolvable date phrase, in text order, without overlaps."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for pattern in _ABSOLUTE:
        for m in pattern.finditer(text):
            if _overlaps(m.start(), m.end(), taken):
                continue
            value = _absolute(m, document_date)
            if value is not None:
                found.append(DateMention(m.start(), m.end(), m.group(), value))
                taken.append((m.start(), m.end()))
    for m in _RELATIVE.finditer(text):
        if _overlaps(m.start(), m.end(), taken):
            continue
        value = _relative(m.group(), lang, document_date)
        if value is not None:
            found.append(DateMention(m.start(), m.end(), m.group(), value))
            taken.append((m.start(), m.end()))
    return sorted(found, key=lambda d: d.start)


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in taken)


def _absolute(m: re.Match[str], doc: date) -> date | None:
    groups = m.groupdict()
    try:
        day = int(groups["day"].translate(_DIGITS))
        mnum = groups.get("mnum")
        month = int(mnum) if mnum else _MONTHS[groups["month"].lower()]
        if groups.get("year"):
            return date(int(groups["year"].translate(_DIGITS)), month, day)
        value = date(doc.year, month, day)
        if value > doc:
            value = date(doc.year - 1, month, day)
        return value
    except (ValueError, KeyError):
        return None


def _relative(phrase: str, lang: str, doc: date) -> date | None:
    import dateparser

    cleaned = _DROP.sub("", phrase).strip()
    base = datetime(doc.year, doc.month, doc.day, 12, 0)
    parsed = dateparser.parse(
        cleaned,
        languages=[lang],
        settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"},
    )
    if parsed is None:
        return None
    value = parsed.date()
    if value > doc:
        return None
    return value
