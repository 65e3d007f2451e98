"""The README's "Marking a feed" example runs as written against a live node."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from liaison.node import Node

README = Path(__file__).resolve().parents[3] / "README.md"


def _snippet() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Marking a feed", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section shows one Python example"
    return str(blocks[0])


def test_the_readme_marking_example_posts_a_marked_indicator(server_factory: Any) -> None:
    server = server_factory()
    home = server.home
    with Node.open(home.path) as node:
        me = node.identity_id
        mr = node.store.party("partner").identity_id
    code = (
        _snippet()
        .replace('DZ = "identity--…"', f'DZ = "{me}"')
        .replace('MR = "identity--…"', f'MR = "{mr}"')
        .replace('"indicator--…"', f'"indicator--{uuid.uuid4()}"')
        .replace("http://127.0.0.1:6100/api/collections/<id>/", server.collection_url)
        .replace("<credential>", home.tokens["analyst"])
    )
    assert "…" not in code and "<" not in code
    scope: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), scope)  # our own documentation, run as written
    status = scope["status"]
    assert status.failure_count == 0, status.failures
    assert status.success_count == 4
    indicator = scope["indicator"]
    with Node.open(home.path) as node:
        row = node.store.latest_by_ids([indicator["id"]])[0]
    h = row.handling["h"]
    assert (h["classification"], h["tlp"]) == ("DIFFUSION RESTREINTE", "green")
    assert sorted(h["releasable_to"]) == sorted([me, mr])
