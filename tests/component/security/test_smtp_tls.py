"""Alert mail never sends the SMTP password in clear: STARTTLS (or implicit TLS) whenever a
password is set, and a refusal otherwise unless the operator allows clear-text logins. Real
aiosmtpd servers, with and without TLS, on a certificate made here."""

from __future__ import annotations

import ssl
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from cronwright import domain, errors, settings
from cronwright.bootstrap import runtime
from cronwright.domain import alert_channel
from cronwright.engine.delivery import smtp_mail
from tests.component.alerts.receivers import free_port
from tests.component.security.conftest import V1, SecuredApi, serve_api

USER, PASSWORD = "alerts", "smtp-pass-0451"


@dataclass
class MailServer:
    """What the server saw: each login (with whether it came over TLS) and each mail."""

    port: int
    logins: list[tuple[str, bool]] = field(default_factory=list)
    mails: list[bytes] = field(default_factory=list)

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.mails.append(envelope.original_content or b"")
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        transport = server.transport
        over_tls = session.ssl is not None or (
            transport is not None and transport.get_extra_info("sslcontext") is not None
        )
        self.logins.append((data.password.decode(), bool(over_tls)))
        return AuthResult(success=data.login.decode() == USER)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl CLI), and its key."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(
    certificate: tuple[Path, Path], protocol: int = ssl.PROTOCOL_TLS_SERVER
) -> ssl.SSLContext:
    context = ssl.SSLContext(protocol)
    context.load_cert_chain(*map(str, certificate))
    return context


@pytest.fixture
def plain_server() -> Iterator[MailServer]:
    """No TLS at all, and logins accepted in clear (a careless or hostile server)."""
    yield from running(auth_require_tls=False)


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[MailServer]:
    yield from running(tls_context=server_context(certificate), auth_require_tls=True)


@pytest.fixture
def implicit_server(certificate: tuple[Path, Path]) -> Iterator[MailServer]:
    # Usable on both sides: aiosmtpd's readiness probe wraps its own client socket with it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context = server_context(certificate, ssl.PROTOCOL_TLS)
    yield from running(ssl_context=context, auth_require_tls=False)


def running(ssl_context: ssl.SSLContext | None = None, **smtp: Any) -> Iterator[MailServer]:
    mail = MailServer(port=free_port())
    controller = Controller(
        mail,
        hostname="127.0.0.1",
        port=mail.port,
        ssl_context=ssl_context,
        authenticator=mail.authenticate,
        **smtp,
    )
    controller.start()
    try:
        yield mail
    finally:
        controller.stop()


def delivery() -> domain.OutgoingDelivery:
    return domain.OutgoingDelivery(
        id=1,
        org_id=domain.OrganizationId(1),
        channel_id=alert_channel.AlertChannelId(1),
        kind=domain.AlertChannelKind.EMAIL,
        target="oncall@example.org",
        secret=None,
        event="test",
        payload={"event": "test", "summary": "a test alert"},
        attempt=1,
    )


def sender(
    port: int, certificate: tuple[Path, Path] | None = None, **options: Any
) -> smtp_mail.EmailSender:
    return smtp_mail.EmailSender(
        smtp_mail.SmtpSettings(
            host="127.0.0.1",
            port=port,
            username=USER,
            password=PASSWORD,
            ca_file=None if certificate is None else str(certificate[0]),
            timeout=timedelta(seconds=20),
            **options,
        )
    )


def send(mail_sender: smtp_mail.EmailSender) -> None:
    from cronwright.clock import SystemClock

    mail_sender.send(delivery(), now=SystemClock().now())


def test_a_password_is_not_sent_to_a_server_without_tls(plain_server: MailServer) -> None:
    with pytest.raises(errors.AlertDeliveryFailed, match="password was not sent"):
        send(sender(plain_server.port))
    assert plain_server.logins == []
    assert plain_server.mails == []


def test_a_password_goes_over_starttls_by_default(
    starttls_server: MailServer, certificate: tuple[Path, Path]
) -> None:
    send(sender(starttls_server.port, certificate))
    assert starttls_server.logins == [(PASSWORD, True)]
    assert len(starttls_server.mails) == 1


def test_implicit_tls_sends_over_tls_from_the_start(
    implicit_server: MailServer, certificate: tuple[Path, Path]
) -> None:
    send(sender(implicit_server.port, certificate, tls=smtp_mail.SmtpTls.IMPLICIT))
    assert implicit_server.logins == [(PASSWORD, True)]
    assert len(implicit_server.mails) == 1


def test_an_untrusted_certificate_is_refused(starttls_server: MailServer) -> None:
    with pytest.raises(errors.AlertDeliveryFailed, match="CERTIFICATE_VERIFY_FAILED"):
        send(sender(starttls_server.port))  # the system's authorities do not know it
    assert starttls_server.logins == []


def test_starttls_required_and_not_offered_sends_nothing(plain_server: MailServer) -> None:
    anonymous = smtp_mail.EmailSender(
        smtp_mail.SmtpSettings(
            host="127.0.0.1", port=plain_server.port, tls=smtp_mail.SmtpTls.STARTTLS
        )
    )
    with pytest.raises(errors.AlertDeliveryFailed, match="does not offer STARTTLS"):
        send(anonymous)
    assert plain_server.mails == []


def test_the_operator_may_allow_clear_text_logins_explicitly(plain_server: MailServer) -> None:
    send(sender(plain_server.port, allow_plaintext_auth=True))
    assert plain_server.logins == [(PASSWORD, False)]


def test_mail_without_credentials_still_goes_to_a_server_without_tls(
    plain_server: MailServer,
) -> None:
    send(smtp_mail.EmailSender(smtp_mail.SmtpSettings(host="127.0.0.1", port=plain_server.port)))
    assert len(plain_server.mails) == 1


def test_the_settings_default_to_tls_when_a_password_is_set() -> None:
    chosen = settings.Settings(smtp_host="mail.example.org", smtp_password=PASSWORD)
    smtp = runtime.alert_settings(chosen).smtp
    assert (smtp.mode, smtp.allow_plaintext_auth) == (smtp_mail.SmtpTls.AUTO, False)
    assert (
        runtime.alert_settings(settings.Settings(smtp_port=465)).smtp.mode
        is smtp_mail.SmtpTls.IMPLICIT
    )
    assert chosen.masked()["CRONWRIGHT_SMTP_PASSWORD"] == "***"


@pytest.fixture
def mail_api(
    request: pytest.FixtureRequest, tmp_path: Path, plain_server: MailServer
) -> Iterator[SecuredApi]:
    yield from serve_api(
        request,
        tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=str(plain_server.port),
        smtp_username=USER,
        smtp_password=PASSWORD,
    )


def test_a_test_alert_over_http_sends_no_password_in_clear(
    mail_api: SecuredApi, plain_server: MailServer
) -> None:
    org = mail_api.organization()
    created = org.admin.post(
        f"{V1}/alert-channels",
        json={
            "name": "mail",
            "kind": "email",
            "target": "ops@example.org",
            "events": ["run_failed"],
        },
    )
    assert created.status_code == 201, created.text
    answer = org.admin.post(f"{V1}/alert-channels/{created.json()['id']}/test")
    assert answer.status_code == 200, answer.text
    assert answer.json()["delivered"] is False
    assert PASSWORD not in answer.text
    assert plain_server.logins == []
