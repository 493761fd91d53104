"""E-mail notices: the clinic staff's heads-up that a new booking or call-back request, or a crisis
flag, needs them. Sent by the delivery worker (clinic/delivery.py) from the outbox's
`email_notices` table.

A notice carries only the reference, the kind, when it was created and a link to the staff
console; names, contact details, messages and conversation ids stay behind the console's login,
since e-mail passes through servers and mailboxes the clinic does not control."""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple
from urllib.parse import quote

from clinic.outbox import REQUEST_KINDS

DEFAULT_CONSOLE_URL = "http://127.0.0.1:8081"
DEFAULT_MAX_AGE_HOURS = 72.0
FALSE_WORDS = {"0", "false", "no", "off"}
CRISIS = "crisis"


@dataclass(frozen=True)
class EmailSettings:
    host: str
    sender: str
    recipients: Tuple[str, ...]
    port: int = 587
    username: str = ""
    password: str = ""
    starttls: bool = True
    ca_file: str = ""
    console_url: str = DEFAULT_CONSOLE_URL
    max_age_hours: float = DEFAULT_MAX_AGE_HOURS

    @classmethod
    def from_environment(cls, environ: Optional[Mapping[str, str]] = None) -> Optional["EmailSettings"]:
        """None without SMTP_HOST; SystemExit naming what to set when the settings are incomplete."""
        environ = os.environ if environ is None else environ
        host = environ.get("SMTP_HOST", "").strip()
        if not host:
            return None
        recipients = tuple(a.strip() for a in environ.get("NOTIFY_EMAIL_TO", "").split(",") if a.strip())
        sender = environ.get("NOTIFY_EMAIL_FROM", "").strip()
        missing = {name: hint for name, value, hint in (
            ("NOTIFY_EMAIL_TO", recipients, "the staff address that receives the notices, or several comma-separated"),
            ("NOTIFY_EMAIL_FROM", sender, "the address they are sent from"),
        ) if not value}
        if missing:
            raise SystemExit(f"SMTP_HOST is set but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                             f"empty: set {' and '.join(f'{name} ({hint})' for name, hint in missing.items())}.")
        for name, address in [("NOTIFY_EMAIL_FROM", sender)] + [("NOTIFY_EMAIL_TO", a) for a in recipients]:
            if "@" not in parseaddr(address)[1]:
                raise SystemExit(f"{name}: {address!r} is not an e-mail address")
        ca_file = environ.get("SMTP_CA_FILE", "").strip()
        if ca_file and not Path(ca_file).is_file():
            raise SystemExit(f"SMTP_CA_FILE: {ca_file} is not a file")
        return cls(
            host=host, sender=sender, recipients=recipients,
            port=int(_number(environ, "SMTP_PORT", 587, whole=True)),
            username=environ.get("SMTP_USERNAME", "").strip(),
            password=environ.get("SMTP_PASSWORD", ""),
            starttls=environ.get("SMTP_STARTTLS", "").strip().lower() not in FALSE_WORDS,
            ca_file=ca_file,
            console_url=(environ.get("STAFF_CONSOLE_URL", "").strip() or DEFAULT_CONSOLE_URL).rstrip("/"),
            max_age_hours=_number(environ, "NOTIFY_MAX_AGE_HOURS", DEFAULT_MAX_AGE_HOURS),
        )

    def describe(self) -> str:
        return f"e-mail to {', '.join(self.recipients)} via {self.host}:{self.port}"

    def ssl_context(self) -> ssl.SSLContext:
        """Verifies the server's certificate: against SMTP_CA_FILE when set, else the system's CAs."""
        return ssl.create_default_context(cafile=self.ca_file or None)


def _number(environ: Mapping[str, str], name: str, default: float, whole: bool = False) -> float:
    """A non-negative number (whole, if asked) from the environment; the default when unset."""
    text = environ.get(name, "").strip()
    try:
        value = float(text) if text else float(default)
    except ValueError:
        value = -1.0
    if value < 0 or (whole and not value.is_integer()):
        raise SystemExit(f"{name}: {text!r} is not a valid {'whole ' if whole else ''}number")
    return value


@dataclass(frozen=True)
class Notice:
    """A row of the outbox's email_notices table: all that a notice e-mail is made of."""
    key: str
    kind: str
    reference: str
    created_at: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Notice":
        return cls(str(row["notice_key"]), str(row["kind"]), str(row["reference"]), str(row["created_at"]))

    @property
    def is_request(self) -> bool:
        return self.kind in REQUEST_KINDS


def message_id(notice: Notice, sender: str) -> str:
    """The same for every attempt at one notice, so a repeat after a crash is recognisable. The
    creation time keeps it unique when a reset outbox numbers its flags from 1 again."""
    stamp = "".join(c for c in notice.created_at if c.isalnum())
    local = "".join(c if c.isalnum() or c == "-" else "." for c in notice.key)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<notice.{local}.{stamp}@{domain}>"


def readable_time(created_at: str) -> str:
    try:
        moment = datetime.fromisoformat(created_at.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return created_at
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def compose(notice: Notice, settings: EmailSettings) -> EmailMessage:
    created = readable_time(notice.created_at)
    if notice.is_request:
        label = REQUEST_KINDS[notice.kind].label
        link = f"{settings.console_url}/requests/{quote(notice.reference)}"
        subject = f"New {label} request {notice.reference}"
        lines = [f"A new {label} request is waiting in the staff console.", "",
                 f"Reference: {notice.reference}"]
    else:
        label = "crisis flag" if notice.kind == CRISIS else f"{notice.kind} flag"
        link = f"{settings.console_url}/flags/{quote(notice.reference)}"
        if notice.kind == CRISIS:
            subject = f"URGENT - Crisis flag {notice.reference}: please follow up"
            lines = ["URGENT: a patient may be in crisis. Please follow up now.", ""]
        else:
            subject = f"Flag {notice.reference} ({notice.kind}): please follow up"
            lines = [f"A conversation was flagged ({notice.kind}) for staff follow-up.", ""]
        lines.append(f"Reference: flag {notice.reference}")
    lines += [
        f"Kind: {label}",
        f"Created: {created}",
        f"Link: {link}",
        "",
        "Who it is, how to reach them and what they wrote are in the staff",
        "console only, behind its login: this e-mail deliberately leaves them out.",
    ]
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = message_id(notice, settings.sender)
    if notice.kind == CRISIS:
        message["Importance"] = "high"
        message["X-Priority"] = "1"
    message.set_content("\n".join(lines) + "\n")
    return message


def send(message: EmailMessage, settings: EmailSettings, timeout: float) -> Dict[str, Tuple[int, bytes]]:
    """Hands the message to the SMTP server (STARTTLS first unless turned off, then the login if
    a username is set); raises on any failure. Returns the recipients the server refused while
    accepting it for the others."""
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    try:
        if settings.starttls:
            smtp.starttls(context=settings.ssl_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
        refused = smtp.send_message(message, from_addr=parseaddr(settings.sender)[1],
                                    to_addrs=[parseaddr(a)[1] for a in settings.recipients])
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass  # the server has accepted the message: a failed goodbye must not send it again
        return refused
    finally:
        smtp.close()
