"""Shared helpers for benchmarks: servers on loopback, timing, memory, STIX objects.

Usage::

    from _util import CpuClock, TAXII_HEADERS, make_objects, start_liaison

    bodies = make_objects(1_000)                  # deterministic STIX 2.1, compact JSON
    with start_liaison(workdir) as node:          # init + internal party + serve
        with httpx.Client(auth=node.auth) as client:
            with CpuClock(node.server.pid) as clock:
                client.get(node.objects_url, headers=TAXII_HEADERS)
        print(clock.wall, clock.cpu, node.server.rss_kib())

Nothing here knows about a particular benchmark; keep it that way.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx
import orjson

__all__ = [
    "TAXII",
    "TAXII_HEADERS",
    "CpuClock",
    "LiaisonNode",
    "Server",
    "Stopwatch",
    "cpu_seconds",
    "envelopes",
    "free_port",
    "liaison_command",
    "make_objects",
    "object_ids",
    "percentile",
    "rss_kib",
    "start_liaison",
]

TAXII = "application/taxii+json;version=2.1"
ATTACK = Path(__file__).resolve().parents[2] / "shared/data/attack/mobile-attack-17.0.json"
TAXII_HEADERS = {"Accept": TAXII}


# --- timing ----------------------------------------------------------------------------
class Stopwatch:
    """Wall-clock time of a ``with`` block, in seconds (``time.perf_counter``)."""

    def __init__(self) -> None:
        self.start = 0.0
        self.seconds = 0.0

    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.seconds = time.perf_counter() - self.start


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) with linear interpolation between closest ranks."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError("p must lie in 0..100")
    xs = sorted(values)
    k = (len(xs) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


# --- memory ----------------------------------------------------------------------------
def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (which may hold spaces)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        stat = f.read()
    return stat[stat.rindex(")") + 2 :].split()


def descendants(pid: int) -> list[int]:
    """The live processes below ``pid`` (``liaison serve`` runs its indexing child)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                children.setdefault(int(_stat(int(entry))[1]), []).append(int(entry))
    out: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _rss_one(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def rss_parts_kib(pid: int) -> list[int]:
    """Resident set size of a process, then of each live descendant, in KiB (Linux)."""
    parts = [_rss_one(pid)]
    for child in descendants(pid):
        with contextlib.suppress(OSError, RuntimeError):
            parts.append(_rss_one(child))
    return parts


def rss_kib(pid: int) -> int:
    """Resident set size of a process and its live descendants, in KiB (Linux only)."""
    return sum(rss_parts_kib(pid))


def rss_text(pid: int) -> str:
    """``"212.0 MiB (serve 140.2 + 71.8)"``: the sum, then each process of the tree."""
    parts = rss_parts_kib(pid)
    each = " + ".join(f"{kib / 1024:.1f}" for kib in parts)
    return f"{sum(parts) / 1024:.1f} MiB" + (f" ({each})" if len(parts) > 1 else "")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and of its descendants -- live ones and the
    ones it has waited for -- in seconds, from /proc (Linux only).

    Far less sensitive than wall time to other load on a shared machine.
    """
    ticks = 0
    for i, p in enumerate([pid, *descendants(pid)]):
        try:
            fields = _stat(p)
        except OSError:
            continue  # ended meanwhile: its parent's "children" fields count it once reaped
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
        if i == 0:
            ticks += int(fields[13]) + int(fields[14])  # cutime, cstime: reaped children
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_by_role(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) of ``pid`` and its live descendants, summed by role:
    ``this`` (``pid`` itself), ``serve`` (``liaison serve`` processes), ``index`` (their
    indexing children), ``other``. Subtract two readings to split a block's CPU."""
    out = {"this": 0.0, "serve": 0.0, "index": 0.0, "other": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    for p in [pid, *descendants(pid)]:
        try:
            fields = _stat(p)
            with open(f"/proc/{p}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        role = (
            "this"
            if p == pid
            else "serve"
            if b"serve" in argv
            else "index"
            if b"index" in argv
            else "other"
        )
        out[role] += (int(fields[11]) + int(fields[12])) / tick
    return out


class CpuClock:
    """Wall time of a ``with`` block and the CPU time a process spent during it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.wall = 0.0
        self.cpu = 0.0
        self._t0 = 0.0
        self._c0 = 0.0

    def __enter__(self) -> CpuClock:
        self._c0 = cpu_seconds(self.pid)
        self._t0 = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.wall = time.perf_counter() - self._t0
        self.cpu = cpu_seconds(self.pid) - self._c0


# --- STIX objects ---------------------------------------------------------------------------
_SENTENCES = (
    "Un convoi de pick-up a été observé au nord de Ménaka, transportant du carburant.",
    "Le groupe armé a revendiqué l'attaque contre le poste de la gendarmerie.",
    "Des communications satellitaires ont été interceptées près de la frontière nigérienne.",
    "Source locale fiable : mouvement de combattants vers Tillabéri à l'aube.",
    "The actor reused infrastructure previously attributed to the same cell.",
    "Phishing messages impersonated a humanitarian organisation operating in Gao.",
    "A new command-and-control domain resolved to a hosting provider abroad.",
    "رصد تحركات لمجموعة مسلحة قرب الحدود مع النيجر في ساعات الفجر.",
    "أفاد مصدر محلي بوصول شحنة أسلحة إلى منطقة ليبتاكو غورما.",
    "تم اعتراض اتصالات عبر هاتف ثريا في محيط تمبكتو.",
)
_PLACES = ("Gao", "Ménaka", "Tombouctou", "Kidal", "Mopti", "Tillabéri", "Dori", "Djibo")
_UNITS = ("Unité", "Bataillon", "Groupement", "Brigade", "Direction", "Katiba", "Cellule")
_SYLLABLES = ("ka", "zu", "mor", "tel", "vex", "ri", "dan", "sol", "qu", "ix", "bel", "tor")
_MALWARE = ("backdoor", "remote-access-trojan", "spyware", "dropper", "downloader", "bot")
# TLP 2.0 marking definitions (clear, green, amber), as published with the standard.
_TLP2 = (
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
)
_SDO_TYPES = {"indicator", "malware", "identity", "attack-pattern", "intrusion-set", "campaign"}
_RELS = ("uses", "indicates", "targets", "attributed-to", "related-to")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _text(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.choice(_SENTENCES) for _ in range(rng.randint(lo, hi)))


def _ts(base: datetime, i: int) -> str:
    return (base + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _generated(
    i: int, rng: random.Random, earlier: list[str], sdos: list[str], ident: str
) -> dict[str, Any]:
    """One realistic STIX 2.1 object; the kind and size depend on ``rng`` only."""
    ts = _ts(datetime(2025, 1, 1, tzinfo=UTC), i)
    common = {
        "spec_version": "2.1",
        "created": ts,
        "modified": ts,
        "created_by_ref": ident,
        "object_marking_refs": [rng.choice(_TLP2)],
    }
    roll = rng.random()
    if roll < 0.35 or len(earlier) < 10:
        ip = ".".join(str(rng.randint(1, 254)) for _ in range(4))
        return {
            "type": "indicator",
            "id": f"indicator--{_uuid(rng)}",
            **common,
            "name": f"C2 {ip}",
            "indicator_types": ["malicious-activity"],
            "pattern": f"[ipv4-addr:value = '{ip}']",
            "pattern_type": "stix",
            "valid_from": ts,
            "confidence": rng.randint(10, 95),
        }
    if roll < 0.45:
        return {
            "type": "malware",
            "id": f"malware--{_uuid(rng)}",
            **common,
            "name": "".join(rng.choices(_SYLLABLES, k=3)).capitalize() + str(rng.randint(1, 9)),
            "is_family": rng.random() < 0.5,
            "malware_types": rng.sample(_MALWARE, 2),
            "description": _text(rng, 1, 4),
        }
    if roll < 0.52:
        return {
            "type": "identity",
            "id": f"identity--{_uuid(rng)}",
            **common,
            "name": f"{rng.choice(_UNITS)} {rng.randint(1, 999)} {rng.choice(_PLACES)}",
            "identity_class": "organization",
            "sectors": ["defense"],
        }
    if roll < 0.85:
        return {
            "type": "relationship",
            "id": f"relationship--{_uuid(rng)}",
            **common,
            "relationship_type": rng.choice(_RELS),
            "source_ref": rng.choice(sdos),
            "target_ref": rng.choice(sdos),
        }
    if roll < 0.93:
        return {
            "type": "note",
            "id": f"note--{_uuid(rng)}",
            **common,
            "abstract": f"Observation {rng.choice(_PLACES)}",
            "content": _text(rng, 2, 12),
            "authors": ["analyste"],
            "object_refs": rng.sample(earlier, rng.randint(1, 4)),
        }
    return {
        "type": "report",
        "id": f"report--{_uuid(rng)}",
        **common,
        "name": f"Synthèse {rng.choice(_PLACES)} {i}",
        "report_types": ["threat-report"],
        "published": ts,
        "description": _text(rng, 5, 40),
        "object_refs": rng.sample(earlier, min(len(earlier), rng.randint(3, 60))),
    }


def make_objects(n: int, seed: int = 2, attack: Path | None = ATTACK) -> list[bytes]:
    """``n`` STIX 2.1 objects as compact JSON, the same for a given seed.

    ATT&CK objects (if the bundle is present; its marking definitions first) alternate
    with generated ones until the bundle runs out; generated objects fill up to ``n``.
    Generated objects carry a TLP 2.0 marking and multilingual (fr/ar/en) text.
    """
    rng = random.Random(seed)
    mitre: list[dict[str, Any]] = []
    if attack is not None and attack.is_file():
        mitre = json.loads(attack.read_bytes())["objects"]
        # Marking definitions first: a node must know a marking before objects use it.
        mitre.sort(key=lambda o: o.get("type") != "marking-definition")
    ident = f"identity--{_uuid(rng)}"
    earlier: list[str] = [ident]
    sdos: list[str] = [ident]
    out: list[bytes] = []
    m = 0
    i = 0
    while len(out) < n:
        if m < len(mitre) and len(out) % 2 == 1:
            obj = mitre[m]
            m += 1
        else:
            obj = _generated(i, rng, earlier, sdos, ident)
            i += 1
        earlier.append(obj["id"])
        if obj["type"] in _SDO_TYPES:
            sdos.append(obj["id"])
        for recent in (earlier, sdos):
            if len(recent) > 5000:
                del recent[: len(recent) - 4000]
        out.append(orjson.dumps(obj))
    return out


def object_ids(bodies: list[bytes]) -> list[str]:
    return [orjson.loads(b)["id"] for b in bodies]


def envelopes(bodies: list[bytes], size: int = 500) -> Iterator[tuple[int, bytes]]:
    for start in range(0, len(bodies), size):
        chunk = bodies[start : start + size]
        yield len(chunk), b'{"objects":[' + b",".join(chunk) + b"]}"


# --- servers ---------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A server subprocess on loopback; stopped on ``stop()`` or leaving ``with``.

    ``ready_url`` is polled until the server answers any HTTP response (an
    unauthenticated request is fine: a 401 proves it listens).
    """

    name: str
    argv: list[str]
    ready_url: str
    log_path: Path
    env: dict[str, str] | None = None
    cwd: Path | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError(f"{self.name} is not running")
        return self.proc.pid

    def start(self, timeout: float = 30.0) -> Server:
        self._log = open(self.log_path, "wb")  # noqa: SIM115 -- closed in stop()
        self.proc = subprocess.Popen(
            self.argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.env,
            cwd=self.cwd,
        )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.proc.returncode}:\n{self.log_tail()}"
                )
            with contextlib.suppress(httpx.TransportError):
                httpx.get(self.ready_url, timeout=1.0)
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def rss_text(self) -> str:
        return rss_text(self.pid)

    def wait_idle(self, timeout: float = 120.0, window: float = 1.0, busy: float = 0.05) -> float:
        """Wait until the server uses under ``busy`` of a CPU for ``window`` seconds.

        A server may keep working after it answers (loading models in the background,
        say); measuring then would charge that work to the first requests. Returns the
        seconds waited; gives up quietly after ``timeout``.
        """
        start = time.monotonic()
        last = cpu_seconds(self.pid)
        while time.monotonic() - start < timeout:
            time.sleep(window)
            now = cpu_seconds(self.pid)
            if now - last < busy * window:
                break
            last = now
        return time.monotonic() - start

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# --- a Liaison node --------------------------------------------------------------------
def liaison_command() -> list[str]:
    """How to run the CLI: the venv's console script, else ``python -m liaison``."""
    script = Path(sys.executable).with_name("liaison")
    return [str(script)] if script.exists() else [sys.executable, "-m", "liaison"]


