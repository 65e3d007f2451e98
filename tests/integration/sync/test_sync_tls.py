"""HTTPS with mutual TLS between nodes; plain HTTP refused off loopback.

A CA, a server certificate for 127.0.0.1 and client certificates are made here with
``cryptography``; ``liaison serve --tls-cert --tls-key --tls-client-ca`` serves MR.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sync_world import Tls, WorldFactory, cli_env

from liaison.sync import PeerError, put_peer

Key = ec.EllipticCurvePrivateKey


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(path: Path, cert: x509.Certificate, key: Key | None = None) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        path.with_suffix(".key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return path


@dataclass
class Pki:
    """Files of one certificate authority and what it issued."""

    dir: Path
    ca_key: Key
    ca_cert: x509.Certificate

    @classmethod
    def make(cls, dir: Path, name: str) -> Pki:
        dir.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        pki = cls(dir, key, cert)
        _write(dir / "ca.pem", cert)
        return pki

    @property
    def ca(self) -> Path:
        return self.dir / "ca.pem"

    def issue(self, name: str, *, server: bool) -> Path:
        """``NAME.pem`` and ``NAME.key``: a server (127.0.0.1) or client certificate."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(self.ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
        return _write(self.dir / f"{name}.pem", builder.sign(self.ca_key, hashes.SHA256()), key)


def _client_ctx(pki: Pki, client: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    ctx.load_cert_chain(str(client), str(client.with_suffix(".key")))
    return ctx


@pytest.mark.slow
def test_mutual_tls_sync(world_factory: WorldFactory, tmp_path: Path) -> None:
    world = world_factory("DZ", "MR", agreements=[("DZ", "MR")], start=False)
    dz, mr = world["DZ"], world["MR"]
    pki = Pki.make(tmp_path / "pki", "Liaison test CA")
    server = pki.issue("mr-server", server=True)
    client = pki.issue("dz-client", server=False)
    rogue = Pki.make(tmp_path / "rogue", "Someone else's CA")
    rogue_client = rogue.issue("dz-client", server=False)

    mr.start(
        Tls(server, server.with_suffix(".key"), client_ca=pki.ca),
        ready_ctx=_client_ctx(pki, client),
    )
    assert mr.url.startswith("https://127.0.0.1:")
    peer = world.connect(
        "MR",
        "DZ",
        ca=str(pki.ca),
        client_cert=str(client),
        client_key=str(client.with_suffix(".key")),
    )
    mr.post(world.marked_reports("MR", 5, to=["DZ"]))
    report = dz.pull("MR")
    assert (report.stored, report.rejected) == (7, 0), report.reasons
    assert len(mr.log.read_text().splitlines()) >= 1  # the server said where it serves
    assert "https://" in mr.log.read_text()

    # no client certificate: the TLS handshake is refused, and the error says so
    put_peer(dz.node, replace(peer, client_cert="", client_key=""))
    with pytest.raises(PeerError) as no_cert:
        dz.pull("MR")
    text = str(no_cert.value)
    assert text.startswith("MR: cannot reach https://127.0.0.1:")
    assert "probably requires a client certificate" in text, text
    assert "--client-cert" in text

    # a client certificate from a CA MR does not trust: refused as well
    put_peer(
        dz.node,
        replace(
            peer,
            client_cert=str(rogue_client),
            client_key=str(rogue_client.with_suffix(".key")),
        ),
    )
    with pytest.raises(PeerError, match="may not accept our client certificate"):
        dz.pull("MR")

    # DZ does not trust the server's CA: refused before any credential is sent
    put_peer(dz.node, replace(peer, ca=str(rogue.ca)))
    with pytest.raises(PeerError, match=r"CERTIFICATE_VERIFY_FAILED.*not trusted \(check"):
        dz.pull("MR")

    # plain HTTP to the HTTPS port gets nowhere either
    put_peer(dz.node, replace(peer, url=mr.url.replace("https://", "http://")))
    with pytest.raises(PeerError, match="plain HTTP was refused"):
        dz.pull("MR")

    # and with the right certificate again, sync resumes where it stopped
    put_peer(dz.node, peer)
    mr.post(world.marked_reports("MR", 2, to=["DZ"], start=20)[2:])
    assert dz.pull("MR").stored == 2


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])
def test_plain_http_off_loopback_is_refused(world_factory: WorldFactory, host: str) -> None:
    world = world_factory("DZ", start=False)
    home = world["DZ"].node.home
    done = subprocess.run(
        [sys.executable, "-m", "liaison", "serve", str(home), "--host", host, "--port", "1"],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"refusing plain HTTP on {host}" in lines[0]
    assert "--tls-cert" in lines[0]


def test_tls_cert_without_key_is_refused(world_factory: WorldFactory, tmp_path: Path) -> None:
    world = world_factory("DZ", start=False)
    pki = Pki.make(tmp_path / "pki", "CA")
    cert = pki.issue("dz", server=True)
    done = subprocess.run(
        [
            *(sys.executable, "-m", "liaison", "serve", str(world["DZ"].node.home)),
            *("--tls-cert", str(cert), "--port", "1"),
        ],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--tls-cert and --tls-key go together" in lines[0], lines
