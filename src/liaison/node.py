"""A node home: settings, identity key, store and the node's STIX identity.

``Node.init`` creates a home; ``Node.open`` opens one and checks it. Everything an
operator or the HTTP layer does to a node goes through a ``Node`` (and the services
in ``liaison.service``), never through files or SQL directly.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import os
import secrets
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from liaison.agreements import Agreement, AgreementParty
from liaison.agreements.spec import AgreementSpec
from liaison.checks import check_country, check_identity_id, check_key, check_name, check_url
from liaison.config import SETTINGS_FILE, Settings, check, write_settings
from liaison.errors import (
    AgreementError,
    ConfigError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from liaison.markings.defaults import DefaultHandling
from liaison.signing import SigningKey, load_or_create_key
from liaison.store import (
    Collection,
    PartyRecord,
    Permission,
    Store,
    format_us,
    now_us,
    open_store,
)

__all__ = [
    "DEFAULT_COLLECTION_TITLE",
    "KEY_FILE",
    "Node",
    "check_name",
    "hash_token",
    "new_token",
]

KEY_FILE = "node.key"
DEFAULT_COLLECTION_TITLE = "default"
# A fixed namespace so that a node's default collection id is stable per identity.
_NS = uuid.UUID("6f0f2f5e-4a52-4f61-9c1e-6c6961697361")


def new_token() -> str:
    """A fresh credential for a party (shown once, stored only as its hash)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of a credential."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class Node:
    """An open node home. Use it as a context manager, or call ``close()``."""

    home: Path
    settings: Settings
    key: SigningKey
    store: Store
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    # --- lifecycle --------------------------------------------------------------------
    @classmethod
    def init(cls, home: Path, *, org: str, country: str, **settings: Any) -> Node:
        """Create a node home; every input is checked before anything is written.

        If a step fails after files were made, what this call created is removed again
        (tables already created in a PostgreSQL database stay).
        """
        country = check_country(country)
        if not org.strip():
            raise InvalidInputError("--org must not be empty")
        values = {"org": org.strip(), "country": country, **settings}
        check(values, "settings")
        if (home / SETTINGS_FILE).exists():
            raise ConflictError(f"{home} is already a Liaison node home")
        if home.exists() and not home.is_dir():
            raise ConfigError(f"{home} exists and is not a folder")
        created = _Created.before(home, Settings(home=home, values=values))
        try:
            home.mkdir(parents=True, exist_ok=True)
            home.chmod(0o700)  # intelligence, keys and credentials live here
            load_or_create_key(home / KEY_FILE)
            values["identity_id"] = f"identity--{uuid.uuid4()}"
            write_settings(home, values)
            node = cls.open(home, create=True)
        except BaseException:
            created.undo()
            raise
        try:
            node.store.put_record("identity", "self", node.identity_object())
            node.add_collection(
                DEFAULT_COLLECTION_TITLE,
                "Default collection of this node",
                collection_id=node.default_collection_id,
            )
        except BaseException:
            node.close()
            created.undo()
            raise
        return node

    @classmethod
    def open(cls, home: Path, *, create: bool = False) -> Node:
        """Open an existing home (``create``: a new one, whose schema is then made)."""
        settings = Settings.load(home)
        if not settings.identity_id or not settings.org:
            raise ConfigError(f"{home / SETTINGS_FILE}: org and identity_id must be set")
        key_path = home / KEY_FILE
        if not key_path.exists():
            raise ConfigError(f"{key_path}: identity key missing")
        key = load_or_create_key(key_path)
        store = open_store(settings.store, home=home, durable=settings.durable, create=create)
        if create:
            store.migrate()
        elif store.pending_migrations():
            pending = ", ".join(map(str, store.pending_migrations()))
            store.close()
            raise ConfigError(
                f"{home}: the store needs schema migration(s) {pending}:"
                f" run `liaison migrate {home}`"
            )
        return cls(home=home, settings=settings, key=key, store=store)

    def on_close(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` (stop a worker) before the store closes."""
        self._closers.append(callback)

    def close(self) -> None:
        """Stop the workers registered with ``on_close``, then close the store."""
        for callback in self._closers:
            callback()
        self._closers.clear()
        self.store.close()

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        """Held while ``liaison serve`` runs on this home (a shared lock: several server
        processes may share a home); ``exclusive`` operations refuse meanwhile."""
        busy = f"cannot serve {self.home}: a key rotation is under way; try again"
        with _home_lock(self.home, fcntl.LOCK_SH | fcntl.LOCK_NB, busy):
            yield

    @contextlib.contextmanager
    def exclusive(self, what: str) -> Iterator[None]:
        """For operations a running server must not miss (a key rotation)."""
        with _home_lock(
            self.home,
            fcntl.LOCK_EX | fcntl.LOCK_NB,
            f"{what}: `liaison serve` is running on {self.home}; stop it first",
        ):
            yield

    def __enter__(self) -> Node:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- identity ---------------------------------------------------------------------
    @property
    def identity_id(self) -> str:
        return self.settings.identity_id

    @property
    def default_collection_id(self) -> str:
        return str(uuid.uuid5(_NS, self.identity_id))

    def identity_object(self) -> dict[str, Any]:
        """The node's STIX identity (as stored at init; built if not stored yet)."""
        stored = self.store.record("identity", "self")
        if stored:
            return stored
        ts = format_us(now_us())[:-4] + "Z"  # millisecond precision
        return {
            "type": "identity",
            "spec_version": "2.1",
            "id": self.identity_id,
            "created": ts,
            "modified": ts,
            "name": self.settings.org,
            "identity_class": "organization",
            "sectors": ["defense"],
            "contact_information": f"Liaison node, country {self.settings.country}",
            "x_liaison_public_key": self.key.public_key_b64,
            "x_liaison_country": self.settings.country,
        }

    def token_secret(self) -> bytes:
        """Key for MACs on pagination tokens, derived from the identity key."""
        return hmac.new(self.key.seed_b64().encode(), b"liaison/next-token", "sha256").digest()

    def names(self) -> dict[str, str]:
        """Identity id -> a name a person knows it by: this node's organisation, partners."""
        out = {p.identity_id: p.name for p in self.store.parties() if not p.internal}
        out[self.identity_id] = self.settings.org
        return out

    # --- agreements -------------------------------------------------------------------
    def agreement_party(self, name: str | None = None) -> AgreementParty:
        """This node (no ``name``) or the partner ``name`` as an agreement names it."""
        if name is None:
            levels = tuple(self.settings.classification_levels)
            return AgreementParty(
                self.identity_id, self.settings.org, self.key.public_key_b64, levels
            )
        rec = self.store.party(name)
        if rec.internal:
            raise AgreementError(f"{name} is an internal party, not a partner")
        if not rec.public_key_b64:
            raise AgreementError(
                f"party {name} has no pinned public key (liaison party set … --public-key)"
            )
        return AgreementParty(rec.identity_id, rec.name, rec.public_key_b64, ())

    def propose_agreement(self, spec: AgreementSpec, now: datetime | None = None) -> Agreement:
        """An unsigned agreement from a checked spec naming partners by party name."""
        return spec.propose(me=self.agreement_party(), partner=self.agreement_party, now=now)

    # --- collections ------------------------------------------------------------------
    def add_collection(
        self,
        title: str,
        description: str = "",
        *,
        collection_id: str | None = None,
        alias: str | None = None,
        default: DefaultHandling | None = None,
    ) -> Collection:
        """Create a collection; titles and aliases are unique among all collections.

        ``default``: the handling given at ingest to what local clients post unmarked.
        """
        if not title.strip():
            raise InvalidInputError("collection title must not be empty")
        if alias is not None:
            check_name(alias, "collection alias")
        taken = {}
        for c in self.store.collections():
            taken[c.title] = c
            if c.alias:
                taken[c.alias] = c
        for name in (title.strip(), alias):
            if name is not None and name in taken:
                raise ConflictError(
                    f"collection {taken[name].id} is already called {name!r}:"
                    " titles and aliases must be unique"
                )
        c = Collection(
            id=collection_id or str(uuid.uuid4()),
            title=title.strip(),
            description=description,
            alias=alias,
        )
        self.store.add_collection(c)
        if default is not None:
            self.store.set_collection_default(c.id, default.to_json())
        return c

    def set_collection_default(self, ref: str, default: DefaultHandling | None) -> Collection:
        """Set (None: remove) the default handling of the collection ``ref``."""
        c = self.resolve_collection(ref)
        self.store.set_collection_default(c.id, None if default is None else default.to_json())
        return c

    def collection_default(self, collection_id: str) -> DefaultHandling | None:
        """The handling unmarked objects posted by local clients get in this collection."""
        found = self.store.collection_default(collection_id)
        return None if found is None else DefaultHandling.from_json(found)

    def resolve_collection(self, ref: str) -> Collection:
        """A collection by id, or by title or alias when exactly one has it."""
        cols = self.store.collections()
        for c in cols:
            if c.id == ref:
                return c
        named = [c for c in cols if ref in (c.title, c.alias)]
        if len(named) == 1:
            return named[0]
        if named:
            raise InvalidInputError(
                f"{len(named)} collections are called {ref!r}: give the id"
                f" ({', '.join(c.id for c in named)})"
            )
        raise NotFoundError(f"no collection {ref!r} (liaison collection list)")

    # --- parties ----------------------------------------------------------------------
    def add_party(
        self,
        name: str,
        *,
        identity_id: str = "",
        internal: bool = False,
        read: Sequence[str] | None = None,
        write: Sequence[str] | None = None,
        public_key_b64: str = "",
        url: str = "",
    ) -> tuple[PartyRecord, str]:
        """Register a party; return it and its credential (shown once, stored hashed).

        Every argument is checked first; nothing is stored unless all are valid.
        """
        check_name(name, "party name")
        if internal and (identity_id or public_key_b64 or url):
            raise InvalidInputError(
                "an internal party acts as this node: --identity, --public-key and --url"
                " are for partners"
            )
        # Write access is granted only as asked. A local client with no --read/--write
        # reads and writes the default collection (a plain TAXII client's expectation);
        # a partner only reads it: partners are not trusted writers (ADR 0005).
        default_write = [] if (read or not internal) else [self.default_collection_id]
        read_ids = self._collection_ids(read or [self.default_collection_id])
        write_ids = self._collection_ids(write or default_write)
        token = new_token()
        party = PartyRecord(
            name=name,
            identity_id=identity_id
            or (self.identity_id if internal else f"identity--{uuid.uuid4()}"),
            internal=internal,
            token_hash=hash_token(token),
            public_key_b64=public_key_b64,
            url=url,
            permissions=_permissions(read_ids, write_ids),
        )
        self._check_party(party)
        try:
            self.store.add_party(party)
        except ConflictError as exc:
            raise ConflictError(f"party {name!r} already exists") from exc
        return party, token

    def set_party(
        self,
        name: str,
        *,
        identity_id: str | None = None,
        read: Sequence[str] | None = None,
        write: Sequence[str] | None = None,
        public_key_b64: str | None = None,
        url: str | None = None,
    ) -> PartyRecord:
        """Change a party's identity, pinned key, URL or access; ``None`` keeps a value.

        ``read``/``write`` replace the collections it may read/write. The identity of a
        partner changes only while nothing cites it (objects, agreements, consents…).
        """
        old = self.store.party(name)
        if old.internal and (identity_id or public_key_b64 or url):
            raise InvalidInputError(
                f"{name} is an internal party: --identity, --public-key and --url are for partners"
            )
        perms = old.permissions
        if read is not None or write is not None:
            read_ids = (
                self._collection_ids(read)
                if read is not None
                else [p.collection_id for p in perms if p.can_read]
            )
            write_ids = (
                self._collection_ids(write)
                if write is not None
                else [p.collection_id for p in perms if p.can_write]
            )
            perms = _permissions(read_ids, write_ids)
        new = replace(
            old,
            identity_id=old.identity_id if identity_id is None else identity_id,
            public_key_b64=old.public_key_b64 if public_key_b64 is None else public_key_b64,
            url=old.url if url is None else url,
            permissions=perms,
        )
        self._check_party(new)
        if new.identity_id != old.identity_id:
            cited = self.store.party_citations(name)
            if cited:
                raise ConflictError(
                    f"the identity of {name} cannot change: it is cited ({'; '.join(cited)})"
                )
        self.store.update_party(new)
        return new

    def remove_party(self, name: str) -> None:
        """Delete a party that nothing cites; otherwise ``ConflictError`` says what does."""
        self.store.remove_party(name)

    def party(self, name: str) -> PartyRecord:
        """A party by name (``NotFoundError`` if none)."""
        return self.store.party(name)

    def parties(self) -> list[PartyRecord]:
        return self.store.parties()

    def partners(self) -> list[PartyRecord]:
        """The parties that are other organisations (not this node's own clients)."""
        return [p for p in self.store.parties() if not p.internal]

    def disable_party(self, name: str) -> PartyRecord:
        """Refuse the party's credential from now on (its records stay)."""
        party = replace(self.store.party(name), disabled=True)
        self.store.update_party(party)
        return party

    def collections(self) -> list[Collection]:
        return self.store.collections()

    def count_objects(self, collection_id: str | None = None) -> int:
        """Stored object versions (in one collection, or all)."""
        return self.store.count_objects(collection_id)

    @staticmethod
    def migrate(home: Path) -> tuple[list[int], int]:
        """Apply the home's pending store migrations: (versions applied, schema version)."""
        settings = Settings.load(home)
        store = open_store(settings.store, home=home, durable=settings.durable)
        try:
            return store.migrate(), store.schema_version()
        finally:
            store.close()

    def _collection_ids(self, refs: Sequence[str]) -> list[str]:
        return [self.resolve_collection(r).id for r in refs]

    def _check_party(self, p: PartyRecord) -> None:
        """Raise unless ``p`` may be stored beside the other parties."""
        if p.internal:
            return
        check_identity_id(p.identity_id)
        if p.public_key_b64:
            check_key(p.public_key_b64, "--public-key")
        if p.url:
            check_url(p.url, "--url")
        if p.identity_id == self.identity_id:
            raise InvalidInputError(f"{p.identity_id} is this node's own identity")
        for other in self.store.parties():
            if other.name == p.name or other.internal:
                continue
            if other.identity_id == p.identity_id:
                raise ConflictError(f"party {other.name} has identity {p.identity_id} already")
            if p.public_key_b64 and other.public_key_b64 == p.public_key_b64:
                raise ConflictError(f"party {other.name} has this public key pinned already")

    def authenticate(self, name: str | None, token: str) -> PartyRecord | None:
        """The party a credential belongs to, or None. Constant-time on the token."""
        digest = hash_token(token)
        party = self.store.party_by_token_hash(digest)
        if party is None or party.disabled:
            # Compare anyway so that timing does not say whether the hash exists.
            hmac.compare_digest(digest, "0" * 64)
            return None
        if not hmac.compare_digest(party.token_hash, digest):
            return None
        if name is not None and not hmac.compare_digest(party.name.encode(), name.encode()):
            return None
        return party

    def describe(self) -> dict[str, Any]:
        """What ``liaison info`` prints."""
        return {
            "home": str(self.home),
            "org": self.settings.org,
            "country": self.settings.country,
            "identity_id": self.identity_id,
            "fingerprint": self.key.fingerprint,
            "store": self.store.description,
            "collections": [c.title for c in self.store.collections()],
            "parties": [p.name for p in self.store.parties()],
        }


def _permissions(read_ids: Sequence[str], write_ids: Sequence[str]) -> tuple[Permission, ...]:
    return tuple(
        Permission(cid, cid in read_ids, cid in write_ids)
        for cid in sorted(set(read_ids) | set(write_ids))
    )


@dataclass(frozen=True)
class _Created:
    """What ``Node.init`` may create, so that a failed init leaves no half-made home."""

    home: Path
    new_home: bool
    new_files: tuple[Path, ...]

    @classmethod
    def before(cls, home: Path, settings: Settings) -> _Created:
        db = settings.sqlite_path()
        files = [home / KEY_FILE, home / SETTINGS_FILE]
        if db is not None:
            files += [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
        return cls(home, not home.exists(), tuple(f for f in files if not f.exists()))

    def undo(self) -> None:
        if self.new_home:
            shutil.rmtree(self.home, ignore_errors=True)
            return
        for f in self.new_files:
            f.unlink(missing_ok=True)


_LOCK_FILE = ".serve.lock"


@contextlib.contextmanager
def _home_lock(home: Path, mode: int, refusal: str) -> Iterator[None]:
    """An advisory lock on the home's lock file; ``ConflictError(refusal)`` if taken."""
    try:
        fd = os.open(home / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ConfigError(f"{home}: cannot open {_LOCK_FILE}: {exc.strerror}") from exc
    try:
        try:
            fcntl.flock(fd, mode)
        except BlockingIOError:
            raise ConflictError(refusal) from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
