"""Observables of a STIX object, normalised so that equal things compare equal.

Kinds (the first element of each pair ``observables_of`` returns):

==================  ================================================================
``ipv4-addr``       ``ipaddress`` form; a /32 is the address, other CIDRs the network
``ipv6-addr``       compressed form; a /128 is the address
``domain-name``     lower case, trailing dot dropped, IDNA (punycode) for non-ASCII
``url``             scheme and host lower case, default port and fragment dropped
``email-addr``      lower case, ``mailto:`` dropped
``phone-number``    E.164 with ``phonenumbers`` (needs ``+``/``00`` or a default region)
``crypto-wallet``   Bitcoin (base58, bech32), Ethereum (lower case), Tron, Monero
``file-hash``       ``algorithm:hex`` in lower case (md5, sha1, sha256, sha512, ...)
==================  ================================================================

Defanged forms (``hxxp``, ``[.]``, ``[at]``) are refanged first. A value that does not
parse gives ``None``: it is not an observable and never correlates.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import phonenumbers

__all__ = [
    "OBSERVABLE_KINDS",
    "OBSERVABLE_TYPES",
    "custom_kind",
    "normalise_observable",
    "observables_of",
]

OBSERVABLE_KINDS: Final = (
    "ipv4-addr",
    "ipv6-addr",
    "domain-name",
    "url",
    "email-addr",
    "phone-number",
    "crypto-wallet",
    "file-hash",
)

_HASH_ALGOS: Final = {
    "md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128,
    "sha3256": 64, "sha3512": 128, "ssdeep": 0, "tlsh": 0,
}  # fmt: skip
_HASH_BY_LENGTH: Final = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
_HEX_RE = re.compile(r"^[0-9a-f]+$")
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
_WALLETS: Final = (
    (re.compile(r"^(bc1|tb1)[02-9ac-hj-np-z]{8,87}$", re.I), True),  # bech32: case-free
    (re.compile(r"^[13][a-km-zA-HJ-NP-Z1-9]{25,34}$"), False),  # Bitcoin base58
    (re.compile(r"^0x[0-9a-fA-F]{40}$"), True),  # Ethereum: checksum case is not identity
    (re.compile(r"^T[1-9A-HJ-NP-Za-km-z]{33}$"), False),  # Tron
    (re.compile(r"^[48][0-9AB][1-9A-HJ-NP-Za-km-z]{93}$"), False),  # Monero
)
_REFANG: Final = (
    (re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)", re.I), "."),
    (re.compile(r"\[@\]|\(@\)|\[at\]|\(at\)", re.I), "@"),
    (re.compile(r"^hxxp", re.I), "http"),
    (re.compile(r"^fxp", re.I), "ftp"),
    (re.compile(r"\[:\]|\[://\]", re.I), lambda m: m.group(0)[1:-1]),
)
_DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ftp": 21}


def _refang(value: str) -> str:
    # Each pattern needs a bracket, or ``hxxp``/``fxp`` at the start: most values have
    # neither, and five substitutions found nothing in them (issue #15).
    if "[" not in value and "(" not in value and "{" not in value and value[:1] not in "hHfF":
        return value
    for pattern, repl in _REFANG:
        value = pattern.sub(repl, value)  # type: ignore[arg-type]
    return value


def _domain(value: str) -> str | None:
    host = value.strip().rstrip(".").lower()
    if not host or len(host) > 253 or "." not in host:
        return None
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = host.split(".")
    if not all(_LABEL_RE.match(label) for label in labels) or labels[-1].isdigit():
        return None
    return host


#: An IPv4 address in its canonical form (decimal octets 0-255 without leading zeros):
#: ``ipaddress`` would give it back unchanged.
_IPV4_RE = re.compile(r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\.){3}"
                      r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])")  # fmt: skip


def _ip(value: str, version: int) -> str | None:
    if version == 4 and _IPV4_RE.fullmatch(value):
        return value  # what ipaddress gives back, without parsing it into an object
    try:
        net = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None
    if net.version != version:
        return None
    if net.num_addresses == 1:
        return str(net.network_address)
    return str(net)


def _url(value: str) -> str | None:
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not scheme or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" not in host:  # IPv6 literals stay as they are
        host = _domain(host) or (host if _ip(host, 4) else "")
        if not host:
            return None
    else:
        host = f"[{host}]"
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _email(value: str) -> str | None:
    v = value.strip().lower()
    v = v.removeprefix("mailto:")
    if not _EMAIL_RE.match(v):
        return None
    local, _, domain = v.rpartition("@")
    dom = _domain(domain)
    return f"{local}@{dom}" if dom else None


@lru_cache(maxsize=16384)
def _phone(value: str, region: str | None) -> str | None:
    v = value.strip()
    if v.startswith("00"):
        v = "+" + v[2:]
    try:
        num = phonenumbers.parse(v, None if v.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def _wallet(value: str) -> str | None:
    v = value.strip()
    for pattern, fold in _WALLETS:
        if pattern.match(v):
            return v.lower() if fold else v
    return None


def _hash(value: str, algorithm: str | None) -> str | None:
    v = value.strip().lower()
    if ":" in v and algorithm is None:
        algorithm, _, v = v.partition(":")
    algo = re.sub(r"[^a-z0-9]", "", (algorithm or "").lower()) or _HASH_BY_LENGTH.get(len(v))
    if algo not in _HASH_ALGOS:
        return None
    want = _HASH_ALGOS[algo]
    if want and (len(v) != want or not _HEX_RE.match(v)):
        return None
    return f"{algo}:{v}"


def normalise_observable(
    kind: str, value: str, *, algorithm: str | None = None, default_region: str | None = None
) -> str | None:
    """The normalised ``value`` of an observable of ``kind``, or None if it does not parse.

    ``algorithm`` names the hash of a ``file-hash`` (else ``algo:hex`` or the length
    decides); ``default_region`` (ISO 3166 alpha-2) reads national phone numbers.
    """
    if not isinstance(value, str) or not value.strip() or len(value) > 8192:
        return None
    if len(value) <= _CACHED_LENGTH:
        return _normalise_cached(kind, value, algorithm, default_region)
    return _normalise(kind, value, algorithm, default_region)


#: Values up to this long are remembered (``_normalise_cached``): a node sees the same
#: addresses, domains and hashes again and again.
_CACHED_LENGTH = 256


@lru_cache(maxsize=16384)
def _normalise_cached(
    kind: str, value: str, algorithm: str | None, default_region: str | None
) -> str | None:
    return _normalise(kind, value, algorithm, default_region)


def _normalise(
    kind: str, value: str, algorithm: str | None, default_region: str | None
) -> str | None:
    v = _refang(value.strip())
    if kind == "ipv4-addr":
        return _ip(v, 4)
    if kind == "ipv6-addr":
        return _ip(v, 6)
    if kind == "domain-name":
        return _domain(v)
    if kind == "url":
        return _url(v)
    if kind == "email-addr":
        return _email(v)
    if kind == "phone-number":
        return _phone(v, default_region)
    if kind == "crypto-wallet":
        return _wallet(v)
    if kind == "file-hash":
        return _hash(v, algorithm)
    return None


# --- from STIX objects ---------------------------------------------------------------
_SCO_KIND: Final = {
    "ipv4-addr": "ipv4-addr",
    "ipv6-addr": "ipv6-addr",
    "domain-name": "domain-name",
    "url": "url",
    "email-addr": "email-addr",
    "x-phone-number": "phone-number",
    "phone-number": "phone-number",
    "cryptocurrency-wallet": "crypto-wallet",
    "x-cryptocurrency-wallet": "crypto-wallet",
    "x-crypto-wallet": "crypto-wallet",
}
_PATTERN_RE = re.compile(
    r"\[?\s*(?P<type>[a-z0-9-]+):(?P<path>[A-Za-z0-9_.'\-]+)\s*(?<![!<>])=\s*'(?P<value>(?:\\.|[^'\\])*)'"
)
_PHONE_KEY_RE = re.compile(r"phone|mobile|msisdn|telephone|(^|_)tel(_|$)|whatsapp", re.I)
_EMAIL_KEY_RE = re.compile(r"e_?mail", re.I)
_WALLET_KEY_RE = re.compile(r"wallet|btc|bitcoin|crypto", re.I)
_EMAIL_IN_TEXT_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_IN_TEXT_RE = re.compile(r"(?<![\w+])\+?\d[\d ().-]{6,18}\d(?!\w)")


#: The types whose own properties ``observables_of`` reads (of any other type, only
#: custom ``x_`` properties: ``custom_kind``).
OBSERVABLE_TYPES: Final = frozenset((*_SCO_KIND, "file", "indicator", "identity"))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)


def _from_pattern(pattern: str) -> Iterator[tuple[str, str | None, str]]:
    for m in _PATTERN_RE.finditer(pattern):
        sco, path = m.group("type"), m.group("path")
        value = m.group("value").replace("\\'", "'").replace("\\\\", "\\")
        if sco == "file" and path.startswith("hashes."):
            yield "file-hash", path[len("hashes.") :].strip("'"), value
        elif sco in _SCO_KIND and path == "value":
            yield _SCO_KIND[sco], None, value


@lru_cache(maxsize=4096)
def _key_kind(key: str) -> str | None:
    """The observable kind a custom ``x_`` property holds, by its name (names repeat:
    ``x_mitre_version`` is in every ATT&CK object)."""
    if _PHONE_KEY_RE.search(key):
        return "phone-number"
    if _EMAIL_KEY_RE.search(key):
        return "email-addr"
    if _WALLET_KEY_RE.search(key):
        return "crypto-wallet"
    return None


def _raw(
    obj: Mapping[str, Any], default_region: str | None
) -> Iterator[tuple[str, str | None, str]]:
    typ = obj.get("type")
    if isinstance(typ, str) and typ in _SCO_KIND:
        for key in ("value", "number", "address"):
            if isinstance(obj.get(key), str):
                yield _SCO_KIND[typ], None, obj[key]
    if typ == "file" and isinstance(obj.get("hashes"), Mapping):
        for algo, value in obj["hashes"].items():
            if isinstance(value, str):
                yield "file-hash", str(algo), value
    if typ == "indicator" and obj.get("pattern_type", "stix") == "stix":
        pattern = obj.get("pattern")
        if isinstance(pattern, str):
            yield from _from_pattern(pattern)
    if typ == "identity" and isinstance(obj.get("contact_information"), str):
        text = obj["contact_information"]
        for m in _EMAIL_IN_TEXT_RE.finditer(text):
            yield "email-addr", None, m.group(0)
        for pm in _PHONE_IN_TEXT_RE.finditer(text):
            yield "phone-number", None, pm.group(0)
    for key, kind in _custom_keys(tuple(obj)):
        yield from ((kind, None, s) for s in _strings(obj[key]))


def custom_kind(key: str) -> str | None:
    """The observable kind a custom property holds, by its name (``x_`` and phone,
    e-mail or wallet in it), or None: ``observables_of`` reads no other."""
    return _key_kind(key) if key.startswith("x_") else None


@lru_cache(maxsize=1024)
def _custom_keys(keys: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The custom ``x_`` properties among ``keys`` that hold observables, in order, and
    the kind each holds. Remembered per set of keys: objects of one kind and producer
    share theirs (every ATT&CK technique the same ``x_mitre_*`` names)."""
    found = ((key, _key_kind(key)) for key in keys if key.startswith("x_"))
    return tuple((key, kind) for key, kind in found if kind is not None)


def observables_of(
    stix_obj: Mapping[str, Any], *, default_region: str | None = None
) -> list[tuple[str, str]]:
    """``(kind, normalised value)`` pairs found in one STIX object, without repeats.

    Reads SCOs (ipv4/ipv6/domain/url/email, file hashes, wallet and phone SCOs), the
    equality comparisons of STIX indicator patterns, identity contact information and
    custom ``x_`` properties whose name says phone, e-mail or wallet.
    """
    seen: dict[tuple[str, str], None] = {}
    for kind, algorithm, value in _raw(stix_obj, default_region):
        norm = normalise_observable(kind, value, algorithm=algorithm, default_region=default_region)
        if norm is not None:
            seen[(kind, norm)] = None
    return list(seen)
