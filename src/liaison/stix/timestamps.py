"""STIX 2.1 timestamps: RFC 3339, UTC, always ``Z``.

Parsing is strict (the regular expression of the STIX JSON schema plus a calendar check);
formatting always yields at least millisecond precision, which is what ``created`` and
``modified`` require.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from liaison.errors import InvalidInputError, InvalidStixError

__all__ = [
    "TIMESTAMP_RE",
    "compare_timestamps",
    "format_timestamp",
    "is_millis_timestamp",
    "is_timestamp",
    "now_timestamp",
    "parse_timestamp",
    "timestamp_us",
]

_DATE_TIME = (
    r"^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)"
)
TIMESTAMP_RE = re.compile(_DATE_TIME + r"(\.[0-9]+)?Z\Z", re.ASCII)
#: ``TIMESTAMP_RE`` with at least three fractional digits (``created``, ``modified``).
_MILLIS_TIMESTAMP_RE = re.compile(_DATE_TIME + r"\.[0-9]{3,}Z\Z", re.ASCII)
_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _real_date(s: str) -> bool:
    """Day-of-month check for a string already matching TIMESTAMP_RE."""
    if s[8:10] <= "28":  # two ASCII digits: ordered as their number
        return True
    day = int(s[8:10])
    month = int(s[5:7])
    if day > _DAYS_IN_MONTH[month]:
        return False
    if month == 2 and day == 29:
        year = int(s[0:4])
        return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return True


#: Strings already found to be timestamps: an object's ``created``, ``modified`` and
#: ``valid_from`` are often one string, checked by validation, then parsed to store it.
#: Bounded in count and in length (a timestamp is short; a hostile string need not be).
_KNOWN: dict[str, None] = {}
_KNOWN_MAX = 4096
_KNOWN_LEN = 40


def is_timestamp(value: object) -> bool:
    """True if ``value`` is a STIX timestamp string (any sub-second precision)."""
    if value.__class__ is str and value in _KNOWN:
        return True
    if not (isinstance(value, str) and TIMESTAMP_RE.match(value) is not None and _real_date(value)):
        return False
    _remember(value)
    return True


def _remember(value: str) -> None:
    if value.__class__ is str and len(value) <= _KNOWN_LEN:
        if len(_KNOWN) >= _KNOWN_MAX:
            _KNOWN.clear()
        _KNOWN[value] = None


def is_millis_timestamp(value: object) -> bool:
    """True if ``value`` is a STIX timestamp precise to at least the millisecond (what
    ``created`` and ``modified`` must be): ``is_timestamp`` with three or more digits
    after the seconds. One found is remembered as ``is_timestamp`` remembers it (the
    version of an object is parsed next, by ``timestamp_us``)."""
    if not (
        isinstance(value, str)
        and _MILLIS_TIMESTAMP_RE.match(value) is not None
        and _real_date(value)
    ):
        return False
    if value.__class__ is str and len(value) <= _KNOWN_LEN:  # ``_remember``, inline
        if len(_KNOWN) >= _KNOWN_MAX:
            _KNOWN.clear()
        _KNOWN[value] = None
    return True


def parse_timestamp(s: str) -> datetime:
    """Parse a STIX timestamp into an aware UTC datetime.

    Digits beyond microseconds are truncated; a leap second (``:60``) becomes
    ``:59.999999``. Raises InvalidStixError for anything that is not a STIX timestamp.
    """
    if not is_timestamp(s):
        raise InvalidStixError(f"{s!r} is not an RFC 3339 UTC timestamp ending in 'Z'")
    second = int(s[17:19])
    micro = 0
    if s[19] == ".":
        micro = int(s[20:-1][:6].ljust(6, "0"))
    if second == 60:
        second, micro = 59, 999_999
    return datetime(
        int(s[0:4]),
        int(s[5:7]),
        int(s[8:10]),
        int(s[11:13]),
        int(s[14:16]),
        second,
        micro,
        tzinfo=UTC,
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = date(1970, 1, 1).toordinal()


def timestamp_us(s: str) -> int:
    """Microseconds since 1970 of a STIX timestamp: ``parse_timestamp(s)`` minus the
    epoch, in whole microseconds -- the same value and the same errors, computed with
    integers (the store orders versions by it; it runs for every object stored)."""
    if not is_timestamp(s) or s.startswith("0000"):  # errors: as parse_timestamp says
        return (parse_timestamp(s) - _EPOCH) // timedelta(microseconds=1)
    second = int(s[17:19])
    if len(s) == 24 and s[23] == "Z":  # milliseconds, the commonest form
        micro = int(s[20:23]) * 1000
    else:
        micro = int(s[20:-1][:6].ljust(6, "0")) if s[19] == "." else 0
    if second == 60:
        second, micro = 59, 999_999
    minute = s[:16]
    base = _MINUTES.get(minute)
    if base is None:
        day = date(int(s[0:4]), int(s[5:7]), int(s[8:10])).toordinal() - _EPOCH_DAY
        base = ((day * 24 + int(s[11:13])) * 60 + int(s[14:16])) * 60_000_000
        if len(_MINUTES) >= _KNOWN_MAX:
            _MINUTES.clear()
        _MINUTES[minute] = base
    return base + second * 1_000_000 + micro


#: "YYYY-MM-DDTHH:MM" -> its microseconds since 1970: the versions of a batch share
#: minutes (and a string that is a timestamp bounds the key's length). Bounded.
_MINUTES: dict[str, int] = {}


def format_timestamp(dt: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SS.mmm[uuu]Z`` in UTC.

    Milliseconds when the microseconds are a whole number of milliseconds, else
    microseconds. Naive datetimes are refused (their time zone is a guess).
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise InvalidInputError("naive datetime: pass an aware one, e.g. datetime.now(UTC)")
    dt = dt.astimezone(UTC)
    base = (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    )
    if dt.microsecond % 1000 == 0:
        return f"{base}.{dt.microsecond // 1000:03d}Z"
    return f"{base}.{dt.microsecond:06d}Z"


def now_timestamp() -> str:
    """The current time as a STIX timestamp (microsecond precision)."""
    return format_timestamp(datetime.now(UTC))


def _key(s: str) -> tuple[str, str]:
    # "YYYY-MM-DDTHH:MM:SS" and the fraction without trailing zeros: comparing the
    # fractions as strings then orders them numerically, whatever their length.
    return s[:19], (s[20:-1].rstrip("0") if len(s) > 20 else "")


def compare_timestamps(a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` is earlier than, equal to or later than ``b``.

    Both must be valid STIX timestamps; precision may differ.
    """
    if len(a) != len(b):
        ka, kb = _key(a), _key(b)
        return (ka > kb) - (ka < kb)
    return (a > b) - (a < b)
