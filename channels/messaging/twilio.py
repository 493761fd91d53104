"""Twilio SMS and WhatsApp. Rasa's own Twilio channel checks no signature and sends through a
blocking client; these verify X-Twilio-Signature (Twilio's request validator, over the public
webhook URL and the form fields) and send through Twilio's REST API without blocking."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import aiohttp
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from channels.messaging.base import Incoming, MessagingInput

TWILIO_API = "https://api.twilio.com"


def public_url(request: Request, configured: Optional[str]) -> str:
    """The URL Twilio called (and signed): the configured one, or this request's as the proxy saw it."""
    if configured:
        return configured
    scheme = request.headers.get("x-forwarded-proto", request.scheme).split(",")[0].strip()
    host = request.headers.get("x-forwarded-host", request.host).split(",")[0].strip()
    query = f"?{request.query_string}" if request.query_string else ""
    return f"{scheme}://{host}{request.path}{query}"


class TwilioSmsInput(MessagingInput):
    channel_name = "twilio"
    max_length = 1600  # Twilio's limit for one message body

    def __init__(self, account_sid: str, auth_token: str, number: str, webhook_url: Optional[str] = None,
                 api_url: str = TWILIO_API) -> None:
        super().__init__(api_url)
        self.account_sid, self.auth_token, self.number = account_sid, auth_token, number
        self.webhook_url = webhook_url or None
        self.validator = RequestValidator(auth_token)

    def is_authentic(self, request: Request) -> bool:
        signature = request.headers.get("x-twilio-signature", "")
        fields = {key: values[0] for key, values in (request.form or {}).items()}
        return bool(signature) and self.validator.validate(public_url(request, self.webhook_url), fields, signature)

    def incoming(self, request: Request) -> List[Incoming]:
        sender, text = request.form.get("From"), request.form.get("Body")
        return [Incoming(sender, text)] if sender and text and text.strip() else []

    def acknowledgement(self) -> HTTPResponse:
        # Empty TwiML: the answers go out through the API.
        return response.text("<Response/>", content_type="text/xml")

    def address(self, number: str) -> str:
        return number

    async def deliver(self, platform_id: str, text: str, buttons: List[Dict[str, Any]]) -> None:
        await self.post_json(
            f"{self.api_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json",
            {"To": self.address(platform_id), "From": self.address(self.number), "Body": text},
            auth=aiohttp.BasicAuth(self.account_sid, self.auth_token), form=True,
        )


class TwilioWhatsAppInput(TwilioSmsInput):
    """WhatsApp through Twilio: the same webhook and API, numbers written whatsapp:+1..."""
    channel_name = "whatsapp"

    def address(self, number: str) -> str:
        return number if number.startswith("whatsapp:") else f"whatsapp:{number}"
