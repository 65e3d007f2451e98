"""Console accounts: node-local users with roles, argon2 passwords, lockout, sessions.

Users, sessions and failure counters are small store records (kinds ``ui-user`` and
``ui-session``); a session record is keyed by the SHA-256 of its cookie value, so a
copy of the store does not hand out live sessions. Each user acts through an
internal party ``ui.<name>`` created with the account: every object the console
shows goes through the exchange's policy gate for that party.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from liaison.audit import Action, AuditEntry
from liaison.errors import (
    ConflictError,
    DeniedError,
    InvalidInputError,
    NotFoundError,
    UnauthenticatedError,
)
from liaison.node import Node, check_name, hash_token
from liaison.service.events import audit_log
from liaison.store import PartyRecord

__all__ = [
    "LANGS",
    "LOCKOUT_FAILURES",
    "LOCKOUT_SECONDS",
    "MIN_PASSWORD",
    "ROLES",
    "SESSION_SECONDS",
    "Accounts",
    "Session",
    "User",
]

ROLES = ("analyst", "officer", "auditor", "admin")
LANGS = ("fr", "ar", "en")
LOCKOUT_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
SESSION_SECONDS = 8 * 3600
MIN_PASSWORD = 10
USER_KIND = "ui-user"
SESSION_KIND = "ui-session"
READ_KIND = "ui-read"
_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
_DUMMIES: dict[int, str] = {}


@dataclass(frozen=True)
class User:
    name: str
    role: str
    lang: str
    password_hash: str
    disabled: bool = False
    failures: int = 0
    locked_until: float = 0.0

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InvalidInputError(f"role {self.role!r} must be one of {', '.join(ROLES)}")
        if self.lang not in LANGS:
            raise InvalidInputError(f"language {self.lang!r} must be one of {', '.join(LANGS)}")

    @property
    def party_name(self) -> str:
        return f"ui.{self.name}"

    def may(self, capability: str) -> bool:
        """``sign`` (agreements, consents), ``audit`` (read the log), ``admin``."""
        allowed = {
            "sign": {"officer", "admin"},
            "audit": {"auditor", "admin"},
            "admin": {"admin"},
            "compose": {"analyst", "officer", "admin"},
        }
        return self.role in allowed.get(capability, set())


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str
    expires: float

    def check_csrf(self, token: str | None) -> None:
        if not token or not hmac.compare_digest(self.csrf.encode(), token.encode()):
            raise DeniedError("the form is stale or forged (CSRF token mismatch): reload the page")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInputError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise InvalidInputError("a password may have at most 1024 characters")


class Accounts:
    """Users and sessions of one node."""

    def __init__(
        self, node: Node, *, clock: Any = time.time, hasher: PasswordHasher = _HASHER
    ) -> None:
        self.node = node
        self.store = node.store
        self._clock = clock
        self._hasher = hasher

    def _dummy(self) -> str:
        """A hash verified when the user does not exist, so timing says nothing."""
        key = id(self._hasher)
        if key not in _DUMMIES:
            _DUMMIES[key] = self._hasher.hash("liaison-no-such-user")
        return _DUMMIES[key]

    # --- users --------------------------------------------------------------------------
    def get(self, name: str) -> User:
        raw = self.store.record(USER_KIND, name)
        if raw is None:
            raise NotFoundError(f"no user {name!r}")
        return User(**raw)

    def users(self) -> list[User]:
        return [User(**raw) for _, raw in self.store.records(USER_KIND)]

    def _put(self, user: User) -> None:
        self.store.put_record(USER_KIND, user.name, asdict(user))

    def add(self, name: str, password: str, *, role: str, lang: str = "fr") -> User:
        check_name(name, "user name")
        _check_password(password)
        if self.store.record(USER_KIND, name) is not None:
            raise ConflictError(f"user {name!r} exists already")
        user = User(name=name, role=role, lang=lang, password_hash=self._hasher.hash(password))
        self.party_of(user)
        self._put(user)
        return user

    def party_of(self, user: User) -> PartyRecord:
        """The internal party the user acts as (created on first use)."""
        try:
            return self.store.party(user.party_name)
        except NotFoundError:
            return self.node.add_party(user.party_name, internal=True)[0]

    def set_password(self, name: str, password: str) -> User:
        _check_password(password)
        user = replace(
            self.get(name), password_hash=self._hasher.hash(password), failures=0, locked_until=0.0
        )
        self._put(user)
        self.end_sessions(name)
        return user

    def set_lang(self, name: str, lang: str) -> User:
        user = replace(self.get(name), lang=lang)
        self._put(user)
        return user

    def disable(self, name: str) -> User:
        user = replace(self.get(name), disabled=True)
        self._put(user)
        self.end_sessions(name)
        try:
            party = self.store.party(user.party_name)
            self.store.update_party(replace(party, disabled=True))
        except NotFoundError:
            pass
        return user

    # --- login --------------------------------------------------------------------------
    def login(self, name: str, password: str, *, client: str = "") -> User:
        """The user if the password is right; every attempt goes to the audit log."""
        now = self._clock()
        raw = self.store.record(USER_KIND, name) if name else None
        user = User(**raw) if raw else None
        if user is None:
            _verify(self._dummy(), password)
            self._audit(Action.LOGIN_FAILED, name or "?", "no such user", client)
            raise UnauthenticatedError("wrong user name or password")
        if user.locked_until > now:
            self._audit(Action.LOGIN_FAILED, name, "account locked", client)
            raise DeniedError("too many failed attempts: this account is locked for a while")
        if user.disabled:
            _verify(self._dummy(), password)
            self._audit(Action.LOGIN_FAILED, name, "account disabled", client)
            raise UnauthenticatedError("wrong user name or password")
        if not _verify(user.password_hash, password):
            failures = user.failures + 1
            locked = now + LOCKOUT_SECONDS if failures >= LOCKOUT_FAILURES else 0.0
            self._put(replace(user, failures=0 if locked else failures, locked_until=locked))
            why = "wrong password" + (", account locked" if locked else "")
            self._audit(Action.LOGIN_FAILED, name, why, client)
            raise UnauthenticatedError("wrong user name or password")
        if user.failures or user.locked_until:
            user = replace(user, failures=0, locked_until=0.0)
            self._put(user)
        self._audit(Action.LOGIN, name, "password", client)
        return user

    def _audit(self, action: Action, actor: str, reason: str, client: str) -> None:
        details = {"channel": "console", **({"client": client[:64]} if client else {})}
        with audit_log(self.node) as log:
            log.append(AuditEntry(action, actor[:64], reasons=(reason,), details=details))

    # --- sessions -----------------------------------------------------------------------
    def new_session(self, user: User) -> tuple[str, Session]:
        """A fresh session: its cookie value (shown once) and its record."""
        token = secrets.token_urlsafe(32)
        session = Session(user.name, secrets.token_urlsafe(32), self._clock() + SESSION_SECONDS)
        self.store.put_record(SESSION_KIND, hash_token(token), asdict(session))
        return token, session

    def session(self, token: str | None) -> tuple[Session, User] | None:
        """The live session and its (enabled) user for a cookie value, or None."""
        if not token or len(token) > 128:
            return None
        raw = self.store.record(SESSION_KIND, hash_token(token))
        if raw is None:
            return None
        session = Session(**raw)
        if session.expires < self._clock():
            self.store.delete_record(SESSION_KIND, hash_token(token))
            return None
        try:
            user = self.get(session.user)
        except NotFoundError:
            return None
        if user.disabled:
            return None
        return session, user

    def end_session(self, token: str) -> None:
        self.store.delete_record(SESSION_KIND, hash_token(token))

    def end_sessions(self, name: str) -> None:
        for key, raw in self.store.records(SESSION_KIND):
            if raw.get("user") == name:
                self.store.delete_record(SESSION_KIND, key)

    # --- read marks ---------------------------------------------------------------------
    def read_ids(self, name: str) -> set[str]:
        raw = self.store.record(READ_KIND, name) or {}
        return set(raw.get("ids", []))

    def mark_read(self, name: str, object_id: str) -> None:
        ids = [i for i in (self.store.record(READ_KIND, name) or {}).get("ids", [])]
        if object_id in ids:
            return
        ids.append(object_id)
        self.store.put_record(READ_KIND, name, {"ids": ids[-5000:]})


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(_HASHER.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False
