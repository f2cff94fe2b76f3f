"""E-mail over SMTP (implicit TLS on 465, STARTTLS otherwise)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from groupbuy.notifications.senders.base import Outbound, PermanentSendError, TransientSendError


class SmtpEmailSender:
    def __init__(self, *, host: str, port: int, user: str, password: str, sender: str, timeout: float) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.sender, self.timeout = sender, timeout

    def send(self, message: Outbound) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, message.target, message.subject
        mail.set_content(message.body)
        try:
            if self.port == 465:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                smtp.starttls(context=ssl.create_default_context())
            with smtp:
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentSendError("recipient refused") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientSendError(type(exc).__name__) from exc
