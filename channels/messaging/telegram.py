"""Telegram. Telegram does not sign webhooks; it sends the secret token given to setWebhook in
X-Telegram-Bot-Api-Secret-Token, and this channel requires it (403 otherwise). The webhook is
registered once by staff (docs/CHANNELS.md), never at start-up. Buttons are an inline keyboard."""

from __future__ import annotations

import hmac
from typing import Any, Dict, List

from sanic.request import Request

from channels.messaging.base import Incoming, MessagingInput

TELEGRAM_API = "https://api.telegram.org"
MAX_CALLBACK_BYTES = 64


class TelegramInput(MessagingInput):
    channel_name = "telegram"
    max_length = 4096
    has_buttons = True

    def __init__(self, access_token: str, secret_token: str, api_url: str = TELEGRAM_API) -> None:
        super().__init__(api_url)
        self.access_token, self.secret_token = access_token, secret_token

    def native_buttons(self, buttons: List[Dict[str, Any]]) -> bool:
        return all(len(b["payload"].encode()) <= MAX_CALLBACK_BYTES for b in buttons)

    def is_authentic(self, request: Request) -> bool:
        return hmac.compare_digest(request.headers.get("x-telegram-bot-api-secret-token", ""), self.secret_token)

    def incoming(self, request: Request) -> List[Incoming]:
        update = request.json
        if "callback_query" in update:
            query = update["callback_query"]
            return [Incoming(str(query["message"]["chat"]["id"]), query["data"])]
        message = update.get("message") or {}
        text = message.get("text")
        return [Incoming(str(message["chat"]["id"]), text)] if text and text.strip() else []

    async def deliver(self, platform_id: str, text: str, buttons: List[Dict[str, Any]]) -> None:
        payload: Dict[str, Any] = {"chat_id": platform_id, "text": text}
        if buttons:
            payload["reply_markup"] = {"inline_keyboard": [[{"text": b["title"], "callback_data": b["payload"]}]
                                                           for b in buttons]}
        await self.post_json(f"{self.api_url}/bot{self.access_token}/sendMessage", payload)
