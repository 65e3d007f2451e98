"""Arabic script to a Latin form built for name matching (not for display).

Why our own: ``anyascii`` (installed) drops the alif and keeps ``'`` and backticks
(إياد أغ غالي -> ``'yd 'gh ghly``), Buckwalter-style packages give a symbol
transcription rather than a romanisation, and ``camel-tools`` needs a data download at
run time. Names written by Sahel analysts follow French habits (ou, dj, ch) that a
romanisation standard does not model anyway, so we romanise close to how a Latin
writer would spell the consonants and long vowels, and leave short vowels out unless
the text carries harakat. ``liaison.correlate.text.phonetic`` then folds both sides onto one
alphabet.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

from liaison.text.script import has_arabic

__all__ = ["transliterate_ar"]

# Consonants and letters whose value does not depend on their neighbours.
_LETTERS: dict[str, str] = {
    "ب": "b",
    "ت": "t",
    "ث": "th",
    "ج": "j",
    "ح": "h",
    "خ": "kh",
    "د": "d",
    "ذ": "dh",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ش": "sh",
    "ص": "s",
    "ض": "d",
    "ط": "t",
    "ظ": "dh",
    "ع": "",
    "غ": "gh",
    "ف": "f",
    "ق": "q",
    "ك": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "ء": "",
    "ؤ": "u",
    "ئ": "",
    "ى": "a",
    "آ": "a",
    "أ": "a",
    "إ": "i",
    "ٱ": "a",
    "ا": "a",
    # Persian, Urdu and Maghrebi letters met in Sahel names.
    "پ": "p",
    "چ": "ch",
    "ژ": "zh",
    "ڤ": "v",
    "گ": "g",
    "ک": "k",
    "ڨ": "g",
    "ڭ": "g",
    "ڜ": "sh",
    "ٹ": "t",
    "ڈ": "d",
    "ڑ": "r",
    "ں": "n",
    "ھ": "h",
    "ہ": "h",
    "ۃ": "a",
}
_HARAKAT = {"\u064e": "a", "\u0650": "i", "\u064f": "u"}  # fatha, kasra, damma
_SHADDA, _SUKUN = "\u0651", "\u0652"
_TANWIN = {"\u064b", "\u064c", "\u064d"}
_SILENT = {"\u0640", "\u0670", "\u0653", "\u0654", "\u0655", "\u200c", "\u200d"}
_VOWEL_LETTERS = {"ا", "أ", "إ", "آ", "ٱ", "ى"}
_DIGITS = {chr(0x0660 + i): str(i) for i in range(10)} | {
    chr(0x06F0 + i): str(i) for i in range(10)
}
_WORD_RE = re.compile(r"\S+")


def _is_letter(ch: str | None) -> bool:
    return ch is not None and (ch in _LETTERS or ch in "وي" or ch in "یة")


def _word(word: str, next_word: str | None) -> str:
    letters = [ch for ch in word if ch not in _SILENT]
    out: list[str] = []
    n = len(letters)
    for i, ch in enumerate(letters):
        prev = letters[i - 1] if i > 0 else None
        nxt = letters[i + 1] if i + 1 < n else None
        if ch in _HARAKAT:
            out.append(_HARAKAT[ch])
        elif ch == _SHADDA:
            # Doubles the consonant, whether the vowel mark came before it or after.
            if out and out[-1] in ("a", "i", "u") and prev in _HARAKAT and len(out) > 1:
                out.insert(len(out) - 1, out[-2][-1:])
            elif out and out[-1] and out[-1][-1] not in "aiu":
                out.append(out[-1][-1])
        elif ch == _SUKUN or ch in _TANWIN:
            continue
        elif ch in _DIGITS:
            out.append(_DIGITS[ch])
        elif ch == "ة":
            # Taa marbuta: "-at" before a noun in construct (نصرة الإسلام), else "-a".
            construct = next_word is not None and next_word.startswith("ال") and nxt is None
            out.append("at" if construct else "a")
        elif ch == "ع":
            # Word-initial ayn reads as a vowel in Latin spellings (Abd, Ali, Adnan).
            out.append("a" if prev is None and nxt is not None and nxt not in "اويی" else "")
        elif ch == "و":
            if prev == "ع" and i == 1:
                out.append("u")
            elif (
                prev is None
                or prev in _VOWEL_LETTERS
                or (nxt is not None and nxt in _VOWEL_LETTERS)
            ):
                out.append("w")
            else:
                out.append("u")
        elif ch in "يی":
            if prev == "ع" and i == 1:
                out.append("i")
            elif (
                prev is None
                or prev in _VOWEL_LETTERS
                or (nxt is not None and nxt in _VOWEL_LETTERS)
            ):
                out.append("y")
            else:
                out.append("i")
        elif ch in _LETTERS:
            out.append(_LETTERS[ch])
        elif _is_letter(ch):
            out.append(ch)
        elif has_arabic(ch):
            out.append(anyascii(ch))  # rare Arabic-script letters: a best effort
        else:
            # Latin letters, digits and punctuation inside a mixed word pass through.
            out.append(ch)
    return "".join(out)


def _split_article(word: str) -> list[str]:
    """Split the article and the conjunction: والمسلمين -> wa + al + مسلمين."""
    if word == "الله":
        return ["allah"]
    if word.startswith("وال") and len(word) > 5:
        return ["wal", word[3:]]
    if word.startswith("ال") and len(word) > 3:
        return ["al", word[2:]]
    return [word]


def transliterate_ar(text: str) -> str:
    """Romanise the Arabic-script words of ``text``; other characters pass through.

    >>> transliterate_ar("إياد أغ غالي")
    'iyad agh ghali'
    >>> transliterate_ar("جماعة نصرة الإسلام والمسلمين")
    'jmaa nsrat al islam wal mslmin'
    """
    text = unicodedata.normalize("NFC", text)
    words = _WORD_RE.findall(text)
    pieces: list[str] = []
    for i, word in enumerate(words):
        if not has_arabic(word):
            pieces.append(word)
            continue
        next_word = words[i + 1] if i + 1 < len(words) else None
        for part in _split_article(word):
            pieces.append(part if part.isascii() else _word(part, next_word))
    return " ".join(p for p in pieces if p)
