"""``check_signed``: a partner's objects checked one by one (STIX, then the origin
signature), with the answer the checks gave when each ran over the whole batch in turn."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import orjson

from liaison.errors import SignatureError
from liaison.service.checking import check_signed
from liaison.service.ingest import checked
from liaison.service.search import searchable_text
from liaison.signing.keys import SigningKey
from liaison.signing.objects import SignatureInfo, sign_objects, verify_object
from liaison.sync.checker import check_page

T = "2026-11-29T12:00:00.123Z"
SIGNER = "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"


def _indicator(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{i:08x}-07d9-4a3c-9c7e-6f1b2a9c1d34",
        "created": T,
        "modified": T,
        "name": f"Été إرهاب {i}",
        "pattern": f"[ipv4-addr:value = '198.51.100.{i}']",
        "pattern_type": "stix",
        "valid_from": T,
        **extra,
    }


def _batch() -> tuple[list[dict[str, Any]], Any]:
    key = SigningKey.generate()
    signed = sign_objects(
        [_indicator(i) for i in range(1, 9)]
        + [_indicator(9, x_custom_ref="")],  # a strict finding: a warning
        key,
        SIGNER,
        T,
    )
    ring = {SIGNER: {key.fingerprint: key.public_key_b64}}
    forged = copy.deepcopy(signed[2])
    forged["name"] = "altered"
    objs: list[Any] = [
        signed[0],
        forged,  # a refused signature ...
        {"type": "indicator", "id": "bad"},  # ... listed after this validation failure
        signed[1],
        _indicator(20),  # not signed
        "not an object",
        *signed[3:],
    ]
    return objs, ring


def _before(objs: list[Any], verify: Any) -> tuple[Any, ...]:
    """What ``check_signed`` answered when it validated every object, then verified."""
    from liaison.service.checking import Received, Stamps

    result = Received()
    stamps = Stamps()
    valid, notes = checked(objs, result, stamps.us)
    kept, infos, refused = [], [], []
    for obj in valid:
        try:
            infos.append(verify(obj))
        except SignatureError as exc:
            result.fail(obj, str(exc))
            refused.append((obj, str(exc)))
            continue
        kept.append(obj)
    return result, notes, kept, infos, refused, valid


def test_the_checks_of_each_object_in_turn_answer_as_the_checks_of_the_batch() -> None:
    objs, ring = _batch()

    def verify(obj: dict[str, Any]) -> SignatureInfo:
        return verify_object(obj, ring)

    result, notes, kept, infos, refused, valid = _before(objs, verify)
    got, got_refused = check_signed("MR", "c", objs, verify)
    assert got.result == result
    assert got.notes == notes and notes  # the warning of the last one
    assert got.valid == kept and got.infos == infos and got_refused == refused
    assert got.batch.objects == valid
    assert got.bodies is None and got.texts is None and got.digests is None
    assert got.received == len(objs)
    # validation failures first, then the refused signatures, each in the batch's order
    assert [f["id"] for f in got.result.failures] == ["bad", "", objs[1]["id"], objs[4]["id"]]


def test_a_page_checked_for_the_parent_carries_bytes_and_texts_not_objects() -> None:
    objs, ring = _batch()
    plain, refused = check_signed("MR", "c", objs, lambda o: verify_object(o, ring))
    n = len(objs)
    got, got_refused = check_page("MR", "c", objs, (ring, frozenset()))
    assert objs == [None] * n  # the page is consumed: each object freed once checked
    assert got.received == n
    assert got_refused == refused
    assert got.valid == [] and got.batch.objects == []
    assert got.bodies == [orjson.dumps(o) for o in plain.valid]
    assert got.texts == [searchable_text(o) for o in plain.valid]
    assert got.digests == [hashlib.sha256(b).hexdigest() for b in got.bodies]
    assert (got.result, got.notes, got.infos) == (plain.result, plain.notes, plain.infos)
    assert got.stamps._us == plain.stamps._us
