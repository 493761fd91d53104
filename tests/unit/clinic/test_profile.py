"""The clinic profile loader (unit tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from clinic.profile import (
    DEFAULT_PROFILE,
    ProfileError,
    chosen_profile,
    load_profile,
    parse_profile,
    profile_path,
)


@pytest.fixture()
def demo_raw() -> dict:
    return yaml.safe_load(DEFAULT_PROFILE.read_text())


def test_demo_profile_is_marked_as_demo():
    profile = load_profile(DEFAULT_PROFILE)
    assert profile.demo is True
    assert "sample" in profile.name.lower() or "demo" in profile.name.lower()


def test_slot_values_cover_every_clinic_slot(domain):
    slots = load_profile(DEFAULT_PROFILE).slot_values()
    clinic_slots = {name for name in domain["slots"] if name.startswith("clinic_")}
    assert set(slots) == clinic_slots
    # Offers are empty where the clinic makes none; every other fact is given.
    assert [n for n, v in slots.items() if not isinstance(v, str) or not (v or n.startswith("clinic_offer_"))] == []


def test_insurers_become_a_readable_list(demo_raw):
    demo_raw["insurers"] = ["Aetna", "Cigna"]
    assert parse_profile(demo_raw, Path("x.yml")).slot_values()["clinic_insurers"] == "Aetna, Cigna"


def test_profile_is_chosen_by_environment_variable(tmp_path):
    assert profile_path({}) == DEFAULT_PROFILE
    assert profile_path({"CLINIC_PROFILE": str(tmp_path / "c.yml")}) == tmp_path / "c.yml"
    assert profile_path({"CLINIC_PROFILE": "clinic/other.yml"}).name == "other.yml"


@pytest.mark.parametrize("key", ["name", "phone", "hours", "booking_url"])
def test_missing_required_fact_is_named(demo_raw, key):
    del demo_raw[key]
    with pytest.raises(ProfileError, match=key):
        parse_profile(demo_raw, Path("clinic/broken.yml"))


@pytest.mark.parametrize("insurers", [None, "Aetna", [""], [1, 2]])
def test_malformed_insurers_are_refused(demo_raw, insurers):
    demo_raw["insurers"] = insurers
    with pytest.raises(ProfileError, match="insurers"):
        parse_profile(demo_raw, Path("x.yml"))


def test_unreadable_or_invalid_files_raise_profile_error(tmp_path):
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(tmp_path / "missing.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("name: [unclosed")
    with pytest.raises(ProfileError, match="not valid YAML"):
        load_profile(broken)
    listing = tmp_path / "list.yml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(ProfileError, match="mapping"):
        load_profile(listing)


def test_whitespace_in_values_is_collapsed(demo_raw):
    demo_raw["hours"] = "Mon-Fri\n  9 to 5 "
    assert parse_profile(demo_raw, Path("x.yml")).hours == "Mon-Fri 9 to 5"


def test_widget_colours_come_from_the_profile(demo_raw):
    demo_raw["widget_colours"] = {"primary": "#5a1e6e"}
    colours = parse_profile(demo_raw, Path("x.yml")).widget_colours
    assert colours == {"primary": "#5a1e6e", "on_primary": "#ffffff"}
    del demo_raw["widget_colours"]
    assert parse_profile(demo_raw, Path("x.yml")).widget_colours["primary"].startswith("#")


def test_contrast_ratio_follows_wcag():
    from clinic.profile import contrast_ratio

    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize(
    "colours, complaint",
    [
        ({"primary": "#ffcc00"}, "contrast"),  # white text on yellow is unreadable
        ({"primary": "teal"}, "#1a2b3c"),
        ({"primary": "#0b5d66", "accent": "#000000"}, "takes only"),
        ("#0b5d66", "takes only"),
    ],
)
def test_unreadable_or_malformed_widget_colours_are_refused(demo_raw, colours, complaint):
    demo_raw["widget_colours"] = colours
    with pytest.raises(ProfileError, match=complaint):
        parse_profile(demo_raw, Path("x.yml"))


@pytest.fixture()
def real_clinic(tmp_path, demo_raw) -> Path:
    path = tmp_path / "real.yml"
    path.write_text(yaml.safe_dump({**demo_raw, "demo": False, "name": "Real Clinic"}), encoding="utf-8")
    return path


def test_make_run_keeps_the_demo_as_its_default():
    assert chosen_profile({}).demo is True


def test_a_deployment_must_name_its_profile():
    with pytest.raises(ProfileError, match="CLINIC_PROFILE is not set"):
        chosen_profile({"CLINIC_PROFILE_REQUIRED": "true"})


@pytest.mark.parametrize("allow", ["", "false", "no", "0"])
def test_a_deployment_refuses_the_demo_profile_unless_a_demo_is_intended(allow):
    env = {"CLINIC_PROFILE_REQUIRED": "true", "CLINIC_PROFILE": "clinic/demo.yml", "ALLOW_DEMO_PROFILE": allow}
    with pytest.raises(ProfileError, match="demo profile with fictional contact details"):
        chosen_profile(env)
    assert chosen_profile({**env, "ALLOW_DEMO_PROFILE": "true"}).demo is True


def test_a_deployment_takes_a_real_profile(real_clinic):
    env = {"CLINIC_PROFILE_REQUIRED": "true", "CLINIC_PROFILE": str(real_clinic)}
    assert chosen_profile(env).name == "Real Clinic"


def test_the_demo_reads_phone_numbers_as_american():
    profile = load_profile(DEFAULT_PROFILE)
    assert profile.phone_region == "US" and "clinic_phone_region" not in profile.slot_values()


@pytest.mark.parametrize("facts, region", [
    ({}, "US"),  # a national number says nothing of its country
    ({"phone": "+44 20 7946 0958"}, "GB"),
    ({"phone": "0044 20 7946 0958"}, "GB"),
    ({"phone": "+1 416 555 0123"}, "CA"),
    ({"phone": "+44 20 7946 0958", "phone_region": "ca"}, "CA"),  # named, it wins
    ({"country": "GB"}, "GB"),
    ({"country": "UK"}, "GB"),
])
def test_the_phone_region_is_named_or_taken_from_the_clinics_own_number(demo_raw, facts, region):
    del demo_raw["country"]
    assert parse_profile({**demo_raw, **facts}, Path("x.yml")).phone_region == region


@pytest.mark.parametrize("key, value", [("phone_region", "USA"), ("phone_region", "XX"), ("country", "England")])
def test_an_unknown_phone_region_is_refused(demo_raw, key, value):
    del demo_raw["country"]
    with pytest.raises(ProfileError, match=key):
        parse_profile({**demo_raw, key: value}, Path("x.yml"))


def test_a_country_without_crisis_lines_is_refused(demo_raw):
    """Ireland is a real country, but the crisis lines table has no checked entry for it: giving
    another country's numbers to a patient in crisis is worse than not starting."""
    with pytest.raises(ProfileError, match="no crisis lines for the clinic's country 'IE'"):
        parse_profile({**demo_raw, "country": "IE"}, Path("x.yml"))


