"""Crisis lines come from one table keyed by the clinic's country (clinic/crisis_lines.yml), and
reach the patient whole on every channel: tappable in the widget, plain text on messaging."""

from __future__ import annotations

import asyncio
import importlib
import re
from pathlib import Path
from typing import Dict, List

import pytest
import yaml
from rasa.core.nlg.interpolator import interpolate_text

from channels import widget_socketio
from channels.messaging.base import MessagingOutput
from channels.messaging.registry import CHANNELS
from clinic.crisis_lines import CrisisLinesError, crisis_table, parse_country
from clinic.profile import DEFAULT_PROFILE, ClinicProfile, parse_profile
from clinic.replies import service_problem_text
from tests.support.project import ROOT

COUNTRIES = sorted(crisis_table())
SLOT = re.compile(r"\{(clinic_crisis_\w+|clinic_emergency_number)\}")


# Values actions pass with a response (tests/repository/test_consistency.py, ACTION_VARIABLES).
ACTION_VALUES = {"reference": "CB-TEST-TEST", "time_window": "Tuesday", "topic_title": "Cost",
                 "previous_title": "Insurance"}


def profile_in(country: str) -> ClinicProfile:
    raw = yaml.safe_load(DEFAULT_PROFILE.read_text(encoding="utf-8"))
    return parse_profile({**raw, "country": country}, Path("x.yml"))


def numbers_of(country: str) -> List[str]:
    lines = crisis_table()[country]
    return [lines.emergency] + [text for text, _ in lines.links]


def foreign_numbers(country: str) -> List[str]:
    own = set(numbers_of(country))
    return sorted({n for other in COUNTRIES for n in numbers_of(other)} - own)


def crisis_responses(domain: dict) -> Dict[str, str]:
    """Every response text that names crisis lines, by response name."""
    return {name: variation["text"] for name, variations in domain["responses"].items()
            for variation in variations if SLOT.search(variation.get("text", ""))}


def contains_number(text: str, number: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(number)}(?![\w-])", text) is not None


def test_the_table_covers_the_countries_the_clinics_are_in():
    assert {"US", "CA", "GB", "AU"} <= set(COUNTRIES)
    assert "press 2" in " ".join(crisis_table()["US"].lines)  # 988's Spanish option


def test_no_response_names_a_crisis_number_itself(domain):
    """Numbers written into a response would not change with the country: all come from the slots."""
    widget = (ROOT / "widget" / "src" / "widget.js").read_text(encoding="utf-8")
    texts = {name: SLOT.sub(" ", v.get("text", "")) for name, vs in domain["responses"].items() for v in vs}
    texts["widget/src/widget.js"] = widget
    every_number = sorted({n for country in COUNTRIES for n in numbers_of(country)} - {"000"})
    named = {(name, n) for name, text in texts.items() for n in every_number if contains_number(text, n)}
    assert named == set(), "use {clinic_crisis_lines}, {clinic_crisis_line}, {clinic_crisis_reminder} or " \
                           f"{{clinic_emergency_number}} instead of: {sorted(named)}"


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_crisis_response_gives_the_countrys_lines_and_no_others(domain, country):
    values = {**profile_in(country).slot_values(), **ACTION_VALUES}
    responses = crisis_responses(domain)
    assert {"utter_crisis", "utter_crisis_resources", "utter_distress_check_in", "utter_help_menu",
            "utter_welcome", "utter_other_language"} <= set(responses)
    for name, template in responses.items():
        text = interpolate_text(template, values)
        assert "{" not in text, (name, text)
        assert contains_number(text, crisis_table()[country].emergency) or name in {
            "utter_goodbye", "utter_safe_to_continue"}, (name, text)
        assert [n for n in foreign_numbers(country) if contains_number(text, n)] == [], (name, text)
    full_answer = interpolate_text(responses["utter_crisis"], values)
    assert [n for n in numbers_of(country) if not contains_number(full_answer, n)] == []


@pytest.mark.parametrize("country", COUNTRIES)
def test_the_error_reply_gives_the_countrys_lines(monkeypatch, country):
    monkeypatch.setattr("clinic.replies.current_profile", lambda: profile_in(country))
    text = service_problem_text()
    assert contains_number(text, crisis_table()[country].emergency), text
    assert [n for n in foreign_numbers(country) if contains_number(text, n)] == [], text


@pytest.mark.parametrize("country", COUNTRIES)
def test_the_widget_makes_every_crisis_number_tappable(domain, monkeypatch, country):
    profile = profile_in(country)
    monkeypatch.setattr(widget_socketio, "current_profile", lambda: profile)
    branding = widget_socketio.widget_branding()
    links = {link["text"]: link["href"] for link in branding["phone_links"]}
    answer = interpolate_text(crisis_responses(domain)["utter_crisis"], profile.slot_values())
    untappable = [n for n in numbers_of(country) if n not in links or not contains_number(answer, n)]
    assert untappable == [], (untappable, links)
    assert [h for h in links.values() if not h.startswith(("tel:", "sms:"))] == [], links
    assert crisis_table()[country].emergency in branding["safety_note"]
    assert [n for n in foreign_numbers(country) if n in links or n in branding["safety_note"]] == []


class CapturingChannel:
    """A messaging channel's limits, with deliveries recorded instead of sent."""

    def __init__(self, channel_class: type) -> None:
        self.channel_class = channel_class
        self.max_length = channel_class.max_length
        self.delivered: List[str] = []

    def name(self) -> str:
        return self.channel_class.channel_name

    def native_buttons(self, buttons) -> bool:
        return self.channel_class.has_buttons

    @staticmethod
    def platform_id(conversation_id: str) -> str:
        return conversation_id

    async def deliver(self, platform_id, text, buttons) -> None:
        self.delivered.append(text)


@pytest.mark.parametrize("settings", CHANNELS, ids=lambda s: s.title)
def test_messaging_channels_deliver_the_crisis_answer_as_plain_text(domain, settings):
    module, _, name = settings.class_path.rpartition(".")
    channel = CapturingChannel(getattr(importlib.import_module(module), name))
    profile = profile_in("GB")
    answer = interpolate_text(crisis_responses(domain)["utter_crisis"], profile.slot_values())
    asyncio.run(MessagingOutput(channel).send_text_message("+447700900123", answer))
    delivered = "\n".join(channel.delivered)
    assert [n for n in numbers_of("GB") if not contains_number(delivered, n)] == [], delivered
    assert "tel:" not in delivered and "sms:" not in delivered and "<a" not in delivered


@pytest.mark.parametrize("entry, complaint", [
    ({"emergency": "999", "first_line": "x", "lines": [{"says": "Call 116 123"}], "source": "s"}, "checked"),
    ({"emergency": "999", "first_line": "x", "lines": [], "source": "s", "checked": "2026-12-07"}, "at least one"),
    ({"emergency": "999", "first_line": "x", "source": "s", "checked": "2026-12-07",
      "lines": [{"says": "Call 116 123", "links": [{"text": "116 124", "href": "tel:116124"}]}]}, "not in what"),
    ({"emergency": "999", "first_line": "x", "source": "s", "checked": "2026-12-07",
      "lines": [{"says": "Call 116 123", "links": [{"text": "116 123", "href": "javascript:x"}]}]}, "tel: or sms:"),
])
def test_a_malformed_entry_is_refused(entry, complaint):
    with pytest.raises(CrisisLinesError, match=complaint):
        parse_country("GB", entry, Path("crisis_lines.yml"))
