"""E-mail over SMTP: a plain-text message with an HTML alternative, one connection per mail.

Transport security (:class:`SmtpTls`): ``auto`` (the default) speaks TLS from the start on port
465 and upgrades with STARTTLS whenever the server offers it elsewhere; ``starttls`` requires
the upgrade; ``implicit`` always speaks TLS from the start; ``off`` never uses TLS. Credentials
never cross a connection without TLS unless the operator says so (``allow_plaintext_auth``):
the mail is refused instead, saying why. Certificates are verified against the system's
authorities, or ``ca_file``.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from enum import StrEnum

from cronwright import domain, errors
from cronwright.engine.delivery import render

DEFAULT_TIMEOUT = timedelta(seconds=10)
IMPLICIT_TLS_PORT = 465


class SmtpTls(StrEnum):
    AUTO = "auto"
    STARTTLS = "starttls"
    IMPLICIT = "implicit"
    OFF = "off"


class ClearTextLoginRefused(errors.AlertDeliveryFailed):
    def __init__(self) -> None:
        super().__init__(
            "the SMTP connection has no TLS, so the password was not sent (use STARTTLS or "
            "implicit TLS, or allow it with CRONWRIGHT_SMTP_ALLOW_PLAINTEXT_AUTH)"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    sender: str = "cronwright@localhost"  # the From address
    tls: SmtpTls = SmtpTls.AUTO
    starttls: bool = False  # older spelling of tls=STARTTLS
    username: str | None = None
    password: str | None = None
    allow_plaintext_auth: bool = False  # send credentials over a connection without TLS
    ca_file: str | None = None  # authorities to verify the server with (None: the system's)
    timeout: timedelta = DEFAULT_TIMEOUT  # per socket operation

    @property
    def mode(self) -> SmtpTls:
        if self.starttls and self.tls is SmtpTls.AUTO:
            return SmtpTls.STARTTLS
        if self.tls is SmtpTls.AUTO and self.port == IMPLICIT_TLS_PORT:
            return SmtpTls.IMPLICIT
        return self.tls


def message_for(delivery: domain.OutgoingDelivery, *, sender: str, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = render.subject(delivery.payload)
    message["From"] = sender
    message["To"] = delivery.target
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(f"alert-{delivery.id}")
    message["X-Cronwright-Event"] = delivery.event
    message.set_content(render.plain(delivery.payload))
    message.add_alternative(render.as_html(delivery.payload), subtype="html")
    return message


class EmailSender:
    def __init__(self, settings: SmtpSettings | None = None) -> None:
        self.settings = settings or SmtpSettings()

    def send(self, delivery: domain.OutgoingDelivery, *, now: datetime) -> None:
        config = self.settings
        message = message_for(delivery, sender=config.sender, now=now)
        try:
            with self._connect() as smtp:
                if config.username is not None:
                    if not _encrypted(smtp) and not config.allow_plaintext_auth:
                        raise ClearTextLoginRefused()
                    smtp.login(config.username, config.password or "")
                smtp.send_message(message)
        except errors.AlertDeliveryFailed:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            raise errors.AlertDeliveryFailed(f"{type(exc).__name__}: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        """A connection, upgraded to TLS as the mode says (``AlertDeliveryFailed`` when the
        mode requires TLS and the server does not offer it)."""
        config = self.settings
        mode = config.mode
        timeout = config.timeout.total_seconds()
        context = ssl.create_default_context(cafile=config.ca_file)
        if mode is SmtpTls.IMPLICIT:
            return smtplib.SMTP_SSL(config.host, config.port, timeout=timeout, context=context)
        smtp = smtplib.SMTP(config.host, config.port, timeout=timeout)
        try:
            if mode is not SmtpTls.OFF:
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif mode is SmtpTls.STARTTLS:
                    raise errors.AlertDeliveryFailed("the SMTP server does not offer STARTTLS")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _encrypted(smtp: smtplib.SMTP) -> bool:
    return isinstance(smtp.sock, ssl.SSLSocket)
