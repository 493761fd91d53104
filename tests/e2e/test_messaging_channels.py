"""The messaging channels against the real servers, offline: platforms' webhooks are signed here
as each platform signs them, and the answers are captured by a fake platform API on 127.0.0.1.
Forged and unsigned requests get 403 and no answer."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import uuid
from types import SimpleNamespace
from typing import Dict, List

import pytest
import requests
from twilio.request_validator import RequestValidator

from channels.messaging.base import MessagingOutput, numbered_options, split_text
from channels.messaging.registry import CHANNELS, enabled_channel_credentials
from tests.support.receiver import Receiver, wait_for
from tools.servers import free_port
from tests.support.chat import rendered
from tests.support.messaging import SECRETS, slack_message, slack_post, slack_sent, webhook


@pytest.fixture(scope="module")
def platforms():
    """Stands in for the platforms' APIs: records what the assistant sends, answers 200."""
    with Receiver(secret="") as fake:
        fake.url = f"http://127.0.0.1:{fake.port}"
        yield fake


@pytest.fixture(scope="module")
def messaging(model_path, tmp_path_factory, platforms):
    from tools.servers import running_assistant

    env = {**SECRETS, "TWILIO_API_URL": platforms.url, "MESSENGER_API_URL": platforms.url,
           "TELEGRAM_API_URL": platforms.url, "SLACK_API_URL": platforms.url}
    with running_assistant(model_path, tmp_path_factory.mktemp("messaging"), env=env) as running:
        yield running


def new_number() -> str:
    return "+1202555" + str(uuid.uuid4().int)[:4]


# --- Twilio SMS and WhatsApp ---------------------------------------------------------------

def twilio_post(assistant, channel: str, fields: Dict[str, str], token: str = SECRETS["TWILIO_AUTH_TOKEN"],
                signed: bool = True) -> requests.Response:
    url = webhook(assistant, channel)
    headers = {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, fields)} if signed else {}
    return requests.post(url, data=fields, headers=headers, timeout=60)


def bodies_to(platforms: Receiver, to: str) -> List[str]:
    return [m["Body"] for m in platforms.sent("/Messages.json") if m["To"] == to]


def test_sms_signed_is_answered_with_numbered_options_and_a_number_picks_one(messaging, platforms, domain):
    number = new_number()
    answer = twilio_post(messaging, "twilio", {"From": number, "Body": "how much does it cost?"})
    assert answer.status_code == 200 and "<Response/>" in answer.text
    # A new conversation: the welcome, then the answer.
    welcome, first = bodies_to(platforms, number)
    assert "virtual assistant of" in welcome
    assert first.startswith(rendered(domain, "utter_ask_cost")[:60])
    buttons = domain["responses"]["utter_ask_cost"][0]["buttons"]
    assert "Reply with a number:\n1. " + buttons[0]["title"] in first
    assert len(first) <= 1600
    # "2" picks the second option: its topic is answered.
    twilio_post(messaging, "twilio", {"From": number, "Body": "2"})
    second = bodies_to(platforms, number)[-1]
    picked = buttons[1]["payload"].lstrip("/")
    assert second.startswith(rendered(domain, f"utter_{picked}")[:60]), (picked, second)


@pytest.mark.parametrize("forgery", ["unsigned", "wrong token", "tampered body"])
def test_sms_forged_or_unsigned_is_refused_and_unanswered(messaging, platforms, forgery):
    number = new_number()
    fields = {"From": number, "Body": "how much does it cost?"}
    if forgery == "unsigned":
        answer = twilio_post(messaging, "twilio", fields, signed=False)
    elif forgery == "wrong token":
        answer = twilio_post(messaging, "twilio", fields, token="not-the-token")
    else:
        url = webhook(messaging, "twilio")
        signature = RequestValidator(SECRETS["TWILIO_AUTH_TOKEN"]).compute_signature(url, fields)
        answer = requests.post(url, data={**fields, "Body": "something else"},
                               headers={"X-Twilio-Signature": signature}, timeout=30)
    assert answer.status_code == 403
    assert bodies_to(platforms, number) == []


