"""RFC 9162 hashing and proofs, cross-checked against pymerkle 7 for tree sizes 1..300.

pymerkle's default configuration (sha256, ``security=True``) prefixes leaves with 0x00
and nodes with 0x01 and splits at the largest power of two below the width -- the RFC
6962 / RFC 9162 tree (see ``pymerkle/hasher.py`` and ``BaseMerkleTree._get_root_naive``).
Its proofs use their own layout (a base hash plus a rule of bits), so proofs are compared
hash by hash where the layouts coincide and otherwise verified both ways.
"""

from __future__ import annotations

import hashlib
import random
from functools import cache

import pymerkle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison import merkle as M
from liaison.errors import InvalidInputError
from suite_support import examples

MAX = 300
DATA = [f"audit entry {i}".encode() for i in range(MAX)]
LEAVES = [M.leaf_hash(d) for d in DATA]


@pytest.fixture(scope="module")
def tree() -> pymerkle.InmemoryTree:
    t = pymerkle.InmemoryTree(algorithm="sha256")
    for d in DATA:
        t.append_entry(d)
    assert t.security and t.algorithm == "sha256"
    return t


@cache
def mth(start: int, end: int) -> bytes:
    """Our own subtree hashes, memoised (proof generation only asks for tree nodes)."""
    return M.root(LEAVES[start:end])


def rfc_subproof(m: int, start: int, end: int, complete: bool, h) -> list[bytes]:
    """RFC 9162 §2.1.4.1 SUBPROOF, transcribed recursively."""
    n = end - start
    if m == n:
        return [] if complete else [h(start, end)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*rfc_subproof(m, start, start + k, complete, h), h(start + k, end)]
    return [*rfc_subproof(m - k, start + k, end, False, h), h(start, start + k)]


def test_prefixes_are_rfc_9162() -> None:
    assert M.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert (
        M.node_hash(b"a" * 32, b"b" * 32)
        == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )
    assert M.root([]) == hashlib.sha256(b"").digest() == M.EMPTY_ROOT


def test_roots_match_pymerkle_for_every_size(tree: pymerkle.InmemoryTree) -> None:
    for n in range(1, MAX + 1):
        assert M.root(LEAVES[:n]) == tree.get_root(n), n
    assert tree.get_leaf(1) == LEAVES[0]


def test_inclusion_proofs_match_pymerkle_for_every_leaf_and_size(
    tree: pymerkle.InmemoryTree,
) -> None:
    for n in range(1, MAX + 1):
        root = tree.get_root(n)
        for i in range(n):
            ours = M.inclusion_proof(i, n, mth)
            theirs = tree.prove_inclusion(i + 1, n)
            # pymerkle's path is [leaf, siblings bottom-up...]; RFC's is the siblings.
            assert theirs.path[0] == LEAVES[i]
            assert ours == theirs.path[1:], (i, n)
            assert M.verify_inclusion(LEAVES[i], i, n, ours, root)


def test_consistency_proofs_for_every_pair_verify_against_pymerkle_roots(
    tree: pymerkle.InmemoryTree,
) -> None:
    roots = [M.EMPTY_ROOT] + [tree.get_root(n) for n in range(1, MAX + 1)]
    for n in range(1, MAX + 1):
        for m in range(1, n + 1):
            proof = M.consistency_proof(m, n, mth)
            assert M.verify_consistency(m, n, roots[m], roots[n], proof), (m, n)


def test_consistency_proofs_are_the_rfc_subproof_with_pymerkle_hashes(
    tree: pymerkle.InmemoryTree,
) -> None:
    """Same hashes as the RFC's recursive definition evaluated on pymerkle's subtree roots."""
    pm = tree._get_root  # pymerkle's MTH(D[start:end])
    rng = random.Random(9162)
    pairs = [(m, n) for n in range(1, 65) for m in range(1, n + 1)]
    pairs += [(rng.randint(1, n), n) for n in rng.sample(range(65, MAX + 1), 120)]
    for m, n in pairs:
        expected = rfc_subproof(m, 0, n, True, pm) if m < n else []
        assert M.consistency_proof(m, n, mth) == expected, (m, n)
        # and pymerkle's own proof for the same pair checks out against our roots
        theirs = tree.prove_consistency(m, n)
        pymerkle.verify_consistency(M.root(LEAVES[:m]), M.root(LEAVES[:n]), theirs)


