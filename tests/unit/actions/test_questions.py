"""The second of two questions asked at once, and follow-ups read against the previous answer."""

from __future__ import annotations

from actions.fallback import ActionSuggestRephrase
from actions.questions import ActionAnswerSecondQuestion, follow_up_topic, related_topics

SECOND = {"entity": "second_question", "value": "ask_insurance"}


def test_the_second_question_of_this_message_is_answered_and_cleared(run_action, make_tracker):
    tracker = make_tracker({"second_question": "ask_insurance"}, "how much is it and does insurance cover it",
                           "ask_cost", 0.9, entities=[SECOND])
    ran = run_action(ActionAnswerSecondQuestion(), tracker)
    assert ran.responses == ["utter_second_question", "utter_ask_insurance"]
    assert ran.slots == {"last_topic": "ask_insurance", "second_question": None}


def test_a_second_question_left_from_an_earlier_message_is_cleared_unanswered(run_action, make_tracker):
    tracker = make_tracker({"second_question": "ask_insurance"}, "how much is it", "ask_cost", 0.9)
    ran = run_action(ActionAnswerSecondQuestion(), tracker)
    assert ran.responses == [] and ran.slots == {"second_question": None}


def test_related_topics_are_the_buttons_of_the_answer(domain_dict):
    assert {"ask_session_experience", "ask_treatment_course"} <= set(related_topics("ask_infusion_duration",
                                                                                    domain_dict))
    assert "book_appointment" in related_topics("ask_infusion_duration", domain_dict)


def test_a_follow_up_takes_the_likeliest_topic_the_last_answer_offers_next(domain_dict):
    ranking = [{"name": "nlu_fallback", "confidence": 0.25}, {"name": "ask_effect_duration", "confidence": 0.22},
               {"name": "ask_treatment_course", "confidence": 0.2},
               {"name": "ask_infusion_duration", "confidence": 0.2}]
    related = related_topics("ask_infusion_duration", domain_dict)
    assert follow_up_topic(ranking, "ask_infusion_duration", related, domain_dict) == "ask_treatment_course"
    # The topic just answered counts as well: "what about grief specifically" after the conditions.
    assert follow_up_topic(ranking, "ask_treatment_course", [], domain_dict) == "ask_treatment_course"
    # Nothing of the kind among them: the likeliest.
    assert follow_up_topic(ranking, "ask_cost", [], domain_dict) == "ask_effect_duration"
    assert follow_up_topic([{"name": "greet", "confidence": 0.9}], "ask_cost", [], domain_dict) is None


def test_a_follow_up_leaning_on_the_last_answer_with_no_topic_of_its_own_keeps_its_topic(domain_dict):
    ranking = [{"name": "nlu_fallback", "confidence": 0.25}, {"name": "goodbye", "confidence": 0.18},
               {"name": "ask_time_to_effect", "confidence": 0.14}]

    def topic(text, entries=ranking):
        return follow_up_topic(entries, "ask_getting_home", [], domain_dict, text)

    assert topic("what about the next day") == "ask_getting_home"
    # A follow-up that refers back without leaning on the answer takes the likeliest topic; so does
    # one read likelier out of scope ("and is there a good taco place near there"), or one that names
    # a topic surely.
    assert topic("is that the next day") == "ask_time_to_effect"
    out_of_scope = [ranking[0], {"name": "out_of_scope", "confidence": 0.49}, *ranking[1:]]
    assert topic("and is there a good taco place near there", out_of_scope) == "ask_time_to_effect"
    ranking[2]["confidence"] = 0.35
    assert topic("what about the next day") == "ask_time_to_effect"


def test_an_unsure_follow_up_is_answered_in_context_and_says_so(run_action, make_tracker):
    ranking = [{"name": "nlu_fallback", "confidence": 0.25}, {"name": "ask_treatment_course", "confidence": 0.24},
               {"name": "ask_dosage", "confidence": 0.22}]
    tracker = make_tracker({"last_topic": "ask_infusion_duration"}, "and how many of those would I need?",
                           "nlu_fallback", 0.25, intent_ranking=ranking)
    ran = run_action(ActionSuggestRephrase(), tracker)
    assert ran.responses == ["utter_follow_up_topic", "utter_ask_treatment_course"]
    assert ran.slots == {"last_topic": "ask_treatment_course"}


def test_an_unsure_message_that_is_no_follow_up_gets_did_you_mean(run_action, make_tracker):
    ranking = [{"name": "nlu_fallback", "confidence": 0.25}, {"name": "ask_treatment_course", "confidence": 0.24}]
    for slots, text in (({"last_topic": "ask_cost"}, "blorp the snorf"), ({}, "and how many of those")):
        ran = run_action(ActionSuggestRephrase(), make_tracker(slots, text, "nlu_fallback", 0.25,
                                                               intent_ranking=ranking))
        assert ran.responses == ["utter_ask_rephrase"], text


def test_a_follow_up_on_the_same_topic_says_so(run_action, make_tracker):
    ranking = [{"name": "nlu_fallback", "confidence": 0.6}, {"name": "ask_conditions_treated", "confidence": 0.4}]
    tracker = make_tracker({"last_topic": "ask_conditions_treated"}, "what about grief specifically",
                           "nlu_fallback", 0.6, intent_ranking=ranking)
    ran = run_action(ActionSuggestRephrase(), tracker)
    assert ran.responses == ["utter_follow_up_same_topic", "utter_ask_conditions_treated"]
