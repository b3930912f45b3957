"""E-mail over SMTP: a plain-text message with an HTML alternative, one connection per mail."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from cronwright import errors
from cronwright.engine.delivery import render
from cronwright.store import alerts

DEFAULT_TIMEOUT = timedelta(seconds=10)


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    sender: str = "cronwright@localhost"  # the From address
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: timedelta = DEFAULT_TIMEOUT  # per socket operation


def message_for(delivery: alerts.OutgoingDelivery, *, sender: str, now: datetime) -> EmailMessage:
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

    def send(self, delivery: alerts.OutgoingDelivery, *, now: datetime) -> None:
        config = self.settings
        message = message_for(delivery, sender=config.sender, now=now)
        try:
            with smtplib.SMTP(
                config.host, config.port, timeout=config.timeout.total_seconds()
            ) as smtp:
                if config.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if config.username is not None:
                    smtp.login(config.username, config.password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise errors.AlertDeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