def test_tampered_proofs_fail() -> None:
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(2, MAX)
        i = rng.randrange(n)
        root = mth(0, n)
        proof = M.inclusion_proof(i, n, mth)
        j = rng.randrange(len(proof))
        bad = [*proof]
        bad[j] = bytes([bad[j][0] ^ 1]) + bad[j][1:]
        assert not M.verify_inclusion(LEAVES[i], i, n, bad, root)
        assert not M.verify_inclusion(LEAVES[i], (i + 1) % n, n, proof, root) or n == 1
        # (the claimed size alone is not bound by the path -- the signed head binds it)
        assert not M.verify_inclusion(LEAVES[i], i, n + 1, proof, mth(0, n + 1)) or n == MAX
        assert not M.verify_inclusion(LEAVES[i], i, n, proof[:-1], root)
        assert not M.verify_inclusion(LEAVES[i], i, n, [*proof, proof[0]], root)
        m = rng.randint(1, n - 1)
        cproof = M.consistency_proof(m, n, mth)
        assert M.verify_consistency(m, n, mth(0, m), root, cproof)
        k = rng.randrange(len(cproof))
        bad = [*cproof]
        bad[k] = bytes([bad[k][0] ^ 1]) + bad[k][1:]
        assert not M.verify_consistency(m, n, mth(0, m), root, bad)
        assert not M.verify_consistency(m, n, b"\x07" * 32, root, cproof)
        assert not M.verify_consistency(m + 1, n, mth(0, m), root, cproof) or m + 1 == n
        assert not M.verify_consistency(m, n, mth(0, m), root, cproof[:-1])
        # a different history of the same size is not consistent
        forked = M.root([*LEAVES[: m - 1], M.leaf_hash(b"forged"), *LEAVES[m:n]])
        assert not M.verify_consistency(m, n, mth(0, m), forked, cproof)


def test_remembered_paths_change_no_answer() -> None:
    """Inclusion checks remember the states of verified proofs: each valid proof
    verifies first and after, each tampered one (any element, any position, the rest
    of a verified path behind a wrong start) fails before and after its valid siblings
    were checked, and a full memo is cleared, not grown."""
    rng = random.Random(11)
    for _ in range(300):
        n = rng.randint(2, MAX)
        i = rng.randrange(n)
        root = mth(0, n)
        proof = M.inclusion_proof(i, n, mth)
        bad = [*proof]
        j = rng.randrange(len(bad))
        bad[j] = bytes([bad[j][0] ^ 0x80]) + bad[j][1:]
        assert not M.verify_inclusion(LEAVES[i], i, n, bad, root)
        assert M.verify_inclusion(LEAVES[i], i, n, proof, root)
        assert M.verify_inclusion(LEAVES[i], i, n, proof, root)
        assert not M.verify_inclusion(LEAVES[i], i, n, bad, root)
        for k in rng.sample(range(n), min(n, 4)):  # neighbours rejoin the verified path
            other = M.inclusion_proof(k, n, mth)
            assert M.verify_inclusion(LEAVES[k], k, n, other, root)
            assert not M.verify_inclusion(LEAVES[k], k, n, [*other[:-1], bad[-1]], root) or (
                bad[-1] == other[-1]
            )
            assert not M.verify_inclusion(LEAVES[k], k ^ 1, n, other, root) or k ^ 1 == k
            assert not M.verify_inclusion(LEAVES[k], k, n + 1, other, mth(0, n + 1)) or n == MAX
            assert not M.verify_inclusion(LEAVES[k], k, n, other, mth(0, n - 1))
            assert not M.verify_inclusion(LEAVES[i], i, n, proof, mth(0, n - 1))
    assert 0 < len(M._PATHS) <= M._PATHS_MAX
    M._PATHS.clear()


