"""Outgoing mail: SMTP for real sends, console for development."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from email.message import EmailMessage
from typing import Protocol

from server.settings import Settings

log = logging.getLogger("server.mail")


class Mailer(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None: ...


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


class SmtpMailer:
    def __init__(self, host: str, port: int, sender: str) -> None:
        self.host, self.port, self.sender = host, port, sender

    async def send(self, to: str, subject: str, body: str) -> None:
        await asyncio.to_thread(self._send, _message(self.sender, to, subject, body))

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.send_message(message)


class ConsoleMailer:
    """Development adapter: the message goes to the log, links included."""

    def __init__(self, sender: str) -> None:
        self.sender = sender

    async def send(self, to: str, subject: str, body: str) -> None:
        log.warning("MAIL (console adapter, not sent)\nTo: %s\nSubject: %s\n\n%s", to, subject, body)


def make_mailer(settings: Settings) -> Mailer:
    if settings.mail == "smtp":
        return SmtpMailer(settings.smtp_host, settings.smtp_port, settings.mail_from)
    if settings.mail == "console":
        return ConsoleMailer(settings.mail_from)
    raise ValueError(f"unknown mail adapter {settings.mail!r}")


async def send_safely(mailer: Mailer, to: str, subject: str, body: str) -> bool:
    """Send after the transaction committed. A mail failure must not undo the
    committed change; the person can ask for the mail again."""
    try:
        await mailer.send(to, subject, body)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("mail to %s failed: %s", to, exc)
        return False
    return True