def _run(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} failed: {done.stderr.strip() or done.stdout}")
    return done.stdout


def _field(text: str, name: str) -> str:
    m = re.search(rf"^{name}\s+(\S+)", text, re.MULTILINE)
    if m is None:
        raise RuntimeError(f"no {name!r} line in:\n{text}")
    return m.group(1)


@dataclass
class LiaisonNode:
    """A node home with one internal party, served on loopback."""

    home: Path
    base_url: str
    collection_id: str
    party: str
    token: str
    server: Server

    @property
    def auth(self) -> tuple[str, str]:
        return (self.party, self.token)

    @property
    def api_root_url(self) -> str:
        return f"{self.base_url}/api/"

    @property
    def objects_url(self) -> str:
        return f"{self.api_root_url}collections/{self.collection_id}/objects/"

    @property
    def manifest_url(self) -> str:
        return f"{self.api_root_url}collections/{self.collection_id}/manifest/"


@contextlib.contextmanager
def start_liaison(
    home: Path, *, org: str = "Bench", country: str = "FR", party: str = "bench"
) -> Iterator[LiaisonNode]:
    """``liaison init`` a fresh home, add an internal party, serve it; stop on exit.

    Yields once the server answers and has gone idle (see ``Server.wait_idle``).
    """
    cli = liaison_command()
    out = _run([*cli, "init", str(home), "--org", org, "--country", country])
    collection_id = _field(out, "collection")
    token = _field(_run([*cli, "party", "add", str(home), party, "--internal"]), "credential")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    server = Server(
        name="liaison",
        argv=[*cli, "serve", str(home), "--port", str(port)],
        ready_url=f"{base}/taxii2/",
        log_path=home / "serve.log",
        env=env,
    )
    with server:
        server.start()
        server.wait_idle()
        yield LiaisonNode(home, base, collection_id, party, token, server)
