"""The checking half of a pull, in a process of its own: the sync's second core.

A pull stores one page while the next is fetched and checked (``liaison.sync.pull``).
In threads of one process the two halves share one interpreter lock, so a sync used
one core. ``Checker`` runs a child process (``main`` below) that,
for one partner collection at a time, fetches the pages over HTTP and runs the checks
that need no store: STIX validation and the origin signatures (``check_signed``, with
the keyring the parent hands it). It sends back each page checked, with the bytes of
every valid object as they will be stored and its searchable text. The parent keeps
everything that touches the store, in the order it had: the audit entries of refused
signatures, admission under the agreement, storage, receipts, checkpoints.

Flow: the parent asks for a page (``request``), the child checks it, sends it, and
waits for the next request -- so it never checks more than one page ahead, as the
prefetching thread did. Only the reading runs one page further: while a page is
checked, the next one is read (the partner serves it meanwhile; ``_Reader``). The
parent sends the keyring again when it changed (a key revoked or rotated during a
long pull): a page is checked with the keyring of the request that asked for it.

Failures: an error in the child (the partner unreachable, an answer that is not JSON)
is sent back and raised in the parent as the same exception; a child that dies
(killed, out of memory) is seen at once (its end of the socket closes) and raised as a
``PeerError``; the parent ending (Ctrl-C, an error) stops the child (``close``), and a
child whose parent vanished sees the socket close and exits.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Generic, TypeVar

import orjson

from liaison.errors import LiaisonError
from liaison.service.checking import Checked
from liaison.service.ingest import Defaulted
from liaison.service.peers import Peer
from liaison.signing.objects import Keyring
from liaison.sync.client import PeerClient, PeerError

__all__ = ["CheckedPage", "Checker", "Job", "Later", "available", "check_page", "parsed"]


Keys = tuple[Keyring, frozenset[str]]
T = TypeVar("T")

# The child imports only what the checks need (``liaison.service.checking``, the HTTP
# client): its start is CPU taken from the pull. httpx imports its command line (click,
# rich, pygments: 45-130 ms) when it can; a None in ``sys.modules`` makes that import
# fail, which httpx expects (it then has no ``httpx.main``, unused here).
_CHILD = (
    "import sys; sys.modules['httpx._main'] = None; "
    "from liaison.sync.checker import main; main(sys.argv[1:])"
)


#: the send buffer asked for the child's end (the system caps it: net.core.wmem_max)
_SOCKET_BUFFER = 8 << 20


@dataclass(frozen=True)
class Job:
    """Pages of one partner collection to fetch and check, from ``token`` on."""

    peer: Peer
    party: str  # the partner's party name here
    collection_id: str  # at the partner
    since: str | None  # added_after
    token: str | None  # the next page's token (None: the first page)
    page_size: int
    keys: Keys


@dataclass(frozen=True)
class CheckedPage:
    """One page fetched and checked; ``refused``: objects whose origin signature failed,
    with the reason, for the parent's audit log (they are failures in ``checked``)."""

    checked: Checked | None  # None: an empty page
    refused: list[tuple[dict[str, Any], str]]
    more: bool
    next_token: str | None
    last_added: str | None


def available() -> bool:
    """Is there a second core to check on (and a POSIX system to start the child on)?"""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return os.name == "posix" and cores >= 2 and bool(sys.executable)


