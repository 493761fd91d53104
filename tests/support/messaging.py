"""Signing and reading the messaging platforms' webhooks as each platform does, for the tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import List, Union

import requests

from tests.support.receiver import Receiver

SECRETS = {
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "twilio-token", "TWILIO_SMS_NUMBER": "+12025550100",
    "TWILIO_WHATSAPP_NUMBER": "+12025550101",
    "MESSENGER_VERIFY_TOKEN": "verify-me", "MESSENGER_APP_SECRET": "messenger-secret",
    "MESSENGER_PAGE_ACCESS_TOKEN": "page-token",
    "TELEGRAM_BOT_TOKEN": "123:telegram-token", "TELEGRAM_SECRET_TOKEN": "telegram-secret",
    "SLACK_BOT_TOKEN": "xoxb-slack", "SLACK_SIGNING_SECRET": "slack-secret",
}


def webhook(server: Union[str, object], channel: str) -> str:
    """The channel's webhook on a running assistant, or on the Rasa server at a URL."""
    rasa_url = server if isinstance(server, str) else server.rasa_url
    return f"{rasa_url}/webhooks/{channel}/webhook"


def slack_post(assistant, payload: dict, secret: str = SECRETS["SLACK_SIGNING_SECRET"],
               stamp: int = 0, form: bool = False) -> requests.Response:
    body = (f"payload={requests.utils.quote(json.dumps(payload))}" if form else json.dumps(payload)).encode()
    stamp = stamp or int(time.time())
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    content_type = "application/x-www-form-urlencoded" if form else "application/json"
    return requests.post(webhook(assistant, "slack"), data=body, timeout=60, headers={
        "Content-Type": content_type, "X-Slack-Request-Timestamp": str(stamp), "X-Slack-Signature": signature})


def slack_message(channel: str, text: str, event_id: str = "", **extra) -> dict:
    return {"type": "event_callback", "event_id": event_id or uuid.uuid4().hex,
            "event": {"type": "message", "user": "U1", "channel": channel, "text": text, **extra}}


def slack_sent(platforms: Receiver, channel: str) -> List[dict]:
    return [m for m in platforms.sent("/chat.postMessage") if m["channel"] == channel]