def test_whatsapp_answers_from_the_whatsapp_number(messaging, platforms):
    number = "whatsapp:" + new_number()
    assert twilio_post(messaging, "whatsapp", {"From": number, "Body": "is it safe?"}).status_code == 200
    sent = [m for m in platforms.sent("/Messages.json") if m["To"] == number][-1]
    assert sent["From"] == "whatsapp:" + SECRETS["TWILIO_WHATSAPP_NUMBER"] and "safe" in sent["Body"]


# --- Messenger -------------------------------------------------------------------------------

def messenger_post(assistant, payload: dict, secret: str = SECRETS["MESSENGER_APP_SECRET"]) -> requests.Response:
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return requests.post(webhook(assistant, "messenger"), data=body, timeout=60,
                         headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature})


def messenger_event(sender: str, **message) -> dict:
    return {"object": "page", "entry": [{"messaging": [{"sender": {"id": sender}, "message": message}]}]}


def messenger_sent(platforms: Receiver, sender: str) -> List[dict]:
    return [m["message"] for m in platforms.sent("/me/messages") if m["recipient"]["id"] == sender]


def test_messenger_subscription_check(messaging):
    url = webhook(messaging, "messenger")
    ok = requests.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"})
    assert ok.status_code == 200 and ok.text == "42"
    assert requests.get(
        url, params={"hub.mode": "subscribe", "hub.verify_token": "no", "hub.challenge": "42"}
    ).status_code == 403


def test_messenger_signed_gets_quick_replies_and_a_quick_reply_is_understood(messaging, platforms, domain):
    sender = uuid.uuid4().hex[:12]
    assert messenger_post(messaging, messenger_event(sender, text="how much does it cost?")).status_code == 200
    answer = messenger_sent(platforms, sender)[-1]
    assert answer["text"].startswith(rendered(domain, "utter_ask_cost")[:60])
    reply = answer["quick_replies"][0]
    assert len(reply["title"]) <= 20 and len(answer["quick_replies"]) <= 13
    messenger_post(messaging, messenger_event(sender, text=reply["title"], quick_reply={"payload": reply["payload"]}))
    picked = reply["payload"].lstrip("/")
    assert messenger_sent(platforms, sender)[-1]["text"].startswith(rendered(domain, f"utter_{picked}")[:60])


def test_messenger_forged_is_refused(messaging, platforms):
    sender = uuid.uuid4().hex[:12]
    assert messenger_post(messaging, messenger_event(sender, text="hi"), secret="wrong").status_code == 403
    unsigned = requests.post(webhook(messaging, "messenger"), json=messenger_event(sender, text="hi"), timeout=30)
    assert unsigned.status_code == 403 and messenger_sent(platforms, sender) == []


# --- Telegram --------------------------------------------------------------------------------

def telegram_post(assistant, update: dict, secret: str = SECRETS["TELEGRAM_SECRET_TOKEN"]) -> requests.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    return requests.post(webhook(assistant, "telegram"), json=update, headers=headers, timeout=60)


def telegram_sent(platforms: Receiver, chat: int) -> List[dict]:
    return [m for m in platforms.sent("/sendMessage") if m["chat_id"] == str(chat)]


def button_press(chat: int, query_id: str, data: str) -> dict:
    return {"callback_query": {"id": query_id, "message": {"chat": {"id": chat}}, "data": data}}


def press_answers(platforms: Receiver, query_id: str) -> List[dict]:
    """answerCallbackQuery calls for one button press."""
    return [m for m in platforms.sent("/answerCallbackQuery") if m.get("callback_query_id") == query_id]


def requests_mentioning(platforms: Receiver, text: str) -> List[dict]:
    return [r for r in list(platforms.requests) if text.encode() in r["body"]]


