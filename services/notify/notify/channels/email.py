"""Email over SMTP: plain text and HTML, `List-Unsubscribe` to the person's settings page."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from notify.channels import DeliveryFailed, Outgoing
from notify.settings import NotifySettings


class EmailChannel:
    name = "email"

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    def message(self, outgoing: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.settings.mail_from
        mail["To"] = outgoing.to
        mail["Subject"] = outgoing.subject
        mail["Message-ID"] = make_msgid(domain="sprpa.invalid")
        mail["Content-Language"] = outgoing.language
        mail["List-Unsubscribe"] = f"<{outgoing.unsubscribe}>"
        mail.set_content(outgoing.text)
        mail.add_alternative(outgoing.html, subtype="html")
        return mail

    async def send(self, outgoing: Outgoing) -> str | None:
        mail = self.message(outgoing)
        await asyncio.to_thread(self._send, mail)
        return str(mail["Message-ID"])

    def _send(self, mail: EmailMessage) -> None:
        settings = self.settings
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.smtp_username:
                    smtp.login(settings.smtp_username, settings.smtp_password)
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}"[:300]) from exc
