"""Fixtures for the console's in-process tests: one world per module, a client per user."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from console_world import World, login, make_world

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


@pytest.fixture
def signed_in(app_client: Callable[[], TestClient]) -> Callable[[str], tuple[TestClient, str]]:
    def make(user: str) -> tuple[TestClient, str]:
        c = app_client()
        return c, login(c, user)

    return make
