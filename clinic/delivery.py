"""Delivery worker: posts each outbox request to BOOKING_WEBHOOK_URL, signed, until the
receiver answers 2xx; and/or e-mails the staff a notice of each new request and crisis flag
(SMTP_HOST, clinic/notices.py). Either or both, in one loop.

- body: the JSON stored in the outbox, byte for byte, on every attempt;
- headers: X-Signature-SHA256 (hex HMAC-SHA256 of the body with BOOKING_WEBHOOK_SECRET) and
  Idempotency-Key (the request_id), so a receiver can drop a repeat;
- retries: exponential backoff (DELIVERY_BACKOFF_BASE seconds, doubling, capped at
  DELIVERY_BACKOFF_MAX, with jitter) after any non-2xx answer, error or timeout
  (DELIVERY_TIMEOUT);
- a request marked delivered is never sent again; state lives in the outbox, so the worker and
  either server can restart at any time.

E-mail notices follow the same rules: leased from the outbox's email_notices table, retried with
the same backoff, marked sent once the mail server accepts them, with a Message-ID fixed per notice
so that a repeat after a crash is recognisable. At start, pending notices older than
NOTIFY_MAX_AGE_HOURS (72) are expired unsent.

With DELIVERY_METRICS_PORT set, the worker serves /metrics (attempts and failures by target, what
waits in the outbox), /healthz and /readyz (ready while it can reach its outbox) on METRICS_HOST.

Run: python -m clinic.delivery (started by `make run` when BOOKING_WEBHOOK_URL or SMTP_HOST is set)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import random
import signal
import smtplib
import sys
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import List, Mapping, Optional, Union
from urllib.parse import urlsplit, urlunsplit

import requests

from clinic import logs, metrics
from clinic.notices import EmailSettings, Notice, compose, send
from clinic.outbox import Outbox

logger = logging.getLogger("delivery")


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def backoff_seconds(attempts: int, base: float, cap: float, rng: random.Random = random.Random()) -> float:
    """Delay before the next try after `attempts` failed ones: base, 2 base, 4 base... capped."""
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    return delay * rng.uniform(0.8, 1.2)


@dataclass(frozen=True)
class RetrySettings:
    """Shared by the webhook and the e-mail notices."""
    timeout: float = 10.0
    backoff_base: float = 2.0
    backoff_max: float = 300.0
    poll_interval: float = 1.0

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> "RetrySettings":
        return cls(
            timeout=float(environ.get("DELIVERY_TIMEOUT", 10)),
            backoff_base=float(environ.get("DELIVERY_BACKOFF_BASE", 2)),
            backoff_max=float(environ.get("DELIVERY_BACKOFF_MAX", 300)),
            poll_interval=float(environ.get("DELIVERY_POLL_INTERVAL", 1)),
        )


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    secret: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Optional["WebhookSettings"]:
        url = environ.get("BOOKING_WEBHOOK_URL", "").strip()
        if not url:
            return None
        secret = environ.get("BOOKING_WEBHOOK_SECRET", "")
        if not secret:
            raise SystemExit("BOOKING_WEBHOOK_URL is set but BOOKING_WEBHOOK_SECRET is empty: "
                             "requests must be signed; set a shared secret.")
        return cls(url=url, secret=secret)

    def describe(self) -> str:
        # Without user, password or query: the line is shown, and a URL can carry a token.
        parts = urlsplit(self.url)
        return f"webhook {urlunsplit((parts.scheme, parts.netloc.rpartition('@')[2], parts.path, '', ''))}"


@dataclass(frozen=True)
class DeliverySettings:
    """What the worker delivers (the webhook, e-mail notices, or both) and how it retries."""
    webhook: Optional[WebhookSettings]
    email: Optional[EmailSettings]
    retry: RetrySettings

    @classmethod
    def from_environment(cls, environ: Optional[Mapping[str, str]] = None) -> "DeliverySettings":
        """SystemExit, naming what to set, when a delivery is switched on but incomplete."""
        environ = os.environ if environ is None else environ
        return cls(webhook=WebhookSettings.from_environment(environ), email=EmailSettings.from_environment(environ),
                   retry=RetrySettings.from_environment(environ))

    def describe(self) -> Optional[str]:
        parts = [part.describe() for part in (self.webhook, self.email) if part is not None]
        return " and ".join(parts) or None


def delivery_summary(environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """One line on what the worker will deliver, e.g. "webhook https://clinic.example/bookings and
    e-mail to desk@clinic.example via smtp.clinic.example:587"; None when neither is configured
    (the worker then has nothing to do). Raises SystemExit with the same message as the worker
    when a delivery is switched on but incomplete."""
    return DeliverySettings.from_environment(environ).describe()


class WebhookDelivery:
    def __init__(self, outbox: Outbox, webhook: WebhookSettings, retry: RetrySettings) -> None:
        self.outbox = outbox
        self.webhook = webhook
        self.retry = retry
        self.session = requests.Session()

    def attempt(self, request_id: str, body: str, attempts: int) -> bool:
        try:
            trace_id = logs.trace_id_of(json.loads(body))
        except ValueError:
            trace_id = ""
        with logs.traced(trace_id):  # the trace id of the message that made the request
            return self._attempt(request_id, body, attempts)

    def _attempt(self, request_id: str, body: str, attempts: int) -> bool:
        raw = body.encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Signature-SHA256": sign(raw, self.webhook.secret),
            "Idempotency-Key": request_id,
        }
        try:
            response = self.session.post(self.webhook.url, data=raw, headers=headers, timeout=self.retry.timeout)
            if 200 <= response.status_code < 300:
                metrics.delivery_attempt("webhook", failed=False)
                self.outbox.mark_delivered(request_id)
                logger.info("delivered %s after %d attempt(s)", request_id, attempts + 1)
                return True
            error = f"HTTP {response.status_code}"
        except requests.RequestException as exception:
            error = type(exception).__name__
        metrics.delivery_attempt("webhook", failed=True)
        delay = backoff_seconds(attempts + 1, self.retry.backoff_base, self.retry.backoff_max)
        self.outbox.mark_failed(request_id, error, time.time() + delay)
        logger.warning("delivery of %s failed (%s); retrying in %.1fs", request_id, error, delay)
        return False

    def deliver_due(self) -> int:
        delivered = 0
        for row in self.outbox.claim_due(lease_seconds=self.retry.timeout + 30):
            delivered += self.attempt(row["request_id"], row["body"], row["attempts"])
        return delivered


# Commands a notice may wait on, each up to the timeout: connect, EHLO, STARTTLS, EHLO, AUTH (two
# steps), MAIL, DATA, the end of the data and QUIT; one RCPT per recipient comes on top.
SMTP_EXCHANGES = 10
NOTICES_PER_PASS = 20


def smtp_error(exception: Exception) -> str:
    if isinstance(exception, smtplib.SMTPResponseException):
        text = exception.smtp_error.decode("utf-8", "replace") if isinstance(exception.smtp_error, bytes) \
            else str(exception.smtp_error)
        return f"SMTP {exception.smtp_code} {text}"
    return f"{type(exception).__name__}: {exception}"


class EmailNoticeDelivery:
    def __init__(self, outbox: Outbox, email: EmailSettings, retry: RetrySettings) -> None:
        self.outbox = outbox
        self.email = email
        self.retry = retry
        self.lease_seconds = retry.timeout * (SMTP_EXCHANGES + len(email.recipients)) + 30
        self.old_notices_expired = False

    def expire_old_notices(self) -> int:
        """A clinic that turns e-mail on later gets notices for what is recent, not its whole history."""
        expired = self.outbox.expire_notices(older_than=timedelta(hours=self.email.max_age_hours))
        if expired:
            logger.info("expired %d pending e-mail notice(s) older than %g hours, without sending them "
                        "(NOTIFY_MAX_AGE_HOURS)", expired, self.email.max_age_hours)
        return expired

    def attempt(self, notice: Notice, attempts: int) -> bool:
        try:
            refused = send(compose(notice, self.email), self.email, self.retry.timeout)
        except (smtplib.SMTPException, OSError) as exception:
            error = smtp_error(exception)
            metrics.delivery_attempt("email", failed=True)
            delay = backoff_seconds(attempts + 1, self.retry.backoff_base, self.retry.backoff_max)
            self.outbox.mark_notice_failed(notice.key, error, time.time() + delay)
            logger.warning("e-mail notice for %s failed (%s); retrying in %.1fs", notice.key, error, delay)
            return False
        metrics.delivery_attempt("email", failed=False)
        self.outbox.mark_notice_sent(notice.key)
        logger.info("sent the e-mail notice for %s after %d attempt(s)", notice.key, attempts + 1)
        if refused:  # accepted for the others: sending again would repeat it to them
            logger.warning("the mail server refused the notice for %s to %s", notice.key, ", ".join(refused))
        return True

    def deliver_due(self) -> int:
        if not self.old_notices_expired:  # before anything is sent; retried next pass if the database fails
            self.expire_old_notices()
            self.old_notices_expired = True
        sent = 0
        for _ in range(NOTICES_PER_PASS):
            # One at a time, so that each lease covers a single send however slow the server is.
            claimed = self.outbox.claim_due_notices(self.lease_seconds, limit=1)
            if not claimed:
                break
            sent += self.attempt(Notice.from_row(claimed[0]), int(claimed[0]["attempts"]))
        return sent


class DeliveryWorker:
    def __init__(self, outbox: Outbox, settings: DeliverySettings) -> None:
        self.settings = settings
        self.deliveries: List[Union[WebhookDelivery, EmailNoticeDelivery]] = []
        if settings.webhook is not None:
            self.deliveries.append(WebhookDelivery(outbox, settings.webhook, settings.retry))
        if settings.email is not None:
            self.deliveries.append(EmailNoticeDelivery(outbox, settings.email, settings.retry))

    def run(self, stop: threading.Event) -> None:
        logger.info("delivering to %s", self.settings.describe())
        while not stop.is_set():
            for delivery in self.deliveries:
                try:
                    delivery.deliver_due()
                except Exception:  # a database hiccup must not end the worker
                    logger.exception("%s pass failed; trying again", type(delivery).__name__)
            stop.wait(self.settings.retry.poll_interval)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    logs.configure()
    settings = DeliverySettings.from_environment()
    if settings.describe() is None:
        logger.info("neither BOOKING_WEBHOOK_URL nor SMTP_HOST is set: requests wait in the outbox "
                    "(see `make bookings`)")
        return
    outbox = Outbox()
    metrics.register(metrics.OutboxCollector(outbox))
    metrics.serve("delivery", outbox.reachable)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Set from another thread: the handler runs on the main thread, which may be holding the
        # event's own lock inside stop.wait(), and setting it there would wait for itself forever.
        signal.signal(signum, lambda *_: threading.Thread(target=stop.set, name="stop").start())
    DeliveryWorker(outbox, settings).run(stop)


if __name__ == "__main__":
    sys.exit(main())
