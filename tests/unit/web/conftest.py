"""Fixtures for the console's in-process tests: one world per module, a client per user."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from console_world import PASSWORD, World, make_world

from liaison.taxii.app import create_app
from liaison.web import routes


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("console"))
    yield w
    w.close()


@pytest.fixture(scope="module")
def app_client(world: World) -> Callable[[], TestClient]:
    app = create_app(world.dz, world.dz_ex, extra_routes=routes(world.dz))

    def make() -> TestClient:
        return TestClient(app, base_url="http://testserver")

    return make


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def login(client: TestClient, user: str, password: str = PASSWORD) -> str:
    """Sign in; return the CSRF token of the first page."""
    page = client.get("/ui/login")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
    assert nonce
    r = client.post(
        "/ui/login", data={"username": user, "password": password, "nonce": nonce.group(1)}
    )
    assert r.status_code == 200, r.text
    assert r.url.path == "/ui/inbox", r.url
    return csrf_of(r.text)


@pytest.fixture
def signed_in(app_client: Callable[[], TestClient]) -> Callable[[str], tuple[TestClient, str]]:
    def make(user: str) -> tuple[TestClient, str]:
        c = app_client()
        return c, login(c, user)

    return make


__all__ = ["Path", "csrf_of", "login"]