class Checker:
    """The parent's handle on the checking child of one pull (started at first use)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._job: Job | None = None
        self._keys: Keys | None = None
        self._asked = False
        self._ready = False

    def start(self) -> None:
        """Start the child now if it is not running (it takes a second to import)."""
        if self._conn is None:
            self._start()

    def ready(self) -> bool:
        """Has the child started (and said so)? ``PeerError`` if it died meanwhile."""
        if not self._ready and self._conn is not None:
            try:
                if self._conn.poll(0):
                    self._ready = self._conn.recv() == ("ready", None)
            except (EOFError, OSError):
                raise self._died() from None
        return self._ready

    def _start(self) -> Connection:
        parent, child = socket.socketpair()
        # A checked page is about 2 MB: room for it whole in the socket (where the
        # system allows), so the child's send ends at once and the parent's receive is
        # a copy -- not a relay of 200 KB chunks, each waiting for the child to be run.
        with contextlib.suppress(OSError):
            child.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SOCKET_BUFFER)
        src = str(Path(__file__).resolve().parents[2])  # the liaison this process runs
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(child.fileno())],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # Ctrl-C reaches the parent alone: it stops the child
            )
        finally:
            child.close()
        self._conn = Connection(parent.detach())
        self._ready = False
        return self._conn

    def request(self, job: Job) -> None:
        """Ask for the page ``job`` points to: its first if the job is new, else the next."""
        if self._asked:
            raise RuntimeError("the previous page was not taken")
        conn = self._conn or self._start()
        if self._job is None or (job.peer, job.collection_id, job.since) != (
            self._job.peer,
            self._job.collection_id,
            self._job.since,
        ):
            self._send(conn, ("job", job))
        else:
            keys = None if job.keys == self._keys else job.keys
            self._send(conn, ("next", job.token, keys))
        self._job, self._keys, self._asked = job, job.keys, True

    def take(self, *, parse: bool = True) -> CheckedPage:
        """The page asked for; raises what the child raised, or ``PeerError`` if it died.

        ``parse=False``: its valid objects are left as the bytes the child sent
        (``parsed`` makes them objects): the next page can be asked for first, so the
        child checks it while this one is parsed."""
        conn = self._conn
        if conn is None or not self._asked:
            raise RuntimeError("no page was asked for")
        try:
            while True:
                while not conn.poll(1.0):
                    if self._proc is not None and self._proc.poll() is not None:
                        raise EOFError
                kind, got = conn.recv()
                if kind != "ready":  # (if ``ready`` was not asked)
                    break
                self._ready = True
        except (EOFError, OSError):
            raise self._died() from None
        self._asked = False
        if kind == "error":
            self._job = None  # the child dropped the job
            raise got
        page: CheckedPage = parsed(got) if parse else got
        if page.more and page.next_token:
            assert self._job is not None
            self._job = replace(self._job, token=page.next_token)
        else:
            self._job = None
        return page

    def _send(self, conn: Connection, msg: tuple[Any, ...]) -> None:
        try:
            conn.send(msg)
        except OSError:
            raise self._died() from None

    def _died(self) -> PeerError:
        code = None
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self._proc.wait(timeout=1)
        self.close()
        return PeerError(
            f"the sync's checking process ended unexpectedly (exit status {code}); "
            "sync again: it resumes after the last page stored"
        )

    def close(self) -> None:
        """Stop the child (it holds no state worth keeping: pages in hand are fetched
        again from the checkpoint)."""
        conn, proc = self._conn, self._proc
        self._conn = self._proc = None
        self._job, self._asked, self._ready = None, False, False
        if conn is not None:
            conn.close()  # the child sees the socket close and exits
        if proc is not None:
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def parsed(page: CheckedPage) -> CheckedPage:
    """``page`` with its valid objects parsed from the bytes the child sent."""
    got = page.checked
    if got is None or got.bodies is None:
        return page
    # one array parsed: each body is one JSON object (``orjson.dumps``)
    valid = orjson.loads(b"[" + b",".join(got.bodies) + b"]") if got.bodies else []
    return replace(page, checked=replace(got, valid=valid, batch=Defaulted(valid)))


# --- the child ----------------------------------------------------------------------------
def check_page(
    party: str, collection_id: str, objs: list[Any], keys: Keys
) -> tuple[Checked, list[tuple[dict[str, Any], str]]]:
    """The checks of one fetched page (``check_signed`` with the keyring ``keys``), and
    what storing needs of each valid object and costs CPU to make: made here, on this
    core. The objects travel as their bytes alone (the parent parses them again: cheaper
    than pickling the dicts -- bench_receive_cpu.py --split), with their searchable text.

    ``objs`` is consumed (``check_signed(..., encoded=True)``): each item is None after."""
    from liaison.service.checking import check_signed
    from liaison.signing.objects import verify_object

    ring, revoked = keys
    is_revoked = revoked.__contains__
    return check_signed(
        party,
        collection_id,
        objs,
        lambda obj: verify_object(obj, ring, is_revoked),
        encoded=True,
    )


#: one page as the partner sent it: (objects, more, next token, X-TAXII-Date-Added-Last)
Raw = tuple[list[Any], bool, str | None, str | None]


def _read(client: Any, job: Job) -> Raw:
    objs, more, next_token, last_added = client.objects_page(
        job.collection_id, added_after=job.since, limit=job.page_size, next_token=job.token
    )
    return objs, more, next_token, last_added


def _checked(job: Job, raw: Raw, keys: Keys) -> CheckedPage:
    objs, more, next_token, last_added = raw
    if not objs:
        return CheckedPage(None, [], more, next_token, last_added)
    checked, refused = check_page(job.party, job.peer.into, objs, keys)
    return CheckedPage(checked, refused, more, next_token, last_added)


class Later(Generic[T]):
    """``work()`` run in a daemon thread of its own: its answer, or what it raised, when
    asked (``result``). A daemon: a process told to stop does not wait for it."""

    def __init__(self, work: Callable[[], T], name: str = "liaison-later") -> None:
        self._done = threading.Event()
        self._value: T | None = None
        self._exc: BaseException | None = None
        threading.Thread(target=self._run, args=(work,), name=name, daemon=True).start()

    def _run(self, work: Callable[[], T]) -> None:
        try:
            self._value = work()
        except BaseException as exc:  # raised by ``result``
            self._exc = exc
        finally:
            self._done.set()

    def wait(self) -> None:
        """Until the work ended (its answer or error kept)."""
        self._done.wait()

    def result(self) -> T:
        self._done.wait()
        if self._exc is not None:
            raise self._exc
        return self._value  # type: ignore[return-value]


class _Ahead(Later[Raw]):
    """A page being read (the HTTP request and the JSON parse) while the page before it
    is checked."""

    def __init__(self, key: tuple[Any, ...], read: Callable[[], Raw]) -> None:
        self.key = key
        super().__init__(read, "liaison-read-ahead")


class _Reader:
    """The child's reads of a partner's pages: the page asked for is checked while the
    next one is read, so the partner's serving and the network overlap the checks.

    Only the reading runs ahead, by one page: a page is checked when the parent asks
    for it, with the keyring it sends then (as before). One read at a time on the
    client: a page is read here only once the read ahead, if any, has ended."""

    def __init__(self) -> None:
        self.client: PeerClient | None = None
        self._ahead: _Ahead | None = None

    @staticmethod
    def _key(job: Job) -> tuple[Any, ...]:
        return (job.peer, job.collection_id, job.since, job.token, job.page_size)

    def use(self, peer: Peer) -> None:
        """Read from ``peer`` from now on (a new client if it is another partner)."""
        if self.client is None or self.client.peer != peer:
            self._settle()
            if self.client is not None:
                self.client.close()
            self.client = PeerClient(peer)

    def _settle(self) -> _Ahead | None:
        """The read ahead, taken; ended first (its answer or error kept in it)."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.wait()
        return ahead

    def page(self, job: Job) -> Raw:
        """The page ``job`` points to (read ahead already, or read now); the next one
        is then read ahead if there is one. Raises what reading the page raised."""
        client = self.client
        assert client is not None
        ahead = self._settle()
        if ahead is not None and ahead.key == self._key(job):
            raw = ahead.result()
        else:
            raw = _read(client, job)
        _, more, next_token, _ = raw
        if more and next_token:
            nxt = replace(job, token=next_token)
            self._ahead = _Ahead(self._key(nxt), lambda: _read(client, nxt))
        return raw

    def close(self) -> None:
        self._ahead = None  # a daemon thread: left to end on its own
        if self.client is not None:
            self.client.close()


