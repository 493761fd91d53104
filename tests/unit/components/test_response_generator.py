"""Answers say what the clinic offers only where its profile offers it, without a gap where it does not."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.core.nlg.interpolator import interpolate_text

from clinic.profile import DEFAULT_PROFILE, OFFER_KEYS, parse_profile
from components.response_generator import close_up


def answer(domain: dict, response: str, offers: dict) -> str:
    raw = yaml.safe_load(DEFAULT_PROFILE.read_text(encoding="utf-8"))
    values = parse_profile({**raw, "offers": offers}, Path("x.yml")).slot_values()
    return close_up(interpolate_text(domain["responses"][response][0]["text"], values))


@pytest.mark.parametrize("offer, response", [("checks_insurance", "utter_ask_insurance"),
                                             ("gives_quotes", "utter_ask_cost"),
                                             ("confirms_times", "utter_ask_treatment_course")])
def test_an_offer_is_said_where_the_profile_makes_it_and_left_out_otherwise(domain, offer, response):
    offered = answer(domain, response, {offer: "We offer this, in our words."})
    assert "We offer this, in our words." in offered
    plain = answer(domain, response, {})
    assert "in our words" not in plain and "  " not in plain and "{" not in plain, plain
    assert offered.replace(" We offer this, in our words.", "") == plain


def test_every_offer_has_its_answer(domain):
    texts = " ".join(v["text"] for vs in domain["responses"].values() for v in vs)
    assert [key for key in OFFER_KEYS if f"{{clinic_offer_{key}}}" not in texts] == []


@pytest.mark.parametrize("text, closed", [
    ("works with: Aetna.  To ask", "works with: Aetna. To ask"),
    ("the end. \n- next", "the end.\n- next"),
    ("  indented stays", "  indented stays"),
])
def test_close_up(text, closed):
    assert close_up(text) == closed
