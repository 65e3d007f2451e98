"""Real nodes over real HTTP on loopback: ``liaison`` run as a subprocess.

``make_home(tmp)`` creates a node home with the CLI and registers an internal party
and a partner party, returning their credentials. ``LiveServer`` runs ``liaison serve``
on a free port and can stop it politely or with SIGKILL. ``live_server`` is one
session-scoped server shared by the read-mostly tests; tests that kill or reconfigure
a server make their own.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
TAXII = "application/taxii+json;version=2.1"


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "liaison", *args],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=60,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"liaison {' '.join(args)} failed: {proc.stderr}")
    return proc


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def set_setting(home: Path, line: str) -> None:
    toml = home / "liaison.toml"
    key = line.split("=", 1)[0].strip()
    text, n = re.subn(rf"^{re.escape(key)} = .*$", lambda _: line, toml.read_text(), flags=re.M)
    toml.write_text(text if n else text + "\n" + line + "\n")


@dataclass
class Home:
    path: Path
    collection_id: str
    tokens: dict[str, str] = field(default_factory=dict)

    def add_party(self, name: str, *args: str) -> str:
        out = run_cli("party", "add", str(self.path), name, *args).stdout
        m = re.search(r"^credential\s+(\S+)$", out, re.MULTILINE)
        assert m, out
        self.tokens[name] = m.group(1)
        return m.group(1)


def make_home(path: Path, *settings: str) -> Home:
    """A node home made by ``liaison init``, with an internal ``analyst`` and a partner."""
    out = run_cli("init", str(path), "--org", "DGSE liaison", "--country", "FR").stdout
    m = re.search(r"^collection\s+(\S+) \(default\)$", out, re.MULTILINE)
    assert m, out
    for line in settings:  # "key = value" replaces the key's line written by init
        set_setting(path, line)
    home = Home(path=path, collection_id=m.group(1))
    home.add_party("analyst", "--internal")
    home.add_party("partner")
    return home


class LiveServer:
    """``liaison serve HOME`` as a child process on a free loopback port."""

    def __init__(self, home: Home) -> None:
        self.home = home
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = home.path / "serve.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def discovery(self) -> str:
        return f"{self.url}/taxii2/"

    @property
    def api_root(self) -> str:
        return f"{self.url}/api/"

    @property
    def collection_url(self) -> str:
        return f"{self.api_root}collections/{self.home.collection_id}/"

    def start(self, timeout: float = 20.0) -> LiveServer:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "liaison",
                    "serve",
                    str(self.home.path),
                    "--port",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=cli_env(),
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.log.read_text()}")
            try:
                r = httpx.get(self.discovery, timeout=1.0)
                if r.status_code == 401:  # up, and refusing anonymous callers
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"server not ready after {timeout}s:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def collection_url_of(self, collection_id: str) -> str:
        return f"{self.api_root}collections/{collection_id}/"

    def new_collection(self, title: str) -> tuple[str, str]:
        """A new collection and an internal party that reads and writes it: (id, party).

        Made in-process with the node API (the server sees it on its next request).
        """
        from liaison.node import Node

        node = Node.open(self.home.path)
        try:
            c = node.add_collection(title)
            party = f"p-{title}"
            _, token = node.add_party(party, internal=True, read=[c.id], write=[c.id])
        finally:
            node.close()
        self.home.tokens[party] = token
        return c.id, party

    def client(self, party: str = "analyst", **kw: object) -> httpx.Client:
        """An httpx client with TAXII headers and the party's Bearer credential."""
        headers = {"Accept": TAXII, "Authorization": f"Bearer {self.home.tokens[party]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the whole session; tests use their own collections or ids."""
    home = make_home(tmp_path_factory.mktemp("live") / "home")
    server = LiveServer(home).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with small limits: 4000-byte bodies, JSON depth 16, pages of 2."""
    home = make_home(
        tmp_path_factory.mktemp("small") / "home",
        "max_body_bytes = 4000",
        "max_json_depth = 16",
        "page_size = 2",
    )
    server = LiveServer(home).start()
    yield server
    server.stop()


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli(*args, check=True)``: run ``python -m liaison ARGS`` in a subprocess."""
    return run_cli


@pytest.fixture
def home_factory(tmp_path: Path) -> Callable[..., Home]:
    """``home_factory(*toml_lines) -> Home``: a new node home under ``tmp_path``."""
    n = iter(range(1000))

    def make(*settings: str) -> Home:
        return make_home(tmp_path / f"home{next(n)}", *settings)

    return make


@pytest.fixture
def server_factory(home_factory: Callable[..., Home]) -> Iterator[Callable[..., LiveServer]]:
    """``server_factory(*toml_lines, home=None) -> LiveServer``, started; stopped at the end."""
    servers: list[LiveServer] = []

    def make(*settings: str, home: Home | None = None) -> LiveServer:
        server = LiveServer(home or home_factory(*settings))
        servers.append(server)
        return server.start()

    yield make
    for s in servers:
        s.stop()


def bare(objects: list[dict[str, object]]) -> list[dict[str, object]]:
    """The objects as their authors posted them: each must carry the node's origin
    signature (an extension added on ingest), which is removed here."""
    from liaison.signing.objects import signature_of, strip_signature

    for o in objects:
        assert signature_of(o) is not None, f"{o.get('id')} is not signed"
    return [strip_signature(o) for o in objects]


@pytest.fixture
def unsigned() -> Callable[[list[dict[str, object]]], list[dict[str, object]]]:
    """``unsigned(objects)``: check each is signed, return them without the signature."""
    return bare


def _check_stix(objects: list[dict[str, object]]) -> None:
    from stix2validator import ValidationOptions, validate_instance

    options = ValidationOptions(version="2.1")
    for obj in objects:
        result = validate_instance(obj, options)
        assert result.is_valid, f"{obj.get('id')}: {[str(e) for e in result.errors]}"


@pytest.fixture
def assert_stix_valid() -> Callable[[list[dict[str, object]]], None]:
    """``assert_stix_valid(objects)``: each object passes the OASIS ``stix2-validator``."""
    return _check_stix
