"""Fixtures shared by the whole suite: node homes, STIX object makers, an in-process client.

``node_factory(**settings)`` makes a fresh node home under ``tmp_path`` with
``Node.init``; ``stix_factory`` makes valid STIX 2.1 objects; ``taxii_client(node)``
wraps the TAXII app in Starlette's ``TestClient`` with a party's credential.

Loads the Hypothesis profile for this run and marks every test that needs PostgreSQL
with ``postgres`` (see ``suite_support``: under CI a missing resource fails the run).
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    # Starlette 1.x prefers the `httpx2` fork for its test client; plain httpx works.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from liaison.node import Node
from liaison.taxii import TAXII, create_app
from suite_support import load_hypothesis_profile, required

HYPOTHESIS_PROFILE = load_hypothesis_profile()

TAXII_HEADERS = {"Accept": TAXII, "Content-Type": TAXII}

Obj = dict[str, Any]


def pytest_report_header() -> list[str]:
    need = "fail" if required() else "skip"
    return [f"hypothesis profile: {HYPOTHESIS_PROFILE}; missing resources: {need}"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Whatever reaches PostgreSQL carries the ``postgres`` marker (``-m "not postgres"``)."""
    for item in items:
        uses_pg = "pg_database" in getattr(item, "fixturenames", ())
        if uses_pg and item.get_closest_marker("postgres") is None:
            item.add_marker(pytest.mark.postgres)


def stamp(dt: datetime) -> str:
    """A STIX timestamp with millisecond precision."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class StixFactory:
    """Valid STIX 2.1 objects, distinct on every call."""

    def __init__(self) -> None:
        self._n = 0
        self.base = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)

    def _ts(self) -> str:
        self._n += 1
        return stamp(self.base + timedelta(seconds=self._n))

    def indicator(self, **extra: Any) -> Obj:
        ts = self._ts()
        obj: Obj = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid4()}",
            "created": ts,
            "modified": ts,
            "name": f"C2 relay {self._n}",
            "pattern": f"[ipv4-addr:value = '10.{self._n // 65536 % 256}."
            f"{self._n // 256 % 256}.{self._n % 256}']",
            "pattern_type": "stix",
            "valid_from": ts,
        }
        obj.update(extra)
        return obj

    def identity(self, **extra: Any) -> Obj:
        ts = self._ts()
        obj: Obj = {
            "type": "identity",
            "spec_version": "2.1",
            "id": f"identity--{uuid.uuid4()}",
            "created": ts,
            "modified": ts,
            "name": f"Katiba {self._n}",
            "identity_class": "group",
        }
        obj.update(extra)
        return obj

    def ipv4(self, value: str | None = None) -> Obj:
        self._n += 1
        return {
            "type": "ipv4-addr",
            "spec_version": "2.1",
            "id": f"ipv4-addr--{uuid.uuid4()}",
            "value": value or f"192.0.{self._n // 256 % 256}.{self._n % 256}",
        }

    def new_version(self, obj: Obj, *, seconds: int = 60, **changes: Any) -> Obj:
        """A later version of ``obj`` (same id, ``modified`` moved forward)."""
        modified = datetime.strptime(obj["modified"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        out = dict(obj, modified=stamp(modified + timedelta(seconds=seconds)))
        out.update(changes)
        return out

    def many(self, n: int) -> list[Obj]:
        return [self.indicator() for _ in range(n)]


@pytest.fixture
def stix_factory() -> StixFactory:
    return StixFactory()


@pytest.fixture
def node_factory(tmp_path: Path) -> Iterator[Callable[..., Node]]:
    """``node_factory(**settings) -> Node``: a fresh, initialised node home."""
    made: list[Node] = []

    def make(**settings: Any) -> Node:
        home = tmp_path / f"node{len(made)}"
        node = Node.init(home, org="DGSE liaison", country="FR", **settings)
        made.append(node)
        return node

    yield make
    for node in made:
        node.close()


@pytest.fixture
def node(node_factory: Callable[..., Node]) -> Node:
    return node_factory()


@pytest.fixture
def taxii_client() -> Iterator[Callable[..., TestClient]]:
    """``taxii_client(node, token=None, **kw) -> TestClient`` sending TAXII headers."""
    clients: list[TestClient] = []

    def make(node: Node, token: str | None = None, **kw: Any) -> TestClient:
        headers = dict(TAXII_HEADERS)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        client = TestClient(create_app(node), raise_server_exceptions=False, headers=headers, **kw)
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()
