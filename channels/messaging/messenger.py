"""Facebook Messenger: verifies X-Hub-Signature-256 (HMAC-SHA256 of the body with the app secret;
Rasa's channel checks only the older SHA-1 header), answers the subscription check, and sends
quick replies (at most 13, titles of at most 20 characters)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Dict, List

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.messaging.base import Incoming, MessagingInput

GRAPH_API = "https://graph.facebook.com/v19.0"
MAX_QUICK_REPLIES = 13
MAX_TITLE = 20


class MessengerInput(MessagingInput):
    channel_name = "messenger"
    max_length = 2000
    has_buttons = True

    def __init__(self, verify_token: str, app_secret: str, page_access_token: str, api_url: str = GRAPH_API) -> None:
        super().__init__(api_url)
        self.verify_token, self.app_secret, self.page_access_token = verify_token, app_secret, page_access_token

    def native_buttons(self, buttons: List[Dict[str, Any]]) -> bool:
        return len(buttons) <= MAX_QUICK_REPLIES

    def handshake(self, request: Request) -> HTTPResponse:
        if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(
            request.args.get("hub.verify_token", ""), self.verify_token
        ):
            return response.text(request.args.get("hub.challenge", ""))
        return response.json({"error": "wrong verify token"}, status=403)

    def is_authentic(self, request: Request) -> bool:
        expected = "sha256=" + hmac.new(self.app_secret.encode(), request.body or b"", hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, request.headers.get("x-hub-signature-256", ""))

    def incoming(self, request: Request) -> List[Incoming]:
        messages = []
        for entry in request.json.get("entry", []):
            for event in entry.get("messaging", []):
                message = event.get("message") or {}
                if message.get("is_echo"):
                    continue
                text = ((message.get("quick_reply") or {}).get("payload")
                        or (event.get("postback") or {}).get("payload")
                        or message.get("text"))
                if text and text.strip():
                    messages.append(Incoming(event["sender"]["id"], text))
        return messages

    async def deliver(self, platform_id: str, text: str, buttons: List[Dict[str, Any]]) -> None:
        message: Dict[str, Any] = {"text": text}
        if buttons:
            message["quick_replies"] = [
                {"content_type": "text", "title": b["title"][:MAX_TITLE], "payload": b["payload"]} for b in buttons
            ]
        await self.post_json(f"{self.api_url}/me/messages?access_token={self.page_access_token}",
                             {"recipient": {"id": platform_id}, "messaging_type": "RESPONSE", "message": message})
