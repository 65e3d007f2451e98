"""The settings table: defaults, the settings file, and one readable line per mistake."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from liaison.config import SETTINGS, SETTINGS_FILE, Settings, write_settings
from liaison.errors import ConfigError


def home_with(tmp_path: Path, text: str) -> Path:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / SETTINGS_FILE).write_text(text, encoding="utf-8")
    return home


def test_every_setting_has_a_name_default_help_and_kind() -> None:
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    for s in SETTINGS:
        assert len(s.help.strip()) > 10, s.name
        assert isinstance(s.default, s.kind), s.name


def test_defaults_and_values(tmp_path: Path) -> None:
    home = home_with(tmp_path, 'org = "DGSE"\nport = 7000\n')
    s = Settings.load(home)
    assert s.org == "DGSE" and s.port == 7000
    assert s.page_size == 100 and s.durable is True and s.host == "127.0.0.1"
    with pytest.raises(AttributeError):
        _ = s.no_such_setting
    assert s.with_values(port=7001).port == 7001
    assert s.port == 7000  # frozen: with_values made a copy


def test_write_settings_round_trips_and_documents_every_key(tmp_path: Path) -> None:
    values = {"org": 'Service "Sahel" \\ Nord', "country": "ML", "classification_levels": ["A"]}
    path = write_settings(tmp_path, values)
    text = path.read_text(encoding="utf-8")
    parsed = tomllib.loads(text)
    assert set(parsed) == {s.name for s in SETTINGS}
    for s in SETTINGS:
        assert f"# {s.help}" in text
    loaded = Settings.load(tmp_path)
    assert loaded.org == values["org"] and loaded.classification_levels == ["A"]
    assert not (tmp_path / "liaison.tmp").exists()


def test_sqlite_path(tmp_path: Path) -> None:
    s = Settings(home=tmp_path)
    assert s.sqlite_path() == tmp_path / "liaison.db"
    assert s.with_values(store="sqlite:////var/x.db").sqlite_path() == Path("/var/x.db")
    assert s.with_values(store="postgresql://db/liaison").sqlite_path() is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("org = ", "not valid TOML"),
        ('org = "a"\norg = "b"\n', "not valid TOML"),
        ("colour = 1\n", "unknown setting 'colour'"),
        ('port = "6100"\n', "port must be of type int"),
        ("port = true\n", "port must be an integer"),
        ("port = 70000\n", "port must be between"),
        ("port = 0\n", "port must be between"),
        ("page_size = -1\n", "must not be negative"),
        ("durable = 1\n", "durable must be of type bool"),
        ("classification_levels = []\n", "classification_levels"),
        ('classification_levels = ["A", "A"]\n', "classification_levels"),
        ('classification_levels = ["A", ""]\n', "classification_levels"),
        ("classification_levels = [1, 2]\n", "classification_levels"),
        ("store = 5\n", "store must be of type str"),
    ],
)
def test_bad_settings_give_one_readable_line(tmp_path: Path, text: str, words: str) -> None:
    home = home_with(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        Settings.load(home)
    message = str(info.value)
    assert words in message
    assert "\n" not in message.strip() or "TOML" in message
    assert str(home / SETTINGS_FILE) in message  # says which file


def test_bad_bytes_are_a_config_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / SETTINGS_FILE).write_bytes(b'org = "\xff"\n')
    with pytest.raises(ConfigError):
        Settings.load(home)


def test_missing_home_or_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a Liaison node home"):
        Settings.load(tmp_path / "absent")
    with pytest.raises(ConfigError, match="settings file missing"):
        Settings.load(tmp_path)


def test_with_values_checks_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        Settings(home=tmp_path).with_values(port="x")
    with pytest.raises(ConfigError):
        write_settings(tmp_path, {"nonsense": 1})


@pytest.mark.parametrize("name", ["page_size", "max_page_size", "max_body_bytes", "max_json_depth"])
def test_zero_sizes_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError):
        Settings.load(home_with(tmp_path, f"{name} = 0\n"))


def test_a_bad_setting_names_its_line_and_the_setting_meant(tmp_path: Path) -> None:
    home = home_with(tmp_path, '# settings\norg = "DGSE"\n\nsync_intervall = 5\nport = "x"\n')
    with pytest.raises(ConfigError) as info:
        Settings.load(home)
    hint = "(did you mean 'sync_interval'?)"
    assert str(info.value) == f"{home / SETTINGS_FILE}:4: unknown setting 'sync_intervall' {hint}"
    (home / SETTINGS_FILE).write_text('org = "DGSE"\nport = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"liaison\.toml:2: port must be of type int"):
        Settings.load(home)


def test_every_setting_has_a_typed_property(tmp_path: Path) -> None:
    """The settings table and ``Settings``' typed properties name the same settings,
    and each property answers the default with the table's type."""
    import inspect

    from liaison.config import SETTINGS, Settings

    props = {n for n, v in inspect.getmembers(Settings) if isinstance(v, property)}
    assert props == {s.name for s in SETTINGS}
    bare = Settings(home=tmp_path)
    for s in SETTINGS:
        value = getattr(bare, s.name)
        assert value == s.default and isinstance(value, s.kind), s.name
