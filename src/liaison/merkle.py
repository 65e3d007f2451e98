"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing and proofs, as pure functions.

Leaves are numbered from 0. ``MTH(D[start:end])`` is the Merkle tree hash of the leaves
``start .. end-1``; proof generation asks the caller for those hashes through a
``get_subtree_hash(start, end)`` callable, so the same code serves an in-memory list
and the SQLite-backed log. Proof generation only ever asks for ranges that are nodes
of the tree (``start`` aligned to the largest power of two below the width).

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 literally and returns a bool.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Any

from liaison.errors import InvalidInputError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "SubtreeHash",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "split_point",
    "subtree_hash_from_leaves",
    "verify_consistency",
    "verify_inclusion",
    "verify_path",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

SubtreeHash = Callable[[int, int], bytes]
"""``get_subtree_hash(start, end) -> MTH(D[start:end])``."""

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """``HASH(0x00 || data)``."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``HASH(0x01 || left || right)``."""
    return _sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    if n < 2:
        raise InvalidInputError(f"no split point for a tree of {n} leaves")
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Merkle tree hash of a whole list of leaf hashes (``EMPTY_ROOT`` for none)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    # Stack of perfect-subtree roots: (height, hash); merge equal heights as we go.
    stack: list[tuple[int, bytes]] = []
    for leaf in leaf_hashes:
        height, value = 0, leaf
        while stack and stack[-1][0] == height:
            value = node_hash(stack.pop()[1], value)
            height += 1
        stack.append((height, value))
    value = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        value = node_hash(left, value)
    return value


def subtree_hash_from_leaves(leaf_hashes: Sequence[bytes]) -> SubtreeHash:
    """A ``get_subtree_hash`` over an in-memory list (for tests and small trees)."""

    def get(start: int, end: int) -> bytes:
        return root(leaf_hashes[start:end])

    return get


def _check_size(size: int, what: str) -> None:
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InvalidInputError(f"{what} must be a non-negative integer, got {size!r}")