def _portable(exc: BaseException) -> BaseException:
    """``exc`` as the parent can raise it: Liaison's errors as they are, anything else
    (a bug) with the child's traceback in a note."""
    if not isinstance(exc, LiaisonError):
        exc.add_note("in the sync's checking process:\n" + "".join(traceback.format_exception(exc)))
    try:
        pickle.dumps(exc)
    except Exception:  # an exception that does not survive pickling
        return RuntimeError(f"in the sync's checking process: {type(exc).__name__}: {exc}")
    return exc


def serve(conn: Connection) -> None:
    """The child's loop: jobs and requests from the parent, pages back, until it leaves."""
    from liaison.service import checking  # noqa: F401  (loaded before "ready")
    from liaison.service.runtime import tune_gc

    tune_gc()
    try:
        conn.send(("ready", None))
    except OSError:
        return
    reader = _Reader()
    job: Job | None = None
    keys: Keys = ({}, frozenset())
    try:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                return  # the parent closed the socket or died
            if msg[0] == "job":
                job = msg[1]
                keys = job.keys
                reader.use(job.peer)
            elif msg[0] == "next" and job is not None:
                job = replace(job, token=msg[1])
                if msg[2] is not None:
                    keys = msg[2]
            else:
                return
            try:
                reply: tuple[str, Any] = ("page", _checked(job, reader.page(job), keys))
            except Exception as exc:
                reply, job = ("error", _portable(exc)), None
            try:
                conn.send(reply)
            except OSError:
                return
    finally:
        reader.close()


def main(argv: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    serve(Connection(int(argv[0])))
    # Done: the child holds nothing to write or release, and the interpreter's
    # teardown of what a pull's pages left (caches, the read-ahead thread) costs tens
    # of milliseconds that the parent, closing, would wait for. (A bug in ``serve``
    # raised above still ends the process with its traceback.)
    sys.stderr.flush()
    os._exit(0)
