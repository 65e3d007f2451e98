"""Accounts: argon2 hashes, lockout after five failures, sessions, audit of every login."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from console_world import FAST_HASHER

from liaison.errors import ConflictError, DeniedError, InvalidInputError, UnauthenticatedError
from liaison.node import Node
from liaison.service.accounts import LOCKOUT_FAILURES, LOCKOUT_SECONDS, Accounts
from liaison.service.events import audit_log

PW = "a long enough passphrase"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    n = Node.init(tmp_path / "n", org="Test service", country="FR")
    yield n
    n.close()


def test_password_is_stored_as_argon2_hash(node: Node) -> None:
    Accounts(node, hasher=FAST_HASHER).add("ana", PW, role="analyst")
    raw = node.store.record("ui-user", "ana")
    assert raw is not None
    assert raw["password_hash"].startswith("$argon2id$")
    assert PW not in str(raw)


def test_add_checks_role_language_password_and_duplicates(node: Node) -> None:
    acc = Accounts(node, hasher=FAST_HASHER)
    with pytest.raises(InvalidInputError):
        acc.add("ana", PW, role="general")
    with pytest.raises(InvalidInputError):
        acc.add("ana", PW, role="analyst", lang="de")
    with pytest.raises(InvalidInputError):
        acc.add("ana", "short", role="analyst")
    with pytest.raises(InvalidInputError):
        acc.add("bad name", PW, role="analyst")
    acc.add("ana", PW, role="analyst")
    with pytest.raises(ConflictError):
        acc.add("ana", PW, role="officer")
    party = node.store.party("ui.ana")
    assert party.internal


def test_login_and_failures_are_audited(node: Node) -> None:
    acc = Accounts(node, hasher=FAST_HASHER)
    acc.add("ana", PW, role="analyst")
    assert acc.login("ana", PW).name == "ana"
    with pytest.raises(UnauthenticatedError):
        acc.login("ana", "wrong password!")
    with pytest.raises(UnauthenticatedError):
        acc.login("nobody", PW)
    with audit_log(node) as log:
        actions = [(r.entry.action, r.entry.actor) for r in log.query()]
    assert ("login", "ana") in actions
    assert actions.count(("login.failed", "ana")) == 1
    assert ("login.failed", "nobody") in actions


def test_lockout_after_repeated_failures_then_expiry(node: Node) -> None:
    clock = Clock()
    acc = Accounts(node, clock=clock, hasher=FAST_HASHER)
    acc.add("ana", PW, role="analyst")
    for _ in range(LOCKOUT_FAILURES):
        with pytest.raises(UnauthenticatedError):
            acc.login("ana", "wrong password!")
    with pytest.raises(DeniedError):  # locked: even the right password is refused
        acc.login("ana", PW)
    clock.now += LOCKOUT_SECONDS - 1
    with pytest.raises(DeniedError):
        acc.login("ana", PW)
    clock.now += 2
    assert acc.login("ana", PW).name == "ana"


def test_sessions_expire_and_end_with_password_change_or_disable(node: Node) -> None:
    clock = Clock()
    acc = Accounts(node, clock=clock, hasher=FAST_HASHER)
    user = acc.add("ana", PW, role="analyst")
    token, session = acc.new_session(user)
    found = acc.session(token)
    assert found is not None and found[0].csrf == session.csrf
    assert node.store.record("ui-session", token) is None  # stored by hash only
    assert acc.session("forged") is None
    acc.set_password("ana", "another long passphrase")
    assert acc.session(token) is None
    token, _ = acc.new_session(acc.get("ana"))
    clock.now += 9 * 3600
    assert acc.session(token) is None
    token, _ = acc.new_session(acc.get("ana"))
    acc.disable("ana")
    assert acc.session(token) is None
    assert node.store.party("ui.ana").disabled
    with pytest.raises(UnauthenticatedError):
        acc.login("ana", "another long passphrase")


def test_csrf_check(node: Node) -> None:
    acc = Accounts(node, hasher=FAST_HASHER)
    _, session = acc.new_session(acc.add("ana", PW, role="analyst"))
    session.check_csrf(session.csrf)
    for bad in (None, "", "x" + session.csrf):
        with pytest.raises(DeniedError):
            session.check_csrf(bad)


def test_roles() -> None:
    from liaison.service.accounts import User

    officer = User("o", "officer", "fr", "h")
    auditor = User("a", "auditor", "fr", "h")
    assert officer.may("sign") and not officer.may("audit")
    assert auditor.may("audit") and not auditor.may("sign") and not auditor.may("compose")
