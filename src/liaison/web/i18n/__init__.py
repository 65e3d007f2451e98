"""Console translations: one JSON catalogue per language, dates and numbers via Babel.

Usage::

    from liaison.web.i18n import translator
    t = translator("ar")
    t("nav.inbox"), t.dir            # ("البريد الوارد", "rtl")
    t.datetime("2026-11-29T12:05:00.000Z"), t.number(12345)
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from babel.dates import format_datetime
from babel.numbers import format_decimal

__all__ = ["LANGUAGES", "Translator", "catalogue", "translator"]

#: Language code -> its own name (shown in the language picker).
LANGUAGES = {"fr": "Français", "ar": "العربية", "en": "English"}
_RTL = {"ar"}


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    text = resources.files(__package__).joinpath(f"{lang}.json").read_text("utf-8")
    data: dict[str, str] = json.loads(text)
    return data


@dataclass(frozen=True)
class Translator:
    lang: str

    @property
    def dir(self) -> str:
        return "rtl" if self.lang in _RTL else "ltr"

    def __call__(self, key: str, **values: Any) -> str:
        text = catalogue(self.lang).get(key) or catalogue("en").get(key) or key
        return text.format(**values) if values else text

    def datetime(self, value: str | datetime | None) -> str:
        if not value:
            return ""
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return str(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return format_datetime(value, "medium", tzinfo=UTC, locale=self.lang) + " UTC"

    def number(self, value: float) -> str:
        return str(format_decimal(value, locale=self.lang))


def translator(lang: str) -> Translator:
    return Translator(lang if lang in LANGUAGES else "en")