@settings(max_examples=examples(200), deadline=None)
@given(st.integers(1, 64), st.data())
def test_remembered_paths_answer_as_the_rfc_algorithm(n: int, data: st.DataObject) -> None:
    """Any sequence of valid and altered proofs: the same answers as the plain RFC 9162
    algorithm that remembers nothing."""
    root = mth(0, n)
    for _ in range(12):
        i = data.draw(st.integers(0, n - 1))
        proof = M.inclusion_proof(i, n, mth)
        change = data.draw(st.sampled_from(["none", "element", "index", "size", "drop", "add"]))
        leaf, index, size = LEAVES[i], i, n
        if change == "element" and proof:
            j = data.draw(st.integers(0, len(proof) - 1))
            proof[j] = data.draw(st.sampled_from([LEAVES[0], mth(0, 2), b"\x00" * 32]))
        elif change == "index":
            index = data.draw(st.integers(0, n - 1))
        elif change == "size":
            size = data.draw(st.integers(1, MAX))
        elif change == "drop" and proof:
            proof.pop(data.draw(st.integers(0, len(proof) - 1)))
        elif change == "add":
            proof.insert(data.draw(st.integers(0, len(proof))), LEAVES[n % MAX])
        want = M._verify_path(leaf, index, size, proof, root)
        assert M.verify_inclusion(leaf, index, size, proof, root) is want


def test_a_proof_element_that_is_not_one_hash_is_refused() -> None:
    """RFC 9162 paths hold 32-byte hashes: two hashes passed as one element refuse the
    proof even when they hash to the root (a node of three children)."""
    import base64

    a, b, leaf = LEAVES[0], LEAVES[1], LEAVES[2]
    root = hashlib.sha256(b"\x01" + a + b + leaf).digest()
    for memo in (False, True):
        if memo:  # the same, after a genuine proof of that leaf was remembered
            assert M.verify_inclusion(leaf, 2, 3, M.inclusion_proof(2, 3, mth), mth(0, 3))
        assert not M.verify_inclusion(leaf, 1, 2, [a + b], root)
        assert not M.verify_path(leaf, 1, 2, (a + b,), root)
        encoded = (base64.b64encode(a + b).decode(),)
        assert not M.verify_path(
            leaf, 1, 2, encoded, base64.b64encode(root).decode(), base64.b64decode
        )


def test_a_proof_of_bytes_subclasses_is_checked_but_not_remembered() -> None:
    class Lying(bytes):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = bytes.__hash__

    M._PATHS.clear()
    proof = [Lying(h) for h in M.inclusion_proof(5, 40, mth)]
    assert M.verify_inclusion(LEAVES[5], 5, 40, proof, mth(0, 40))
    assert not M._PATHS
    assert not M.verify_inclusion(LEAVES[5], 5, 40, [Lying(b"\x00" * 32), *proof[1:]], mth(0, 40))


def test_trivial_and_invalid_cases() -> None:
    r5 = mth(0, 5)
    assert M.consistency_proof(5, 5, mth) == []
    assert M.verify_consistency(5, 5, r5, r5, [])
    assert not M.verify_consistency(5, 5, r5, mth(0, 4), [])
    assert M.consistency_proof(0, 5, mth) == []
    assert M.verify_consistency(0, 5, M.EMPTY_ROOT, r5, [])
    assert not M.verify_consistency(0, 5, r5, r5, [])
    assert not M.verify_consistency(6, 5, r5, r5, [])
    assert not M.verify_consistency(3, 5, mth(0, 3), r5, [])
    assert M.inclusion_proof(0, 1, mth) == []
    assert M.verify_inclusion(LEAVES[0], 0, 1, [], LEAVES[0])
    assert not M.verify_inclusion(LEAVES[0], 0, 0, [], LEAVES[0])
    assert not M.verify_inclusion(b"short", 0, 1, [], LEAVES[0])
    with pytest.raises(InvalidInputError):
        M.inclusion_proof(5, 5, mth)
    with pytest.raises(InvalidInputError):
        M.consistency_proof(6, 5, mth)
    with pytest.raises(InvalidInputError):
        M.inclusion_proof(-1, 5, mth)


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=70))
def test_root_matches_pymerkle_on_random_data(data: list[bytes]) -> None:
    t = pymerkle.InmemoryTree()
    for d in data:
        t.append_entry(d)
    assert M.root([M.leaf_hash(d) for d in data]) == t.get_root()
