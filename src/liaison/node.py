"""A node home: settings, identity key, store and the node's STIX identity.

``Node.init`` creates a home; ``Node.open`` opens one and checks it. Everything an
operator or the HTTP layer does to a node goes through a ``Node`` (and the services
in ``liaison.service``), never through files or SQL directly.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from liaison.config import SETTINGS_FILE, Settings, write_settings
from liaison.errors import ConfigError, ConflictError, InvalidInputError, NotFoundError
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

__all__ = ["DEFAULT_COLLECTION_TITLE", "KEY_FILE", "Node", "hash_token", "new_token"]

KEY_FILE = "node.key"
DEFAULT_COLLECTION_TITLE = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# A fixed namespace so that a node's default collection id is stable per identity.
_NS = uuid.UUID("6f0f2f5e-4a52-4f61-9c1e-6c6961697361")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str, what: str = "name") -> str:
    if not _NAME.match(name):
        raise InvalidInputError(
            f"{what} {name!r} must be 1-64 characters: letters, digits, '.', '_' or '-'"
        )
    return name


@dataclass
class Node:
    home: Path
    settings: Settings
    key: SigningKey
    store: Store
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    # --- lifecycle --------------------------------------------------------------------
    @classmethod
    def init(cls, home: Path, *, org: str, country: str, **settings: Any) -> Node:
        country = country.upper()
        if not org.strip():
            raise InvalidInputError("--org must not be empty")
        if not _COUNTRY.match(country):
            raise InvalidInputError(f"--country {country!r} must be an ISO 3166-1 alpha-2 code")
        if (home / SETTINGS_FILE).exists():
            raise ConflictError(f"{home} is already a Liaison node home")
        home.mkdir(parents=True, exist_ok=True)
        home.chmod(0o700)  # intelligence, keys and credentials live here
        load_or_create_key(home / KEY_FILE)
        identity_id = f"identity--{uuid.uuid4()}"
        values = {"org": org.strip(), "country": country, "identity_id": identity_id, **settings}
        write_settings(home, values)
        node = cls.open(home, create=True)
        node.store.put_record("identity", "self", node.identity_object())
        node.add_collection(
            DEFAULT_COLLECTION_TITLE,
            "Default collection of this node",
            collection_id=node.default_collection_id,
        )
        return node

    @classmethod
    def open(cls, home: Path, *, create: bool = False) -> Node:
        settings = Settings.load(home)
        if not settings.identity_id or not settings.org:
            raise ConfigError(f"{home / SETTINGS_FILE}: org and identity_id must be set")
        key_path = home / KEY_FILE
        if not key_path.exists():
            raise ConfigError(f"{key_path}: identity key missing")
        key = load_or_create_key(key_path)
        store = open_store(
            str(settings.store), home=home, durable=bool(settings.durable), create=create
        )
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
        for callback in self._closers:
            callback()
        self._closers.clear()
        self.store.close()

    # --- identity ---------------------------------------------------------------------
    @property
    def identity_id(self) -> str:
        return str(self.settings.identity_id)

    @property
    def default_collection_id(self) -> str:
        return str(uuid.uuid5(_NS, self.identity_id))

    def identity_object(self) -> dict[str, Any]:
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
            "name": str(self.settings.org),
            "identity_class": "organization",
            "sectors": ["defense"],
            "contact_information": f"Liaison node, country {self.settings.country}",
            "x_liaison_public_key": self.key.public_key_b64,
            "x_liaison_country": str(self.settings.country),
        }

    def token_secret(self) -> bytes:
        """Key for MACs on pagination tokens, derived from the identity key."""
        return hmac.new(self.key.seed_b64().encode(), b"liaison/next-token", "sha256").digest()

    # --- collections ------------------------------------------------------------------
    def add_collection(
        self,
        title: str,
        description: str = "",
        *,
        collection_id: str | None = None,
        alias: str | None = None,
    ) -> Collection:
        if not title.strip():
            raise InvalidInputError("collection title must not be empty")
        c = Collection(
            id=collection_id or str(uuid.uuid4()),
            title=title.strip(),
            description=description,
            alias=alias,
        )
        self.store.add_collection(c)
        return c

    def resolve_collection(self, ref: str) -> Collection:
        """A collection by id, or by title when exactly one has it."""
        cols = self.store.collections()
        for c in cols:
            if c.id == ref:
                return c
        named = [c for c in cols if c.title == ref or c.alias == ref]
        if len(named) == 1:
            return named[0]
        raise NotFoundError(f"no collection {ref!r}")

    # --- parties ----------------------------------------------------------------------
    def add_party(
        self,
        name: str,
        *,
        identity_id: str = "",
        internal: bool = False,
        read: list[str] | None = None,
        write: list[str] | None = None,
        public_key_b64: str = "",
        url: str = "",
    ) -> tuple[PartyRecord, str]:
        """Register a party; return it and its credential (shown once, stored hashed)."""
        check_name(name, "party name")
        if identity_id and not re.match(r"^identity--[0-9a-f-]{36}$", identity_id):
            raise InvalidInputError(f"{identity_id!r} is not a STIX identity id")
        read_ids = [self.resolve_collection(r).id for r in (read or [self.default_collection_id])]
        # Write access is granted only as asked. A local client with no --read/--write
        # reads and writes the default collection (a plain TAXII client's expectation);
        # a partner only reads it: partners are not trusted writers (ADR 0005).
        default_write = [] if (read or not internal) else [self.default_collection_id]
        write_ids = [self.resolve_collection(w).id for w in (write or default_write)]
        perms = tuple(
            Permission(cid, cid in read_ids, cid in write_ids)
            for cid in sorted(set(read_ids) | set(write_ids))
        )
        token = new_token()
        party = PartyRecord(
            name=name,
            identity_id=identity_id
            or (self.identity_id if internal else f"identity--{uuid.uuid4()}"),
            internal=internal,
            token_hash=hash_token(token),
            public_key_b64=public_key_b64,
            url=url,
            permissions=perms,
        )
        self.store.add_party(party)
        return party, token

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
