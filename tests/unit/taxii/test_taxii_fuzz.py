"""Fuzzing the POST path: whatever the objects hold, the answer is a 202 status that lists
each object (or a 4xx TAXII error for a bad envelope) -- never a 500."""

from __future__ import annotations

import json
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liaison.node import Node
from liaison.taxii import TAXII, create_app
from suite_support import examples

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette 1.x prefers the httpx2 fork
    from starlette.testclient import TestClient


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    node = Node.init(tmp_path_factory.mktemp("fuzz") / "home", org="DGSE", country="FR")
    _, token = node.add_party("analyst", internal=True)
    headers = {"Authorization": f"Bearer {token}", "Accept": TAXII, "Content-Type": TAXII}
    with TestClient(create_app(node), raise_server_exceptions=False, headers=headers) as c:
        yield c, f"/api/collections/{node.default_collection_id}/objects/"
    node.close()


json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "0000-01-01T00:00:00Z",
            "2024-02-29T12:00:00.123456789Z",
            "2023-02-29T00:00:00Z",
            "2024-01-01T00:00:60Z",
            "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e",
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        ]
    )
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
KEYS = [
    "type",
    "id",
    "spec_version",
    "created",
    "modified",
    "pattern",
    "pattern_type",
    "valid_from",
    "valid_until",
    "name",
    "labels",
    "extensions",
    "object_marking_refs",
    "granular_markings",
    "created_by_ref",
    "external_references",
    "revoked",
    "confidence",
    "lang",
    "kill_chain_phases",
    "x_custom",
    "defanged",
    "value",
    "first_seen",
    "last_seen",
]


def base() -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '10.0.0.1']",
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
    }


mutation = st.dictionaries(st.sampled_from(KEYS), json_value, max_size=3)


@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(st.tuples(mutation, st.booleans()), min_size=1, max_size=4))
def test_post_never_crashes(client: tuple[TestClient, str], changes: list[Any]) -> None:
    c, path = client
    objs: list[Any] = []
    for change, keep_id in changes:
        o = base()
        o.update(change)
        if keep_id:
            o["id"] = base()["id"]
        objs.append(o)
    objs.append(base())  # one good object rides along every time
    r = c.post(path, content=json.dumps({"objects": objs}))
    assert r.status_code == 202, r.text
    status = r.json()
    assert status["total_count"] == len(objs)
    assert status["success_count"] + status["failure_count"] == len(objs)
    assert status["success_count"] >= 1
    for f in status["failures"]:
        assert isinstance(f["message"], str) and f["message"]


@pytest.mark.parametrize("big", [2**53, -(2**53), 2**63 - 1])
def test_an_out_of_range_integer_fails_one_object(client: tuple[TestClient, str], big: int) -> None:
    c, path = client
    bad = dict(base(), x_count=big)
    r = c.post(path, content=json.dumps({"objects": [base(), bad]}))
    assert r.status_code == 202, r.text
    assert r.json()["success_count"] == 1 and r.json()["failure_count"] == 1
    assert "cannot be signed" in r.json()["failures"][0]["message"]
