"""Delivery worker: posts each outbox request to BOOKING_WEBHOOK_URL, signed, until the
receiver answers 2xx.

- body: the JSON stored in the outbox, byte for byte, on every attempt;
- headers: X-Signature-SHA256 (hex HMAC-SHA256 of the body with BOOKING_WEBHOOK_SECRET) and
  Idempotency-Key (the request_id), so a receiver can drop a repeat;
- retries: exponential backoff (DELIVERY_BACKOFF_BASE seconds, doubling, capped at
  DELIVERY_BACKOFF_MAX, with jitter) after any non-2xx answer, error or timeout
  (DELIVERY_TIMEOUT);
- a request marked delivered is never sent again; state lives in the outbox, so the worker and
  either server can restart at any time.

Run: python -m actions.delivery (started by `make run` when BOOKING_WEBHOOK_URL is set)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass
from typing import Dict, Optional

import requests

from actions.outbox import Outbox

logger = logging.getLogger("delivery")


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def backoff_seconds(attempts: int, base: float, cap: float, rng: random.Random = random.Random()) -> float:
    """Delay before the next try after `attempts` failed ones: base, 2 base, 4 base... capped."""
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    return delay * rng.uniform(0.8, 1.2)


@dataclass
class DeliverySettings:
    url: str
    secret: str
    timeout: float = 10.0
    backoff_base: float = 2.0
    backoff_max: float = 300.0
    poll_interval: float = 1.0

    @classmethod
    def from_environment(cls, environ: Optional[Dict[str, str]] = None) -> Optional["DeliverySettings"]:
        environ = os.environ if environ is None else environ
        url = environ.get("BOOKING_WEBHOOK_URL", "").strip()
        if not url:
            return None
        secret = environ.get("BOOKING_WEBHOOK_SECRET", "")
        if not secret:
            raise SystemExit("BOOKING_WEBHOOK_URL is set but BOOKING_WEBHOOK_SECRET is empty: "
                             "requests must be signed; set a shared secret.")
        return cls(
            url=url, secret=secret,
            timeout=float(environ.get("DELIVERY_TIMEOUT", 10)),
            backoff_base=float(environ.get("DELIVERY_BACKOFF_BASE", 2)),
            backoff_max=float(environ.get("DELIVERY_BACKOFF_MAX", 300)),
            poll_interval=float(environ.get("DELIVERY_POLL_INTERVAL", 1)),
        )


class DeliveryWorker:
    def __init__(self, outbox: Outbox, settings: DeliverySettings) -> None:
        self.outbox = outbox
        self.settings = settings
        self.session = requests.Session()

    def attempt(self, request_id: str, body: str, attempts: int) -> bool:
        raw = body.encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Signature-SHA256": sign(raw, self.settings.secret),
            "Idempotency-Key": request_id,
        }
        try:
            response = self.session.post(self.settings.url, data=raw, headers=headers,
                                         timeout=self.settings.timeout)
            if 200 <= response.status_code < 300:
                self.outbox.mark_delivered(request_id)
                logger.info("delivered %s after %d attempt(s)", request_id, attempts + 1)
                return True
            error = f"HTTP {response.status_code}"
        except requests.RequestException as exception:
            error = type(exception).__name__
        delay = backoff_seconds(attempts + 1, self.settings.backoff_base, self.settings.backoff_max)
        self.outbox.mark_failed(request_id, error, time.time() + delay)
        logger.warning("delivery of %s failed (%s); retrying in %.1fs", request_id, error, delay)
        return False

    def deliver_due(self) -> int:
        delivered = 0
        for row in self.outbox.claim_due(lease_seconds=self.settings.timeout + 30):
            delivered += self.attempt(row["request_id"], row["body"], row["attempts"])
        return delivered

    def run(self, stop: threading.Event) -> None:
        logger.info("delivering outbox requests to the configured webhook")
        while not stop.is_set():
            try:
                self.deliver_due()
            except Exception:  # a database hiccup must not end the worker
                logger.exception("delivery pass failed; trying again")
            stop.wait(self.settings.poll_interval)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    settings = DeliverySettings.from_environment()
    if settings is None:
        logger.info("no BOOKING_WEBHOOK_URL: requests wait in the outbox (see `make bookings`)")
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Set from another thread: the handler runs on the main thread, which may be holding the
        # event's own lock inside stop.wait(), and setting it there would wait for itself forever.
        signal.signal(signum, lambda *_: threading.Thread(target=stop.set, name="stop").start())
    DeliveryWorker(Outbox(), settings).run(stop)


if __name__ == "__main__":
    sys.exit(main())
