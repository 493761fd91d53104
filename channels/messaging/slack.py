"""Slack (Events API and interactive buttons on one URL). Verifies the signing secret
(X-Slack-Signature over "v0:<timestamp>:<body>", timestamps within 5 minutes), answers Slack's URL
check, drops its retries of events already handled (on any of the Rasa servers, when they share
Redis: channels/messaging/seen_events.py), and ignores bots' own messages."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, Dict, List, Optional

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.messaging.base import Incoming, MessagingInput
from channels.messaging.seen_events import seen_events_store

SLACK_API = "https://slack.com/api"
MAX_AGE_SECONDS = 300


class SlackInput(MessagingInput):
    channel_name = "slack"
    max_length = 3000  # a section block's text
    has_buttons = True

    def __init__(self, bot_token: str, signing_secret: str, api_url: str = SLACK_API) -> None:
        super().__init__(api_url)
        self.bot_token, self.signing_secret = bot_token, signing_secret
        self.seen_events = seen_events_store("slack")

    def is_authentic(self, request: Request) -> bool:
        stamp = request.headers.get("x-slack-request-timestamp", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > MAX_AGE_SECONDS:
            return False
        base = b"v0:" + stamp.encode() + b":" + (request.body or b"")
        expected = "v0=" + hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, request.headers.get("x-slack-signature", ""))

    async def early_answer(self, request: Request) -> Optional[HTTPResponse]:
        body = self.event_body(request)
        if body.get("type") == "url_verification":
            return response.json({"challenge": body.get("challenge", "")})
        event_id = body.get("event_id")
        if event_id and not await self.seen_events.first_time(str(event_id)):
            return response.json({"status": "already handled"})
        return None

    @staticmethod
    def event_body(request: Request) -> Dict[str, Any]:
        if request.form and request.form.get("payload"):  # a button press (interactivity)
            return json.loads(request.form.get("payload"))
        return request.json if isinstance(request.json, dict) else {}

    def incoming(self, request: Request) -> List[Incoming]:
        body = self.event_body(request)
        if body.get("type") == "block_actions":
            action = body["actions"][0]
            return [Incoming(f"{body['channel']['id']}/{body['user']['id']}", action["value"])]
        event = body.get("event") or {}
        if body.get("type") != "event_callback" or event.get("type") != "message":
            return []
        if event.get("bot_id") or event.get("subtype") or not (event.get("text") or "").strip():
            return []
        return [Incoming(f"{event['channel']}/{event['user']}", event["text"])]

    async def deliver(self, platform_id: str, text: str, buttons: List[Dict[str, Any]]) -> None:
        channel = platform_id.split("/", 1)[0]
        blocks: List[Dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        if buttons:
            blocks.append({"type": "actions", "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": b["title"][:75]}, "value": b["payload"]}
                for b in buttons
            ]})
        await self.post_json(f"{self.api_url}/chat.postMessage", {"channel": channel, "text": text, "blocks": blocks},
                             headers={"Authorization": f"Bearer {self.bot_token}"})
