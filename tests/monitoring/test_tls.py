"""The heartbeat's TLS certificate-expiry assertion, against a real https server on 127.0.0.1
with a certificate made for the test."""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from humangov.monitoring.http import Clients
from humangov.monitoring.rawhttp import RawHttp
from tests.monitoring.helpers import one_check, run


def certificate(tmp_path, valid_days: int):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=valid_days))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # the stdlib's name for it
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def https_server(tmp_path):
    def start(valid_days: int):
        cert_path, key_path = certificate(tmp_path, valid_days)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        # The client trusts exactly this certificate, as it would a real CA's.
        trust = ssl.create_default_context(cafile=str(cert_path))
        return f"https://127.0.0.1:{server.server_address[1]}/", trust

    started: list = []
    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def check(url: str, days: int):
    return one_check(name="tls", type="heartbeat", url=url, interval="1m", timeout="5s",
                     expect={"status": 200}, tls_expiry_days=days)


async def test_a_certificate_expiring_within_the_limit_fails_the_check(https_server):
    url, trust = https_server(valid_days=10)
    clients = Clients(raw=RawHttp(ssl_context=trust))
    try:
        result = await run(check(url, days=30), clients)
    finally:
        await clients.aclose()
    assert result.status == "fail"
    assert any(f"TLS certificate expires in {days}." in result.error for days in (9, 10))


async def test_a_certificate_valid_beyond_the_limit_passes(https_server):
    url, trust = https_server(valid_days=90)
    clients = Clients(raw=RawHttp(ssl_context=trust))
    try:
        result = await run(check(url, days=30), clients)
    finally:
        await clients.aclose()
    assert result.status == "ok", result.error


async def test_an_untrusted_certificate_fails_with_a_clear_reason(https_server, clients):
    url, _ = https_server(valid_days=90)
    result = await run(check(url, days=30), clients)
    assert result.status == "fail" and "not trusted" in result.error
