"""Fixtures for node-to-node sync: the demo's nodes, parties, agreements and connections.

``world_factory(*codes, agreements=..., pulls=..., start=True)`` builds a ``World``
(see ``sync_world``): nodes made with ``Node.init``, keys pinned both ways, the
agreements signed by both sides, ``pulls`` = (source, puller) connections, and the
sources' ``liaison serve`` started. Every server is stopped and every store closed
at the end of the test, whatever happened.

``two_nodes``: MR serves, DZ pulls from MR under a DZ-MR agreement.
``three_nodes``: the demo's DZ, MR, XX; DZ pulls from MR, XX from DZ, MR from DZ.
``proxied``: ``two_nodes`` with DZ reaching MR only through a tampering proxy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from sync_world import World, WorldFactory
from tamper_proxy import Proxy

from liaison.sync import get_peer, put_peer


@pytest.fixture
def world_factory(tmp_path: Path) -> Iterator[WorldFactory]:
    worlds: list[World] = []

    def make(
        *codes: str,
        agreements: Sequence[tuple[str, str]] = (),
        pulls: Sequence[tuple[str, str]] = (),
        start: bool = True,
    ) -> World:
        world = World(tmp_path / f"world{len(worlds)}")
        worlds.append(world)
        for code in codes:
            world.add(code)
        for a, b in agreements:
            world.agree(a, b)
        for source, puller in pulls:
            world.connect(source, puller)
        if start:  # launched together, then waited for
            sources = [world[code] for code in dict.fromkeys(source for source, _ in pulls)]
            for n in sources:
                n.launch()
            for n in sources:
                n.wait_ready()
        return world

    try:
        yield make
    finally:
        for w in worlds:
            w.close()


@pytest.fixture
def two_nodes(world_factory: WorldFactory) -> World:
    return world_factory("DZ", "MR", agreements=[("DZ", "MR")], pulls=[("MR", "DZ")])


@pytest.fixture
def three_nodes(world_factory: WorldFactory) -> World:
    return world_factory(
        "DZ",
        "MR",
        "XX",
        agreements=[("DZ", "MR"), ("DZ", "XX"), ("MR", "XX")],
        pulls=[("MR", "DZ"), ("DZ", "MR"), ("DZ", "XX")],
    )


@pytest.fixture
def proxied(two_nodes: World) -> Iterator[tuple[World, Proxy]]:
    """DZ reaches MR only through the proxy."""
    dz, mr = two_nodes["DZ"], two_nodes["MR"]
    with Proxy(f"http://127.0.0.1:{mr.port}") as proxy:
        put_peer(dz.node, replace(get_peer(dz.node, "MR"), url=proxy.url))
        yield two_nodes, proxy
