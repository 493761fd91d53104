"""Telegram. Telegram does not sign webhooks; it sends the secret token given to setWebhook in
X-Telegram-Bot-Api-Secret-Token, and this channel requires it (403 otherwise). The webhook is
registered once by staff (docs/CHANNELS.md), never at start-up. Buttons are an inline keyboard;
every press is answered (answerCallbackQuery), or Telegram keeps a spinner on the button."""

from __future__ import annotations

import hmac
from typing import Any, Awaitable, Dict, List, Optional

from sanic.request import Request

from channels.messaging.base import Incoming, MessagingInput

TELEGRAM_API = "https://api.telegram.org"
MAX_CALLBACK_BYTES = 64


def callback_query_id(update: Any) -> Optional[str]:
    """The id of the button press an update carries, if it carries one."""
    query = update.get("callback_query") if isinstance(update, dict) else None
    query_id = query.get("id") if isinstance(query, dict) else None
    return str(query_id) if query_id else None


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

    def acknowledge_on_platform(self, request: Request) -> Optional[Awaitable[None]]:
        query_id = callback_query_id(request.json)
        if query_id is None:
            return None
        # Failures are logged once, by the base class, which runs this beside the message handling.
        return self.post_json(f"{self.api_url}/bot{self.access_token}/answerCallbackQuery",
                              {"callback_query_id": query_id}, log_errors=False)

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