def inclusion_proof(index: int, size: int, get_subtree_hash: SubtreeHash) -> list[bytes]:
    """Audit path ``PATH(index, D[0:size])`` (RFC 9162 §2.1.3.1), nearest sibling first."""
    _check_size(index, "index")
    _check_size(size, "tree size")
    if index >= size:
        raise InvalidInputError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            path.append(get_subtree_hash(start + k, end))
            end = start + k
        else:
            path.append(get_subtree_hash(start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, get_subtree_hash: SubtreeHash) -> list[bytes]:
    """``PROOF(old_size, D[0:new_size])`` (RFC 9162 §2.1.4.1).

    Empty when the sizes are equal or the old tree is empty (nothing to prove).
    """
    _check_size(old_size, "old size")
    _check_size(new_size, "new size")
    if old_size > new_size:
        raise InvalidInputError(f"old size {old_size} is larger than new size {new_size}")
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []
    m, start, end, complete = old_size, 0, new_size, True
    while True:
        width = end - start
        if m == width:
            if not complete:
                proof.append(get_subtree_hash(start, end))
            break
        k = split_point(width)
        if m <= k:
            proof.append(get_subtree_hash(start + k, end))
            end = start + k
        else:
            proof.append(get_subtree_hash(start, start + k))
            start += k
            m -= k
            complete = False
    proof.reverse()
    return proof


def _valid_hashes(values: Sequence[bytes]) -> bool:
    return all(isinstance(v, bytes) and len(v) == HASH_SIZE for v in values)


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """True iff ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree ``(size, root_hash)``.

    RFC 9162 §2.1.3.2 (``_verify_path``); a proof of ``bytes`` values goes through
    ``verify_path``, which remembers where verified proofs went.
    """
    path = tuple(proof)  # our own copy: what is remembered cannot change under us
    if all(p.__class__ is bytes for p in path):
        return verify_path(leaf, index, size, path, root_hash)
    return _verify_path(leaf, index, size, path, root_hash)


def verify_path(
    leaf: bytes,
    index: int,
    size: int,
    path: Sequence[Any],
    root: Any,
    decode: Callable[[Any], bytes] | None = None,
) -> bool:
    """``verify_inclusion`` -- the same answer -- for a proof whose elements are all
    ``bytes`` (exactly that type, not a subclass: the caller's guarantee).

    With ``decode``, ``path`` and ``root`` are encoded hashes (all ``str``, exactly):
    the answer is ``verify_inclusion(leaf, index, size, [decode(t) for t in path],
    decode(root))``, except that an element that does not decode makes it False or
    raises what ``decode`` raises. Only the elements it hashes are decoded.

    The states a verified proof went through are remembered (``_PATHS``): a proof
    that reaches one of them, with the rest of its path equal to what followed it
    there, gets the answer that proof got without hashing (or decoding) the rest
    again. The objects of one signed batch share the upper parts of their paths: a
    proof rejoins a verified one after a level or two.
    """
    if path.__class__ is not tuple:
        path = tuple(path)  # our own copy: what is remembered cannot change under us
    if not (
        index.__class__ is int
        and size.__class__ is int
        and leaf.__class__ is bytes
        and (decode is not None or root.__class__ is bytes)
        and len(path) <= _PATH_MAX
    ):
        if decode is not None:
            return _verify_path(leaf, index, size, [decode(t) for t in path], decode(root))
        return _verify_path(leaf, index, size, path, root)
    if not (0 <= index < size and len(leaf) == HASH_SIZE):
        return False
    paths = _PATHS
    fn, sn, r, k, n = index, size - 1, leaf, 0, len(path)
    met: list[tuple[bytes, int, int, int]] = []
    while True:
        got = paths.get(r)
        if (
            got is not None
            and got[1] == fn
            and got[2] == sn
            and got[0] == root
            and got[3][got[4] :] == path[k:]
        ):  # the very state a verified proof was in, the very rest: the same answer
            break
        if k == n:
            if sn == 0 and hmac.compare_digest(r, root if decode is None else decode(root)):
                break
            return False
        if sn == 0:
            return False
        p = path[k] if decode is None else decode(path[k])
        if len(p) != HASH_SIZE:  # as ``_valid_hashes`` would have refused it
            return False
        met.append((r, fn, sn, k))
        if fn & 1 or fn == sn:
            r = _sha256(b"\x01" + p + r).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
        k += 1
    if met:
        if len(paths) + len(met) > _PATHS_MAX:
            paths.clear()
        for r, fn, sn, k in met:
            paths[r] = (root, fn, sn, path, k)
    return True


def _verify_path(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """RFC 9162 §2.1.3.2, literally (nothing remembered)."""
    if not (isinstance(index, int) and isinstance(size, int) and 0 <= index < size):
        return False
    if not _valid_hashes([leaf, root_hash, *proof]):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(r, root_hash)


#: The states of verified inclusion proofs: a node hash ``r`` met on the way from a leaf
#: to ``root`` -> ``(root, fn, sn, proof, k)``: the algorithm's state (``fn``, ``sn``,
#: ``r``) before it used ``proof[k]``. From an equal state, with an equal rest of the
#: proof, RFC 9162 verification runs the very same steps to the very same ``root``:
#: the objects of one signed batch share the upper parts of their paths, so a proof
#: rejoins a verified one after a level or two. Only proofs that verified are
#: remembered, each copied (a tuple of ``bytes``, or of the ``str`` they were decoded
#: from: then ``root`` is one too, and equal strings decode to equal hashes), and only
#: paths of at most ``_PATH_MAX`` hashes (a tree of 2^24 leaves). Every element of a
#: verified path is one hash (32 bytes, or the 44 characters that decode to them):
#: bounded in count and in size, whatever a sender makes its proofs of.
_PATHS: dict[bytes, tuple[Any, int, int, tuple[Any, ...], int]] = {}
_PATHS_MAX = 8_192  # ~2 per object verified: the batches of the last pages
_PATH_MAX = 24


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True iff ``proof`` shows tree ``(old_size, old_root)`` is a prefix of the new tree.

    RFC 9162 §2.1.4.2, plus the trivial cases: equal sizes need equal roots and an
    empty proof; an empty old tree (``EMPTY_ROOT``) is a prefix of every tree.
    """
    if not (isinstance(old_size, int) and isinstance(new_size, int) and 0 <= old_size <= new_size):
        return False
    if not _valid_hashes([old_root, new_root, *proof]):
        return False
    if old_size == new_size:
        return not proof and hmac.compare_digest(old_root, new_root)
    if old_size == 0:
        return not proof and hmac.compare_digest(old_root, EMPTY_ROOT)
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)
