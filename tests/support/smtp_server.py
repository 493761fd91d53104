"""A real SMTP server on 127.0.0.1 (aiosmtpd) standing in for the clinic's mail server: records
each message it accepts; can require STARTTLS (with a certificate made for the test) and a
log-in, refuse the first few messages with a temporary error, or take its time accepting them."""

from __future__ import annotations

import asyncio
import datetime
import email
import email.policy
import ipaddress
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import List, Optional, Tuple

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tools.servers import free_port

HOST = "127.0.0.1"


def self_signed_certificate(directory: Path) -> Tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key; the certificate is its own CA
    (the file to give the client as SMTP_CA_FILE)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test mail server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@dataclass
class Accepted:
    raw: bytes
    mail_from: str
    recipients: List[str]
    over_tls: bool
    user: Optional[str]

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[return-value]


class SmtpServer:
    """Use as a context manager; `accepted` lists the messages answered with 250."""

    def __init__(self, port: int = 0, refuse_first: int = 0, accept_delay: float = 0.0,
                 certificate: Optional[Tuple[Path, Path]] = None, login: Optional[Tuple[str, str]] = None) -> None:
        self.refuse_first, self.accept_delay, self.login = refuse_first, accept_delay, login
        self.accepted: List[Accepted] = []
        self.data_commands = 0  # every message the client tried to hand over, refused or not
        self._lock = threading.Lock()
        tls_context = None
        if certificate is not None:
            tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls_context.load_cert_chain(*map(str, certificate))
        self.port = port or free_port()
        self.controller = Controller(
            self, hostname=HOST, port=self.port, tls_context=tls_context, require_starttls=tls_context is not None,
            authenticator=self._authenticate if login else None, auth_required=login is not None,
            auth_require_tls=tls_context is not None,
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        valid = isinstance(auth_data, LoginPassword) and self.login is not None \
            and (auth_data.login.decode(), auth_data.password.decode()) == self.login
        return AuthResult(success=valid, handled=False, auth_data=auth_data.login.decode() if valid else None)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's naming)
        with self._lock:
            self.data_commands += 1
            number = self.data_commands
        if number <= self.refuse_first:
            return "451 4.3.0 Temporarily unable to accept the message, try again later"
        if self.accept_delay:
            # Cancelled by aiosmtpd if the client goes away meanwhile: then nothing is accepted.
            await asyncio.sleep(self.accept_delay)
        with self._lock:
            self.accepted.append(Accepted(
                raw=envelope.original_content or envelope.content, mail_from=envelope.mail_from,
                recipients=list(envelope.rcpt_tos), over_tls=session.ssl is not None,
                user=session.auth_data if session.authenticated else None,
            ))
        return "250 2.0.0 Message accepted"

    def messages(self) -> List[EmailMessage]:
        with self._lock:
            return [accepted.message for accepted in self.accepted]

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