def test_telegram_with_secret_gets_a_keyboard_and_a_button_press_is_understood(messaging, platforms, domain):
    chat = int(str(uuid.uuid4().int)[:9])
    assert telegram_post(
        messaging, {"message": {"chat": {"id": chat}, "text": "how much does it cost?"}}
    ).status_code == 200
    answer = telegram_sent(platforms, chat)[-1]
    assert any(r["path"] == f"/bot{SECRETS['TELEGRAM_BOT_TOKEN']}/sendMessage" for r in platforms.requests)
    button = answer["reply_markup"]["inline_keyboard"][0][0]
    query_id = uuid.uuid4().hex
    assert telegram_post(messaging, button_press(chat, query_id, button["callback_data"])).status_code == 200
    picked = button["callback_data"].lstrip("/")
    assert telegram_sent(platforms, chat)[-1]["text"].startswith(rendered(domain, f"utter_{picked}")[:60])
    # The press itself is answered too (Telegram's spinner stops), beside the answer, so it may come later.
    assert wait_for(lambda: press_answers(platforms, query_id), timeout=15), "the button press was not answered"
    answered = [r for r in requests_mentioning(platforms, query_id) if "/answerCallbackQuery" in str(r["path"])]
    assert [r["path"] for r in answered] == [f"/bot{SECRETS['TELEGRAM_BOT_TOKEN']}/answerCallbackQuery"]
    # Once only: a later press's answer arriving means none more is on its way for the first.
    later = uuid.uuid4().hex
    telegram_post(messaging, button_press(chat, later, button["callback_data"]))
    assert wait_for(lambda: press_answers(platforms, later), timeout=15)
    assert len(press_answers(platforms, query_id)) == 1


@pytest.mark.parametrize("secret", ["", "wrong-secret"])
def test_telegram_without_the_secret_is_refused(messaging, platforms, secret):
    chat = int(str(uuid.uuid4().int)[:9])
    assert telegram_post(messaging, {"message": {"chat": {"id": chat}, "text": "hi"}}, secret=secret).status_code == 403
    forged_query = uuid.uuid4().hex
    assert telegram_post(messaging, button_press(chat, forged_query, "/greet"), secret=secret).status_code == 403
    # A genuine press sent afterwards is answered: by then, any call the forged one caused would have been made.
    genuine_query = uuid.uuid4().hex
    assert telegram_post(messaging, button_press(chat + 1, genuine_query, "/greet")).status_code == 200
    assert wait_for(lambda: press_answers(platforms, genuine_query), timeout=15)
    assert telegram_sent(platforms, chat) == [] and requests_mentioning(platforms, forged_query) == []


@pytest.mark.parametrize("fault", ["error status", "unreachable"])
def test_a_failed_button_press_answer_is_one_log_line_and_never_raises(caplog, fault):
    from channels.messaging.telegram import TelegramInput

    with Receiver(secret="", fail_first=1) as fake:
        port = fake.port if fault == "error status" else free_port()
        channel = TelegramInput(SECRETS["TELEGRAM_BOT_TOKEN"], "secret", api_url=f"http://127.0.0.1:{port}")
        request = SimpleNamespace(json=button_press(7, "query-7", "/my private words"))

        async def press() -> None:
            channel.run_beside(channel.acknowledge_on_platform(request))
            await asyncio.gather(*channel.calls_in_flight)

        with caplog.at_level(logging.WARNING, logger="channels.messaging.base"):
            asyncio.run(press())
    if fault == "error status":
        assert fake.sent("/answerCallbackQuery") == [{"callback_query_id": "query-7"}]
    lines = [r.getMessage() for r in caplog.records if r.name == "channels.messaging.base"]
    assert len(lines) == 1 and lines[0].startswith("telegram API: acknowledging a request failed"), lines
    assert "private" not in lines[0] and SECRETS["TELEGRAM_BOT_TOKEN"] not in lines[0]


def test_only_button_presses_are_answered_on_telegram():
    from channels.messaging.telegram import TelegramInput

    channel = TelegramInput(SECRETS["TELEGRAM_BOT_TOKEN"], "secret")
    message = SimpleNamespace(json={"message": {"chat": {"id": 7}, "text": "hi"}})
    assert channel.acknowledge_on_platform(message) is None


# --- Slack -------------------------------------------------------------------------------------

