"""The widget's Socket.IO channel and the demo page (unit tests; the end-to-end tests are in
test_e2e_socketio.py and test_widget_browser.py)."""

from __future__ import annotations

import asyncio
from typing import List, Tuple

import pytest

from clinic.profile import current_profile, load_profile, DEFAULT_PROFILE
from channels.widget_socketio import (
    INPUT_KINDS,
    WidgetSocketIOInput,
    WidgetSocketIOOutput,
    allowed_origins,
    valid_session_id,
)
from tools.demo_site import render_page


def test_origins_come_from_credentials_unless_the_environment_overrides_them():
    configured = ["http://127.0.0.1:8080", "http://localhost:8080/"]
    assert allowed_origins(configured, {}) == ["http://127.0.0.1:8080", "http://localhost:8080"]
    override = {"WIDGET_ALLOWED_ORIGINS": " https://www.clinic.example , https://clinic.example"}
    assert allowed_origins(configured, override) == ["https://www.clinic.example", "https://clinic.example"]


@pytest.mark.parametrize("configured, environ", [([], {}), (None, {"WIDGET_ALLOWED_ORIGINS": " , "}),
                                                  (["*"], {}), ([], {"WIDGET_ALLOWED_ORIGINS": "*"})])
def test_no_origin_or_any_origin_is_refused(configured, environ):
    with pytest.raises(ValueError, match="origin"):
        allowed_origins(configured, environ)


def test_channel_reads_its_credentials(monkeypatch):
    monkeypatch.delenv("WIDGET_ALLOWED_ORIGINS", raising=False)
    channel = WidgetSocketIOInput.from_credentials({
        "session_persistence": True, "cors_allowed_origins": ["https://clinic.example"], "max_message_length": 500,
    })
    assert channel.name() == "socketio"
    assert channel.session_persistence is True
    assert channel.cors_allowed_origins == ["https://clinic.example"]
    assert channel.max_message_length == 500


@pytest.mark.parametrize("candidate, valid", [
    ("0123456789abcdef0123456789abcdef", True), ("abc-DEF_12", True), ("short", False),
    ("x" * 65, False), ("../../etc", False), ("id with space", False), (None, False), (42, False),
])
def test_session_ids_are_checked(candidate, valid):
    assert (valid_session_id(candidate) is not None) is valid


class RecordingServer:
    def __init__(self) -> None:
        self.emitted: List[Tuple[str, dict, str]] = []

    async def emit(self, event: str, data: dict, room: str) -> None:
        self.emitted.append((event, data, room))


def test_output_keeps_a_message_whole_with_its_buttons():
    server = RecordingServer()
    output = WidgetSocketIOOutput(server, "bot_uttered")
    buttons = [{"title": "Confirm", "payload": "/affirm"}, {"title": "Cancel", "payload": "/cancel"}]
    asyncio.run(output.send_text_with_buttons("room-1", "Name: Ann\n\nWhen: Tuesday\n\nIs everything right?", buttons))
    asyncio.run(output.send_text_message("room-1", "first paragraph\n\nsecond paragraph"))
    assert server.emitted == [
        ("bot_uttered", {"text": "Name: Ann\n\nWhen: Tuesday\n\nIs everything right?", "quick_replies": [
            {"content_type": "text", "title": "Confirm", "payload": "/affirm"},
            {"content_type": "text", "title": "Cancel", "payload": "/cancel"}]}, "room-1"),
        ("bot_uttered", {"text": "first paragraph\n\nsecond paragraph"}, "room-1"),
    ]


def test_a_form_question_says_what_it_asks_for_and_nothing_else_passes(domain):
    server = RecordingServer()
    output = WidgetSocketIOOutput(server, "bot_uttered")
    asyncio.run(output.send_text_message("room-1", "What is your full name?", metadata={"input": "name"}))
    asyncio.run(output.send_text_message("room-1", "Hello", metadata={"input": "<script>"}, utter_action="utter_x"))
    asyncio.run(output.send_text_with_buttons("room-1", "May we contact you?", [{"title": "Yes", "payload": "/affirm"}],
                                              metadata={"input": "choice"}))
    assert [data.get("input") for _, data, _ in server.emitted] == ["name", None, "choice"]
    # Every question the forms ask names what it asks for, in a kind the widget knows.
    asked = {f"utter_ask_{slot}" for form in domain["forms"].values() for slot in form["required_slots"]}
    for response in asked:
        for variation in domain["responses"][response]:
            assert variation.get("metadata", {}).get("input") in INPUT_KINDS, response


def test_demo_page_embeds_the_widget_and_escapes_profile_text():
    profile = load_profile(DEFAULT_PROFILE)
    hostile = type(profile)(**{**profile.__dict__, "name": "<script>alert(1)</script> Clinic"})
    page = render_page(hostile, "http://127.0.0.1:5005")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Clinic" in page
    assert '<script src="http://127.0.0.1:5005/webhooks/socketio/widget.js" defer></script>' in page
    assert 'window.ClinicChatConfig = {"serverUrl": "http://127.0.0.1:5005"' in page
    # A server address cannot close the config's script element early.
    assert "</script><script>" not in render_page(profile, "http://x/</script><script>alert(1)")


def test_demo_page_shows_the_profile_facts():
    profile = current_profile()
    page = render_page(profile, "http://127.0.0.1:5005")
    for fact in (profile.phone, profile.hours, "Demo page"):
        assert fact in page


def test_gate_admits_up_to_the_cap_per_conversation_and_frees_places():
    from channels.gate import ConversationGate

    gate = ConversationGate(max_pending=2)
    with gate.admit("a") as first, gate.admit("a") as second, gate.admit("a") as third, gate.admit("b") as other:
        assert (first, second, third, other) == (True, True, False, True)
    assert gate.pending == {}
    with gate.admit("a") as again:
        assert again is True
