"""Ed25519 keys: RFC 8032 vectors, key files (0600, atomic), fingerprints, refusals."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

import nacl.signing
import pytest

from liaison.errors import ConfigError, SignatureError
from liaison.signing import SigningKey, fingerprint, load_or_create_key, verify
from liaison.signing import keys as keys_module

# RFC 8032, section 7.1, TEST 1 (empty message) and TEST 2 (one byte 0x72).
SECRET_1 = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
PUBLIC_1 = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
SIG_1 = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
SECRET_2 = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
PUBLIC_2 = bytes.fromhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
SIG_2 = bytes.fromhex(
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("secret", "public", "message", "signature"),
    [(SECRET_1, PUBLIC_1, b"", SIG_1), (SECRET_2, PUBLIC_2, b"\x72", SIG_2)],
    ids=["rfc8032-test1", "rfc8032-test2"],
)
def test_rfc8032_vectors(secret: bytes, public: bytes, message: bytes, signature: bytes) -> None:
    key = SigningKey.from_seed_b64(b64(secret))
    assert key.public_key_b64 == b64(public)
    assert key.seed_b64() == b64(secret)
    assert key.sign(message) == b64(signature)
    verify(b64(public), message, b64(signature))
    with pytest.raises(SignatureError) as info:
        verify(b64(public), message + b"!", b64(signature))
    assert str(info.value) == "signature does not verify"


def test_fingerprint_is_sha256_of_the_raw_key_unpadded() -> None:
    expected = "SHA256:" + base64.b64encode(hashlib.sha256(PUBLIC_1).digest()).decode()[:-1]
    assert fingerprint(b64(PUBLIC_1)) == expected
    assert len(expected) == len("SHA256:") + 43 and "=" not in expected
    assert SigningKey.from_seed_b64(b64(SECRET_1)).fingerprint == expected


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: fingerprint("not base64!"), "public key is not valid base64"),
        (lambda: fingerprint("é"), "public key is not valid base64"),
        (lambda: verify("not base64!", b"m", b64(SIG_1)), "public key is not valid base64"),
        (lambda: verify(b64(PUBLIC_1[:31]), b"m", b64(SIG_1)), "public key must be 32 bytes"),
        (lambda: verify(b64(PUBLIC_1), b"", "%%%"), "signature is not valid base64"),
        (lambda: verify(b64(PUBLIC_1), b"", b64(SIG_1[:63])), "signature does not verify"),
        (lambda: verify(b64(PUBLIC_2), b"", b64(SIG_1)), "signature does not verify"),
        (lambda: SigningKey.from_seed_b64("???"), "private key is not valid base64"),
        (lambda: SigningKey.from_seed_b64(b64(SECRET_1[:31])), "private key must be 32 bytes"),
        (lambda: SigningKey.from_seed_b64(b64(SECRET_1 + b"x")), "private key must be 32 bytes"),
    ],
)
def test_refusals_say_what_is_wrong(call: object, message: str) -> None:
    with pytest.raises(SignatureError) as info:
        call()  # type: ignore[operator]
    assert str(info.value) == message


def test_verify_keys_are_cached_once_and_the_cache_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A partner's key is parsed once; a flood of new keys cannot grow the cache past
    4,096 entries."""
    made: list[bytes] = []
    real = nacl.signing.VerifyKey

    def counting(raw: bytes) -> nacl.signing.VerifyKey:
        made.append(raw)
        return real(raw)

    monkeypatch.setattr(keys_module, "_VERIFY_CACHE", {})
    monkeypatch.setattr(keys_module.nacl.signing, "VerifyKey", counting)
    for _ in range(3):
        verify(b64(PUBLIC_1), b"", b64(SIG_1))
    assert made == [PUBLIC_1]
    for i in range(4100):
        raw = hashlib.sha256(b"%d" % i).digest()
        with pytest.raises(SignatureError):
            verify(b64(raw), b"", b64(SIG_1))
    assert len(keys_module._VERIFY_CACHE) == 4096


def test_save_writes_the_seed_with_mode_600_atomically(tmp_path: Path) -> None:
    key = SigningKey.from_seed_b64(b64(SECRET_1))
    path = tmp_path / "node.key"
    path.write_text("old contents")
    path.chmod(0o644)
    key.save(path)
    assert path.read_text() == b64(SECRET_1) + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["node.key"]  # no temporary left


def test_load_or_create_key(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    made = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_or_create_key(path)
    assert again.public_key_b64 == made.public_key_b64
    path.write_text("  " + b64(SECRET_2) + "\n\n")  # whitespace around the seed is fine
    assert load_or_create_key(path).public_key_b64 == b64(PUBLIC_2)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_a_key_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "node.key"
    SigningKey.generate().save(path)
    path.chmod(mode)
    with pytest.raises(ConfigError) as info:
        load_or_create_key(path)
    assert str(info.value) == (
        f"{path}: key file must not be readable by others (mode {mode:o}, want 600)"
    )


@pytest.mark.parametrize(
    ("contents", "reason"),
    [("not a key", "private key is not valid base64"), (b64(b"short"), "must be 32 bytes")],
)
def test_a_bad_key_file_is_a_config_error_naming_it(
    tmp_path: Path, contents: str, reason: str
) -> None:
    path = tmp_path / "node.key"
    SigningKey.generate().save(path)
    path.write_text(contents)
    with pytest.raises(ConfigError) as info:
        load_or_create_key(path)
    assert str(info.value).startswith(f"{path}: ") and str(info.value).endswith(reason)


def test_the_seed_is_never_on_disk_readable_by_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not even for a moment: the temporary file is created with mode 600, before the
    seed is written and the file renamed into place."""
    seen: list[int] = []
    real = keys_module.os.replace

    def replace(src: str | Path, dst: str | Path) -> None:
        seen.append(stat.S_IMODE(Path(src).stat().st_mode))
        real(src, dst)

    monkeypatch.setattr(keys_module.os, "replace", replace)
    SigningKey.generate().save(tmp_path / "node.key")
    assert seen == [0o600]


def test_check_public_key_accepts_only_points_of_the_curve() -> None:
    from liaison.signing.keys import check_public_key

    assert check_public_key(b64(PUBLIC_1)) == b64(PUBLIC_1)
    for bad, message in (
        ("not base64!", "public key is not valid base64"),
        (b64(PUBLIC_1[:31]), "public key must be 32 bytes (Ed25519), not 31"),
        (b64(PUBLIC_1 + b"\x00"), "public key must be 32 bytes (Ed25519), not 33"),
        (b64(b"\x02" + b"\x00" * 31), "public key is not a valid Ed25519 public key"),
    ):
        with pytest.raises(SignatureError) as info:
            check_public_key(bad)
        assert str(info.value) == message
