""""Tell me more": the last topic's more detailed text, or a kind word and topics to pick from."""

from __future__ import annotations

from actions.more import STARTING_TOPICS, ActionTellMeMore
from clinic.profile import current_profile
from clinic.topics import TOPIC_TITLES


def more_tracker(make_tracker, slots):
    return make_tracker(slots, "tell me more", "tell_me_more", 0.95)


def test_the_last_topic_with_more_gets_its_more_text(run_action, make_tracker, render, domain_dict):
    ran = run_action(ActionTellMeMore(), more_tracker(make_tracker, {"last_topic": "ask_safety"}))
    assert ran.responses == ["utter_more_ask_safety"] and ran.events == []
    assert render(ran.messages[0]) == domain_dict["responses"]["utter_more_ask_safety"][0]["text"]


def test_every_topic_offering_tell_me_more_has_a_more_text(domain_dict):
    offering = [name[len("utter_"):] for name, variations in domain_dict["responses"].items()
                if name.startswith("utter_ask_") and any(b.get("payload") == "/tell_me_more"
                                                         for v in variations for b in v.get("buttons", []))]
    assert offering and all(f"utter_more_{topic}" in domain_dict["responses"] for topic in offering)


def test_a_topic_without_more_says_so_and_offers_its_next_topics(run_action, make_tracker, render):
    ran = run_action(ActionTellMeMore(), more_tracker(make_tracker, {"last_topic": "ask_cost"}))
    assert ran.responses == ["utter_more_none"]
    text = render(ran.messages[0])
    assert f'"{TOPIC_TITLES["ask_cost"]}"' in text and current_profile().phone in text
    payloads = [button["payload"] for button in ran.messages[0]["buttons"]]
    assert "/ask_insurance" in payloads and payloads[-1] == "/book_appointment"
    assert "/tell_me_more" not in payloads


def test_no_topic_yet_asks_which_topic_and_offers_some(run_action, make_tracker):
    for slots in ({}, {"last_topic": None}, {"last_topic": "greet"}):
        ran = run_action(ActionTellMeMore(), more_tracker(make_tracker, slots))
        assert ran.responses == ["utter_more_no_topic"], slots
        assert [b["payload"] for b in ran.messages[0]["buttons"]] == [f"/{t}" for t in STARTING_TOPICS]
