"""Which messaging channels run: each one whose required environment variables are all set.

credentials.yml cannot say this itself (an unset ${VAR} there stops Rasa at start-up), so the Rasa
server launcher (tools/rasa_server.py) adds a section for each enabled channel to the credentials
it starts Rasa with. The sections hold ${VAR} references, which Rasa fills from the environment:
no secret is written to disk."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional

PREFIX = "channels.messaging"


@dataclass(frozen=True)
class ChannelSettings:
    title: str
    class_path: str
    required: Dict[str, str]  # credential key -> environment variable
    optional: Dict[str, str] = field(default_factory=dict)

    def enabled(self, environ: Dict[str, str]) -> bool:
        return all((environ.get(variable) or "").strip() for variable in self.required.values())

    def credentials(self, environ: Dict[str, str]) -> Dict[str, str]:
        keys = {**self.required, **{k: v for k, v in self.optional.items() if (environ.get(v) or "").strip()}}
        return {key: "${" + variable + "}" for key, variable in keys.items()}


CHANNELS: List[ChannelSettings] = [
    ChannelSettings("Twilio SMS", f"{PREFIX}.twilio.TwilioSmsInput",
                    {"account_sid": "TWILIO_ACCOUNT_SID", "auth_token": "TWILIO_AUTH_TOKEN",
                     "number": "TWILIO_SMS_NUMBER"},
                    {"webhook_url": "TWILIO_SMS_WEBHOOK_URL", "api_url": "TWILIO_API_URL"}),
    ChannelSettings("WhatsApp (Twilio)", f"{PREFIX}.twilio.TwilioWhatsAppInput",
                    {"account_sid": "TWILIO_ACCOUNT_SID", "auth_token": "TWILIO_AUTH_TOKEN",
                     "number": "TWILIO_WHATSAPP_NUMBER"},
                    {"webhook_url": "TWILIO_WHATSAPP_WEBHOOK_URL", "api_url": "TWILIO_API_URL"}),
    ChannelSettings("Facebook Messenger", f"{PREFIX}.messenger.MessengerInput",
                    {"verify_token": "MESSENGER_VERIFY_TOKEN", "app_secret": "MESSENGER_APP_SECRET",
                     "page_access_token": "MESSENGER_PAGE_ACCESS_TOKEN"},
                    {"api_url": "MESSENGER_API_URL"}),
    ChannelSettings("Telegram", f"{PREFIX}.telegram.TelegramInput",
                    {"access_token": "TELEGRAM_BOT_TOKEN", "secret_token": "TELEGRAM_SECRET_TOKEN"},
                    {"api_url": "TELEGRAM_API_URL"}),
    ChannelSettings("Slack", f"{PREFIX}.slack.SlackInput",
                    {"bot_token": "SLACK_BOT_TOKEN", "signing_secret": "SLACK_SIGNING_SECRET"},
                    {"api_url": "SLACK_API_URL"}),
]


def enabled_channel_credentials(environ: Optional[Dict[str, str]] = None) -> Dict[str, Dict[str, str]]:
    """credentials.yml sections of the channels whose environment variables are set."""
    environ = dict(os.environ if environ is None else environ)
    return {c.class_path: c.credentials(environ) for c in CHANNELS if c.enabled(environ)}
