"""Conversations that follow the patient, over REST against the real servers: a follow-up is read
against the previous answer's topic (saying which topic it took when the message alone does not
tell), and a message asking two questions gets both answers, in the order asked."""

from __future__ import annotations

import uuid
from typing import List

import pytest

from clinic.topics import TOPIC_TITLES
from tests.support.chat import rendered, say, texts


def answer(domain, topic: str) -> str:
    return rendered(domain, f"utter_{topic}")[:50]


def answered_in_order(replies: List[str], openings: List[str]) -> bool:
    """Each opening starts a reply, in this order."""
    positions = [next((n for n, text in enumerate(replies) if text.startswith(opening)), -1) for opening in openings]
    return -1 not in positions and positions == sorted(positions)


def new_sender() -> str:
    return f"context-{uuid.uuid4().hex[:8]}"


# The follow-ups to "how long does an infusion take?", and three other wordings of each.
FOLLOW_UPS = {
    "ask_treatment_course": ["and how many of those would I need?", "ok and how many sessions of that",
                             "and how many times would i have to come", "how many of them do people usually get"],
    "ask_cost": ["what about the cost of all of them", "and what would all that cost", "how much for the whole lot",
                 "and the price for all of them?"],
}


@pytest.mark.parametrize("topic, follow_up", [(topic, text) for topic, wordings in FOLLOW_UPS.items()
                                               for text in wordings])
def test_a_follow_up_to_the_infusion_answer_gets_its_own_answer(assistant, domain, topic, follow_up):
    sender = new_sender()
    first = texts(say(assistant, sender, "how long does an infusion take?"))
    assert answered_in_order(first, [answer(domain, "ask_infusion_duration")]), first
    replies = texts(say(assistant, sender, follow_up))
    assert answered_in_order(replies, [answer(domain, topic)]), (follow_up, replies)


@pytest.mark.parametrize("opening, follow_up", [
    ("who is a good candidate for this", "and for teens?"),
    ("how long does an infusion take?", "and for older people"),
    ("what does it cost", "and for my husband"),
    ("is it safe", "what about the first one"),
])
def test_a_follow_up_without_a_topic_of_its_own_is_read_against_the_last_answer_and_says_so(
        assistant, domain, opening, follow_up):
    sender = new_sender()
    say(assistant, sender, opening)
    replies = texts(say(assistant, sender, follow_up))
    # The line names the topic taken (another, or the same one again), and that topic's answer follows.
    [topic] = [topic for topic, title in TOPIC_TITLES.items()
               if replies[0].startswith("Taking that as a follow-up to") and replies[0].endswith(f'here is "{title}":')
               or replies[0].startswith(f'Taking that as more on "{title}"')]
    assert replies[1].startswith(answer(domain, topic)), replies


@pytest.mark.parametrize("opening, follow_up, topic", [
    ("can i drive after", "what about the next day", "ask_getting_home"),
    ("can i drive home after an infusion", "and the morning after?", "ask_getting_home"),
    ("how much does it cost", "and for my husband", "ask_cost"),
])
def test_a_follow_up_leaning_on_the_last_answer_gets_that_topic_again(assistant, domain, opening, follow_up, topic):
    sender = new_sender()
    say(assistant, sender, opening)
    replies = texts(say(assistant, sender, follow_up))
    assert replies[0].startswith(f'Taking that as more on "{TOPIC_TITLES[topic]}"'), (follow_up, replies)
    assert replies[1].startswith(answer(domain, topic)), replies


def test_a_follow_up_with_no_topic_at_all_offers_the_last_answers_next_topics(assistant, domain):
    sender = new_sender()
    say(assistant, sender, "is it safe")
    [offer] = say(assistant, sender, "and then what")
    offered = {button["payload"] for button in offer["buttons"]}
    # Its next topics: every button but "Tell me more", which asks for no topic.
    assert offered == {button["payload"] for button in domain["responses"]["utter_ask_safety"][0]["buttons"]
                       if button["payload"] != "/tell_me_more"}


def test_the_same_follow_up_with_nothing_before_it_offers_topics(assistant):
    replies = texts(say(assistant, new_sender(), "and for teens?"))
    assert not any(text.startswith("Taking that as a follow-up") for text in replies)
    assert any("did you mean" in text for text in replies), replies


# The two questions in one message, and three other wordings.
TWO_QUESTIONS = [
    ("how much is it and does insurance cover it", ["ask_cost", "ask_insurance"]),
    ("does my insurance pay for it? and whats the price", ["ask_insurance", "ask_cost"]),
    ("how long does each infusion take and how many sessions do i need", ["ask_infusion_duration",
                                                                          "ask_treatment_course"]),
    ("is it safe, what are the side effects", ["ask_safety", "ask_side_effects"]),
]


@pytest.mark.parametrize("message, topics", TWO_QUESTIONS)
def test_two_questions_in_one_message_are_both_answered_in_order(assistant, domain, message, topics):
    sender = new_sender()
    replies = texts(say(assistant, sender, message))
    assert answered_in_order(replies, [answer(domain, topic) for topic in topics]), (message, replies)
    # The second answer says which question it answers; the next message is answered alone.
    assert any(text.startswith("And your other question") for text in replies), replies
    later = texts(say(assistant, sender, "what are the side effects?"))
    assert not any(text.startswith("And your other question") for text in later), later