def test_slack_url_check_and_signed_message_with_buttons(messaging, platforms, domain):
    assert slack_post(messaging, {"type": "url_verification", "challenge": "c-1"}).json() == {"challenge": "c-1"}
    channel = "D" + uuid.uuid4().hex[:8].upper()
    event = slack_message(channel, "how much does it cost?")
    assert slack_post(messaging, event).status_code == 200
    answer = slack_sent(platforms, channel)[-1]
    sent_so_far = len(slack_sent(platforms, channel))
    assert answer["text"].startswith(rendered(domain, "utter_ask_cost")[:60])
    button = answer["blocks"][1]["elements"][0]
    # Slack retries an event it thinks was missed: handled once only.
    assert slack_post(messaging, event).status_code == 200 and len(slack_sent(platforms, channel)) == sent_so_far
    # A button press arrives form-encoded on the same URL.
    slack_post(messaging, {"type": "block_actions", "user": {"id": "U1"}, "channel": {"id": channel},
                           "actions": [{"value": button["value"]}]}, form=True)
    picked = button["value"].lstrip("/")
    assert slack_sent(platforms, channel)[-1]["text"].startswith(rendered(domain, f"utter_{picked}")[:60])
    # The bot's own messages are not answered.
    before = len(slack_sent(platforms, channel))
    slack_post(messaging, slack_message(channel, "Our prices are...", bot_id="B1"))
    assert len(slack_sent(platforms, channel)) == before


@pytest.mark.parametrize("forgery", ["wrong secret", "stale timestamp"])
def test_slack_forged_or_replayed_is_refused(messaging, platforms, forgery):
    channel = "D" + uuid.uuid4().hex[:8].upper()
    if forgery == "wrong secret":
        answer = slack_post(messaging, slack_message(channel, "hi"), secret="wrong")
    else:
        answer = slack_post(messaging, slack_message(channel, "hi"), stamp=int(time.time()) - 3600)
    assert answer.status_code == 403 and slack_sent(platforms, channel) == []


# --- Enabled only when configured; shaping; unit tests ------------------------------------------

def test_channels_are_off_without_their_variables(assistant):
    # The session's assistant has no channel variables set.
    for channel in ("twilio", "whatsapp", "messenger", "telegram", "slack"):
        assert requests.post(webhook(assistant, channel), data=b"{}", timeout=10).status_code == 404


def test_registry_enables_exactly_the_configured_channels():
    assert enabled_channel_credentials({}) == {}
    only_slack = enabled_channel_credentials({"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "y"})
    assert list(only_slack) == ["channels.messaging.slack.SlackInput"]
    # Credentials hold references, never the secrets themselves.
    assert only_slack["channels.messaging.slack.SlackInput"] == {"bot_token": "${SLACK_BOT_TOKEN}",
                                                               "signing_secret": "${SLACK_SIGNING_SECRET}"}
    assert len(enabled_channel_credentials(SECRETS)) == len(CHANNELS)


def test_every_channel_variable_is_documented():
    import re

    from tests.support.project import ROOT

    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    for channel in CHANNELS:
        assert set(channel.required.values()) | set(channel.optional.values()) <= documented, channel.title


@pytest.mark.parametrize("limit", [40, 160, 1600])
def test_long_text_is_split_within_the_limit_at_natural_breaks(limit):
    text = ("Ketamine therapy is given by a clinician. " * 30 + "\n\n" + "Each session is monitored. " * 20).strip()
    pieces = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert " ".join(pieces).split() == text.split()
    assert all(p.endswith(".") for p in pieces[:-1]) or limit < 50


def test_output_splits_and_numbers_for_channels_without_buttons():
    import asyncio

    delivered = []

    class Channel:
        max_length = 60

        @staticmethod
        def name() -> str:
            return "twilio"

        @staticmethod
        def platform_id(conversation: str) -> str:
            return conversation.split(":", 1)[1]

        @staticmethod
        def native_buttons(buttons) -> bool:
            return False

        async def deliver(self, platform_id, text, buttons):
            delivered.append((platform_id, text, buttons))

    buttons = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    asyncio.run(MessagingOutput(Channel()).send_text_with_buttons(
        "twilio:+1202", "May we call you about this request?", buttons))
    assert all(len(text) <= 60 and not b and pid == "+1202" for pid, text, b in delivered)
    assert len(delivered) > 1
    assert (" ".join(t for _, t, _ in delivered).split()
            == numbered_options("May we call you about this request?", buttons).split())