@pytest.mark.parametrize("country, present, absent", [
    ("US", ["988", "press 2", "AYUDA", "741741", "911"], ["999", "116 123"]),
    ("CA", ["9-8-8", "911"], ["741741", "999"]),
    ("GB", ["999", "Samaritans", "116 123", "Shout", "85258"], ["988", "911", "741741"]),
    ("AU", ["000", "Lifeline", "13 11 14"], ["988", "911", "999"]),
])
def test_every_crisis_number_comes_from_the_clinics_country(demo_raw, country, present, absent):
    slots = parse_profile({**demo_raw, "country": country}, Path("x.yml")).slot_values()
    crisis_text = " ".join(v for k, v in slots.items() if "crisis" in k or "emergency" in k)
    assert [p for p in present if p in crisis_text] == present, crisis_text
    assert [a for a in absent if a in crisis_text] == [], crisis_text


def test_the_clinics_own_policy_answers_a_practical_question(demo_raw):
    demo_raw["policies"] = {"getting_home": "Please arrange a ride home.", "eating_before": None}
    slots = parse_profile(demo_raw, Path("x.yml")).slot_values()
    assert slots["clinic_policy_getting_home"] == "Please arrange a ride home."
    # Left empty or out: the team can tell the patient, and how to reach it.
    for topic in ("eating_before", "cancellation"):
        assert slots[f"clinic_policy_{topic}"].startswith("Our team can tell you about ")
        assert demo_raw["phone"] in slots[f"clinic_policy_{topic}"]


@pytest.mark.parametrize("policies, complaint", [
    ({"parking": "Free parking behind the building."}, "not parking"),
    (["getting_home"], "not a list"),
    ({"getting_home": 12}, "policies.getting_home must be text"),
])
def test_a_malformed_policy_is_refused(demo_raw, policies, complaint):
    with pytest.raises(ProfileError, match=complaint):
        parse_profile({**demo_raw, "policies": policies}, Path("x.yml"))


def test_an_offer_is_said_only_when_the_profile_makes_it(demo_raw):
    demo_raw["offers"] = {"checks_insurance": "We can check your plan before your first visit."}
    slots = parse_profile(demo_raw, Path("x.yml")).slot_values()
    assert slots["clinic_offer_checks_insurance"] == "We can check your plan before your first visit."
    assert slots["clinic_offer_gives_quotes"] == "" and slots["clinic_offer_confirms_times"] == ""
    with pytest.raises(ProfileError, match="'offers' takes only"):
        parse_profile({**demo_raw, "offers": {"free_parking": "Yes"}}, Path("x.yml"))


@pytest.mark.parametrize("bare", [False, True], ids=["demo", "no policies or offers"])
def test_every_response_renders_without_a_gap_or_a_placeholder(domain, demo_raw, bare):
    if bare:
        demo_raw.pop("policies", None)
        demo_raw.pop("offers", None)
    slots = parse_profile(demo_raw, Path("x.yml")).slot_values()
    broken = []
    for name, variations in domain["responses"].items():
        for variation in variations:
            text = variation.get("text") or ""
            try:
                shown = text.format(**slots)
            except KeyError:
                continue  # filled from a conversation slot, not the profile: checked end to end
            if re.search(r"[{}]|\bNone\b|\s[.,]", shown):
                broken.append((name, shown))
    assert broken == []
