"""What the hot paths remember is bounded in size as well as in count.

Several pure functions of the write path remember their answers (issue #15). What they
are given comes from the sender -- a hostile partner chooses its lengths -- so only
short inputs are remembered: a key, a name or a base64 string of a megabyte is
answered and forgotten.
"""

from __future__ import annotations

import base64

from liaison import merkle
from liaison.signing import objects as signing_objects
from liaison.stix import fastpath, refs, timestamps, validate_object

#: A valid identity the validation tests add properties to (copied: ``{**_IDENTITY, …}``).
_IDENTITY: dict[str, object] = {
    "type": "identity",
    "spec_version": "2.1",
    "id": "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "created": "2026-11-29T12:00:00.123Z",
    "modified": "2026-11-29T12:00:00.123Z",
    "name": "x",
}


def test_long_base64_strings_are_decoded_not_remembered() -> None:
    short = base64.b64encode(b"\x01" * 32).decode()
    long = base64.b64encode(b"\x02" * 3000).decode()
    assert signing_objects._unb64(short) == b"\x01" * 32
    assert signing_objects._unb64(long) == b"\x02" * 3000
    assert short in signing_objects._DECODED
    assert long not in signing_objects._DECODED


def test_only_short_verified_paths_are_remembered() -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(5)]
    get = merkle.subtree_hash_from_leaves(leaves)
    root = merkle.root(leaves)
    merkle._PATHS.clear()
    assert merkle.verify_inclusion(leaves[2], 2, 5, merkle.inclusion_proof(2, 5, get), root)
    assert leaves[2] in merkle._PATHS
    assert not merkle.verify_inclusion(leaves[3], 3, 5, [b"\x07" * 32] * 3, root)
    assert leaves[3] not in merkle._PATHS  # a proof that failed leaves nothing
    # a path longer than any batch Liaison signs: verified, not remembered
    r, path = leaves[0], []
    for i in range(merkle._PATH_MAX + 1):
        sibling = merkle.leaf_hash(b"s%d" % i)
        path.append(sibling)
        r = merkle.node_hash(r, sibling)
    size = 1 << len(path)
    merkle._PATHS.clear()
    assert merkle.verify_inclusion(leaves[0], 0, size, path, r)
    assert not merkle._PATHS


def test_link_plans_and_key_kinds_of_huge_objects_are_not_remembered() -> None:
    ref = "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
    long_key = "x_" + "k" * 5000 + "_ref"
    obj = {"type": "x-thing", long_key: ref, **{f"x_p{i}": i for i in range(100)}}
    assert refs.links(obj) == refs._walk_links(obj)  # answered as before ...
    assert long_key not in refs._KINDS  # ... and forgotten
    assert tuple(obj) not in refs._PLANS
    small = {"type": "note", "object_refs": [ref]}
    assert refs.links(small) == [ref]
    assert tuple(small) in refs._PLANS


def test_the_validation_fast_path_remembers_only_valid_names_and_few() -> None:
    base = _IDENTITY
    long_key = "x_" + "k" * 5000
    assert validate_object({**base, long_key: 1})  # not a property name: a reason ...
    assert long_key not in fastpath._CUSTOM  # ... and not remembered
    for i in range(0, 30_000, 1000):  # a hostile partner's thousands of custom names
        validate_object({**base, **{f"x_p{i + j}": j for j in range(1000)}})
    assert len(fastpath._CUSTOM) <= fastpath._CACHE_MAX
    assert len(timestamps._MINUTES) <= timestamps._KNOWN_MAX


def test_extension_shapes_are_remembered_only_when_short_and_few() -> None:
    ext_id = "extension-definition--3c1f7a52-8d0e-4b7a-9f5e-2a6b1c9d4e70"
    base = _IDENTITY
    long_name = "x" * 5000
    ext = {"extension_type": "property-extension", long_name: 1}
    validate_object({**base, "extensions": {ext_id: ext}})
    assert tuple(ext) not in fastpath._PLAIN_SHAPES
    many = {"extension_type": "property-extension", **{f"p{i}": i for i in range(100)}}
    validate_object({**base, "extensions": {ext_id: many}})
    assert tuple(many) not in fastpath._PLAIN_SHAPES
    for i in range(3000):  # a hostile partner's thousands of shapes
        shape = {"extension_type": "property-extension", f"prop{i}": 1}
        assert not validate_object({**base, "extensions": {ext_id: shape}})
    assert len(fastpath._PLAIN_SHAPES) <= fastpath._SHAPE_MAX


def test_object_shapes_are_remembered_only_when_short_and_few() -> None:
    plan = fastpath._plan("identity")
    assert plan is not None
    long_key = "x_" + "k" * 100
    assert not validate_object({**_IDENTITY, long_key: 1})  # valid: answered ...
    assert not any(long_key in keys for keys in plan.shapes)  # ... and not remembered
    wide = {**_IDENTITY, **{f"x_w{i}": i for i in range(100)}}
    assert not validate_object(wide)
    assert tuple(wide) not in plan.shapes
    for i in range(1000):  # a hostile partner's thousands of shapes
        assert not validate_object({**_IDENTITY, f"x_s{i}": i})
        assert len(plan.shapes) <= fastpath._OBJECT_SHAPES_MAX
    assert validate_object(_IDENTITY) == []
    assert tuple(_IDENTITY) in plan.shapes  # a common shape: remembered
