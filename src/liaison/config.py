"""One settings table (name, default, help) drives the settings file, the docs and a test.

A node home holds ``liaison.toml``; ``Settings.load(home)`` reads it, checks every
value against the table and raises ``ConfigError`` with one readable line otherwise.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from liaison.errors import ConfigError
from liaison.tomlfile import KeyLines, read_toml

__all__ = ["SETTINGS", "SETTINGS_FILE", "Setting", "Settings", "write_settings"]

SETTINGS_FILE = "liaison.toml"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    kind: type | tuple[type, ...]


DEFAULT_LEVELS = [
    "NON CLASSIFIÉ",
    "DIFFUSION RESTREINTE",
    "CONFIDENTIEL",
    "SECRET",
    "TRÈS SECRET",
]

SETTINGS: tuple[Setting, ...] = (
    Setting("org", "", "Name of the organisation that runs this node.", str),
    Setting("country", "", "ISO 3166-1 alpha-2 country code of the organisation.", str),
    Setting("identity_id", "", "STIX id of the node's identity object (set by init).", str),
    Setting(
        "store",
        "sqlite:///liaison.db",
        "Where objects live: sqlite:///FILE (relative to the home) or postgresql://…",
        str,
    ),
    Setting("host", "127.0.0.1", "Address `liaison serve` listens on.", str),
    Setting("port", 6100, "Port `liaison serve` listens on.", int),
    Setting("api_root", "api", "Name of the single TAXII API root.", str),
    Setting("title", "Liaison node", "Title shown in TAXII discovery.", str),
    Setting("max_body_bytes", 20 * 1024 * 1024, "Largest accepted request body, in bytes.", int),
    Setting("max_json_depth", 64, "Deepest accepted JSON nesting.", int),
    Setting("max_envelope_objects", 10_000, "Most objects accepted in one TAXII envelope.", int),
    Setting("page_size", 100, "Default TAXII page size when a client sends no limit.", int),
    Setting("max_page_size", 1000, "Largest TAXII page size a client may ask for.", int),
    Setting("durable", True, "fsync every acknowledged write (SQLite synchronous=FULL).", bool),
    Setting(
        "classification_levels",
        DEFAULT_LEVELS,
        "The national classification scheme, lowest level first.",
        list,
    ),
    Setting(
        "preload_extraction",
        False,
        "Load the extraction language models when `serve` starts (else at first use).",
        bool,
    ),
    Setting("sync_interval", 60, "Seconds between pulls from each partner inside serve.", int),
    Setting(
        "sync_check_process",
        True,
        "Check a partner's pages (STIX, origin signatures) in a second process while the "
        "previous page is stored, on a machine with 2 cores or more.",
        bool,
    ),
    Setting("tls_cert", "", "PEM certificate for HTTPS (empty: plain HTTP, loopback only).", str),
    Setting("tls_key", "", "PEM private key for HTTPS.", str),
    Setting(
        "tls_client_ca", "", "PEM bundle of pinned partner CAs; set it to require mutual TLS.", str
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}
_POSITIVE = {
    "page_size",
    "max_page_size",
    "max_body_bytes",
    "max_json_depth",
    "max_envelope_objects",
}


@dataclass(frozen=True)
class Settings:
    home: Path
    values: dict[str, Any] = field(default_factory=dict)

    def _value(self, name: str) -> Any:
        return self.values.get(name, _BY_NAME[name].default)

    # One typed property per entry of SETTINGS (a test checks that they match).
    @property
    def org(self) -> str:
        v = self._value("org")
        return str(v)

    @property
    def country(self) -> str:
        v = self._value("country")
        return str(v)

    @property
    def identity_id(self) -> str:
        v = self._value("identity_id")
        return str(v)

    @property
    def store(self) -> str:
        v = self._value("store")
        return str(v)

    @property
    def host(self) -> str:
        v = self._value("host")
        return str(v)

    @property
    def port(self) -> int:
        v = self._value("port")
        return int(v)

    @property
    def api_root(self) -> str:
        v = self._value("api_root")
        return str(v)

    @property
    def title(self) -> str:
        v = self._value("title")
        return str(v)

    @property
    def max_body_bytes(self) -> int:
        v = self._value("max_body_bytes")
        return int(v)

    @property
    def max_json_depth(self) -> int:
        v = self._value("max_json_depth")
        return int(v)

    @property
    def max_envelope_objects(self) -> int:
        v = self._value("max_envelope_objects")
        return int(v)

    @property
    def page_size(self) -> int:
        v = self._value("page_size")
        return int(v)

    @property
    def max_page_size(self) -> int:
        v = self._value("max_page_size")
        return int(v)

    @property
    def durable(self) -> bool:
        v = self._value("durable")
        return bool(v)

    @property
    def classification_levels(self) -> list[str]:
        v = self._value("classification_levels")
        return [str(x) for x in v]

    @property
    def preload_extraction(self) -> bool:
        v = self._value("preload_extraction")
        return bool(v)

    @property
    def sync_interval(self) -> int:
        v = self._value("sync_interval")
        return int(v)

    @property
    def sync_check_process(self) -> bool:
        v = self._value("sync_check_process")
        return bool(v)

    @property
    def tls_cert(self) -> str:
        v = self._value("tls_cert")
        return str(v)

    @property
    def tls_key(self) -> str:
        v = self._value("tls_key")
        return str(v)

    @property
    def tls_client_ca(self) -> str:
        v = self._value("tls_client_ca")
        return str(v)

    @classmethod
    def load(cls, home: Path) -> Settings:
        path = home / SETTINGS_FILE
        if not home.is_dir():
            raise ConfigError(f"{home}: not a Liaison node home (run `liaison init {home}`)")
        if not path.is_file():
            raise ConfigError(f"{path}: settings file missing (run `liaison init {home}`)")
        raw, lines = read_toml(path, error=ConfigError)
        return cls(home=home, values=check(raw, str(path), lines))

    def with_values(self, **changes: Any) -> Settings:
        merged = dict(self.values)
        merged.update(check(changes, "settings"))
        return Settings(home=self.home, values=merged)

    def sqlite_path(self) -> Path | None:
        store = str(self.store)
        if not store.startswith("sqlite:///"):
            return None
        p = Path(store[len("sqlite:///") :])
        return p if p.is_absolute() else self.home / p


def check(raw: dict[str, Any], where: str, lines: KeyLines | None = None) -> dict[str, Any]:
    """The settings in ``raw``, each checked against the table; else one ``ConfigError``.

    With ``lines`` (from ``tomlfile``), the error names the line of the key.
    """
    out: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            out[key] = _check_one(key, value, _BY_NAME.get(key))
        except ValueError as exc:
            at = lines.at(key) if lines is not None else where
            raise ConfigError(f"{at}: {exc}") from exc
    return out


def _is_kind(value: Any, kind: type | tuple[type, ...]) -> bool:
    return isinstance(value, kind)  # a function: mypy must not narrow ``value`` to object


def _check_one(key: str, value: Any, setting: Setting | None) -> Any:
    """``value`` if valid for ``key``; else ``ValueError`` saying why, in one line."""
    if setting is None:
        close = difflib.get_close_matches(key, _BY_NAME, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown setting {key!r}{hint}")
    if setting.kind is int and isinstance(value, bool):
        raise ValueError(f"{key} must be an integer, not {value!r}")
    if not _is_kind(value, setting.kind):
        want = getattr(setting.kind, "__name__", str(setting.kind))
        raise ValueError(f"{key} must be of type {want}, not {value!r}")
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        raise ValueError(f"{key} must not be negative")
    if key in _POSITIVE and value < 1:
        raise ValueError(f"{key} must be at least 1")
    if key == "classification_levels" and (
        not value
        or not all(isinstance(v, str) and v for v in value)
        or len(set(value)) != len(value)
    ):
        raise ValueError("classification_levels must be distinct non-empty names")
    if key == "port" and not 0 < value < 65536:
        raise ValueError("port must be between 1 and 65535")
    return value


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise ConfigError(f"cannot write setting value {value!r}")


def write_settings(home: Path, values: dict[str, Any]) -> Path:
    """Write ``liaison.toml`` with every setting, commented with its help text."""
    check(values, "settings")
    lines = ["# Liaison node settings. Each key is documented in docs/settings.md.", ""]
    for s in SETTINGS:
        lines.append(f"# {s.help}")
        lines.append(f"{s.name} = {_toml_value(values.get(s.name, s.default))}")
        lines.append("")
    path = home / SETTINGS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return path
