"""The crisis detector on its own (unit tests): each rule, the negatives it must leave alone,
the reading by meaning and its grades, and what it records on the message."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from clinic.text import normalise
import numpy as np
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.crisis_detector import DETECTION_KEY, CrisisDetector, CrisisRules, excused

RULES = CrisisRules()


@pytest.mark.parametrize(
    "text, rule",
    [
        ("i want to kill myself", "kill_self"),
        ("i think i crashed the car on the way home, theres glass everywhere", "emergency_mention"),
        ("no quiero vivir mas", "other_language_spanish"),
        ("honestly i just want everything to stop", "wants_it_to_stop"),
        ("ive been stockpiling my sleeping pills", "means_gathered"),
        ("my brother drank bleach, what do we do", "poison_taken"),
        ("i took some rat poison an hour ago", "poison_taken"),
        ("my toddler drank some of the drain cleaner", "poison_taken"),
        ("he's clutching his chest and sweating", "body_emergency"),
        ("she just passed out in the kitchen", "passed_out"),
        ("tonight im going to take all my sleeping pills", "taking_all_pills"),
        ("i just want to sleep forever", "taking_all_pills"),
        ("i dont see the point in waking up", "no_point_in_living"),
        ("i don't see the point in going on", "no_point_in_living"),
        ("i'm done trying.", "done_trying"),
        ("how do i make the pain stop for good", "done_trying"),
        ("i gave all my stuff to my friends this week", "giving_away"),
        ("i won't be needing it where i'm going", "giving_away"),
        ("i keep thinking about steering into a tree on the highway", "car_method"),
        ("some days i want to drive my car off the bridge", "car_method"),
        ("how many panadol would kill me", "amount_it_takes"),
        ("how many valium is too much", "amount_it_takes"),
        ("took a heap of my mums valium", "took_too_many"),
        ("Η μητέρα μου δεν ξυπνάει", "other_language_cyrillic_greek"),
        ("он не дышит", "other_language_cyrillic_greek"),
        ("i know exactly how many would do it", "means_gathered"),
        ("after sunday it won't matter anyway", "deadline"),
        ("nothing matters after this weekend", "deadline"),
        ("the only thing keeping me alive is my cat", "last_reason"),
        ("this is my last message. thanks for everything", "last_message"),
        ("je veux mourir ce soir", "other_language_french"),
        ("Je n'en peux plus, j'ai envie de mourir", "other_language_french"),
        ("ya tomé todas mis pastillas", "other_language_spanish"),
        ("Ich möchte nicht mehr aufwachen", "other_language_german"),
        ("hoje eu vou me matar", "other_language_portuguese"),
        ("non voglio più vivere", "other_language_italian"),
        ("chcę umrzeć", "other_language_polish"),
        ("ik wil niet meer leven", "other_language_dutch"),
        ("vreau să mor", "other_language_scandinavian_romanian_czech"),
        ("artık yaşamak istemiyorum", "other_language_turkish_indonesian_tagalog"),
        ("gusto ko nang mamatay", "other_language_turkish_indonesian_tagalog"),
        ("main marna chahta hoon", "other_language_hindi_vietnamese"),
        ("tôi muốn chết", "other_language_hindi_vietnamese"),
        ("я хочу умереть", "other_language_cyrillic_greek"),
        ("θέλω να πεθάνω", "other_language_cyrillic_greek"),
        ("أريد أن أموت", "other_language_arabic_farsi_hebrew"),
        ("我不想活了", "other_language_chinese_japanese_korean"),
        ("죽고 싶어요", "other_language_chinese_japanese_korean"),
        ("i've put my affairs in order this week", "farewell"),
        ("i cant get any air and my chest is tight", "emergency"),
        ("i wnt to die", "want_to_die"),
        ("he's sitting in the garage with a hose from the exhaust", "method"),
        ("gonna kil my self tonight", "kill_self"),
        ("kms", "kms"),
        ("honestly might just unalive myself", "kms"),
        ("i'm going to end my life", "end_life"),
        ("i just want to end it all", "end_it"),
        ("i wanna die", "want_to_die"),
        ("i dont want to live anymore", "not_want_to_live"),
        ("i want to dye", "want_to_die"),
        ("everyone would be better off without me", "better_off"),
        ("there's no reason to live anymore", "no_reason_to_live"),
        ("i can't go on like this", "cant_go_on"),
        ("i hope i don't wake up tomorrow", "not_wake_up"),
        ("i won't be around much longer", "not_be_around"),
        ("i wrote my goodbye letters", "goodbye_note"),
        ("i've saved up enough pills to do it", "means"),
        ("thinking about jumping off the bridge", "method"),
        ("i cut myself again last night", "self_harm"),
        ("relapsed on self harm", "self_harm_mention"),
        ("i think i overdosed", "overdose"),
        ("i took a whole bottle of my sleeping pills", "took_too_many"),
        ("my dad is unconscious and barely breathing", "emergency"),
        ("my sister texted that she wants to die", "want_to_die"),
        ("suicidal", "suicide_mention"),
        ("i've been feeling suicidal, can ketamine help?", "suicide_mention_present"),
        ("how much is it? also i keep having suicidal thoughts", "suicide_mention_present"),
        ("can i book for friday, if im still alive by then", "survival_in_doubt"),
        ("im standing on the bridge", "means_at_hand"),
        ("i have a plan and a date", "plan"),
        ("my husband isn't waking up after his dose", "emergency"),
        ("she's bleeding and not making sense", "emergency_mention"),
        ("how many of my lithium would be too many", "means_seeking"),
        ("tell my mom it wasn't her fault", "farewell"),
        ("i keep wanting to drive into the river", "car_method"),
        ("im up at the cliffs", "means_at_hand"),
    ],
)
def test_crisis_patterns_fire_and_name_their_rule(text, rule):
    detection = RULES.detect(text)
    assert detection is not None, text
    assert detection.rule == rule
    assert detection.source == "pattern"
    assert detection.matched


@pytest.mark.parametrize(
    "text",
    [
        "can ketamine help with suicidal thoughts",
        "i totally crashed and slept 12 hours after my infusion",
        "my sister has had suicidal thoughts before, could she be a candidate?",
        "i was in a car accident years ago, can i still get treatment?",
        "is ketamine used for suicidal ideation",
        "i attempted suicide years ago, am i still a candidate",
        "can you overdose on ketamine during an infusion",
        "what's the risk of overdose",
        "this insurance paperwork is killing me",
        "i'm dying to know the price",
        "the clinic is 5 kms from my house",
        "im not suicidal, just depressed",
        "is bleeding a side effect of the iv?",
        "is ketamine a permanent solution for depression?",
        "what's your protocol if a patient says they feel suicidal during treatment?",
        "i want to dye my hair before my appointment",
        "how long does an infusion take",
        "i don't wake up until 10, can i book the afternoon",
        "¿la ketamina sirve para los pensamientos suicidas?",
        "la kétamine aide-t-elle contre les idées suicidaires ?",
        "quanto custa uma sessão?",
        "i want the nausea to stop, is that normal",
        "i've been saving up for the treatment, how much is it",
        "i'm done trying antidepressants, is ketamine different",
        "how many tablets does it take to feel better",
        "is there poison in ketamine?",
        "back in college people passed out at raves on ketamine, is this the same thing?",
        "can i drink coffee after the session",
        "i crashed my car into a tree in 2015 and hurt my back, can i still have infusions?",
        "am i putting myself in harm's way doing this?",
        "we're giving my dog to my sister while i'm at the clinic, how long is a session",
        "after insurance it won't matter much what the list price is, right?",
        "how many sessions would do it for most people",
        "this is my last message for today, thanks for the help",
        "my husband sent me his login details so I can book the appointment for him",
        "I made the arrangements, my sister will drive me home after",
        "I've made my arrangements for childcare, can I book thursday",
        "We're moving overseas next month so we're rehoming our dog with my parents",
        "I don't want to die on the table, what dose do you give?",
        "I'm a paramedic, I've seen more overdoses than I can count. Could I talk to a nurse?",
        "do i have to starve myself like before surgery",
        "my brother attempted suicide two years ago and is doing well, can he get infusions",
        "I attempted suicide years ago, today I'm doing well, can I get infusions",
        "today i want to ask, my son attempted suicide in 2019, is he a candidate",
        "can i eat today before i do it, or fast",
        "the nurse asked if i was suicidal and honestly not anymore, is ketamine used for that",
        "my bank account is bleeding out from copays, any payment plans?",
        "i work as a chef and burn myself on most shifts, can i fast before the appointment",
        "i'm on the platform waiting for the bus, how far is the clinic from the station",
        "",
        "   ",
    ],
)
def test_ordinary_messages_are_left_alone(text):
    assert RULES.detect(text) is None


@pytest.mark.parametrize("text", [
    "how do i cancel my subscription to your emails",
    "we watched a movie about a man who dies at the end",
    "my grandad passed away last month, can i move my appointment",
    "my boss will kill me if i miss another shift",
    "i'd die for a coffee right now lol",
    "I'm safe, no thoughts of hurting myself, how long does it last",
])
def test_ordinary_contexts_excuse_a_reading_by_meaning(text):
    assert excused(text)


@pytest.mark.parametrize("text", [
    "my uncle restores old cars with suicide doors, would he be a candidate",
    "i nearly died of embarrassment at my first appointment elsewhere, is yours private",
    "i overdosed on espresso this morning, does caffeine matter before a session",
    "what are the odds of not waking up after the infusion",
    "we set a date for our wedding in may, can treatment be finished by then",
    "i'm ending things with my old therapist and want a fresh start here",
    "will i need to starve myself before the appointment",
    "i had a seizure once as a kid, does that matter",
    "i won't be around next week as i'm travelling, can we book the week after",
    "don't want to jump the gun, but how much is it",
    "i don't want to die from an allergic reaction, is it safe for me",
    "my cousin says these infusions saved her life, how much are they",
    "my phone is about to die, what's your number so i can call",
    "my wife is killing herself with double shifts to pay for this, is there a payment plan",
    "i'm scared of going under and never waking up, how safe is the anaesthetic dose",
    "my alarm clock died so i missed my bus, can i come an hour later",
    "quick, what's your number, my phone's about to die",
])
def test_set_phrases_are_neither_a_pattern_nor_a_reading_by_meaning(text):
    assert RULES.detect(text) is None and excused(text)


@pytest.mark.parametrize("text", [
    "i'm ending things with my own hands tonight",
    "i won't be around next week",
    "i've set a date",
    "i starve myself most days",
    "my son just had a seizure and won't wake up",
    "sure, my family will need it for the funeral",
    "pills ✅ note ✅",
    "i want to die from this pain",
    "he says he's not sticking around past sunday",
    "i'm going to kill myself with these pills",
    "my brother attempted suicide last night and is in the ICU",
    "i was suicidal last year and not anymore, but tonight i'm suicidal again",
    "i cut myself every night after my shift in the kitchen",
    "i'm a chef and i cut myself every night when i get home",
])
def test_set_phrases_leave_the_dangerous_wordings_to_the_patterns(text):
    assert RULES.detect(text) is not None


@pytest.mark.parametrize("text", ["i want to die, not joking, lol", "everything feels pointless and heavy"])
def test_what_is_not_excused(text):
    assert not excused(text)


@pytest.mark.parametrize("text", [
    "I'm safe, no thoughts of hurting myself, just wondering how long the relief lasts",
    "If my dad ever got suicidal again, who would I call?",
    "who should I call if my brother talks about suicide?",
    "my dad said suicide was the answer back in 2015, he is doing much better now, can he still get infusions",
    "i'm not sticking around after friday because i'm moving to denver, can you send my records",
    "suicide hotline number",
    "can a bad trip make people want to hurt themselves",
    "My son survived a suicide attempt two years ago and is stable now. Could he be a candidate?",
    "How do you decide the dose, and is there any chance of overdosing on it?",
    "What's the best way to kill a frozen process on my Mac?",
    "I am safe, not hurt myself, only very sad. When does it start to work?",
    "I have some questions about the overdose risk before I book",
    "What is the number for call when a friend talk about suicide?",
    "My dad has struggled with suicidal thoughts in the past, is there a helpline I can give him?",
    "I have taken so many antidepressants over the years, is ketamine different?",
    "is friday a good day to go for the first session?",
])
def test_denials_hypotheticals_and_general_questions_are_left_to_meaning(text):
    assert RULES.detect(text) is None


def test_zero_width_and_case_tricks_are_normalised():
    assert normalise("I WANT TO K\u200bILL MYSELF") == "i want to kill myself"
    assert RULES.detect("I WANT TO K\u200bILL MYSELF").rule == "kill_self"


def vector_message(text: str, direction: int) -> Message:
    """A message whose sentence vector points along one axis: a stand-in for the encoder."""
    message = Message(data={"text": text})
    vector = np.zeros((1, 8))
    vector[0, direction] = 1.0
    message.add_features(Features(vector, "sentence", "text", "encoder"))
    return message


@pytest.fixture(scope="module")
def trained_detector(tmp_path_factory):
    """A detector whose risk reader learned three grades, each from its own direction of meaning."""
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    examples = []
    for direction, intent, words in ((0, "crisis", "dark heavy night"), (1, "distress", "tired low grey"),
                                     (2, "ask_cost", "price fee money")):
        for word in words.split():
            message = vector_message(f"{word} {word}", direction)
            message.set("intent", intent)
            examples.append(message)
    detector = CrisisDetector({"C": 10.0}, LocalModelStorage(tmp_path_factory.mktemp("storage")), Resource("risk"))
    detector.train(TrainingData(examples))
    return detector


@pytest.mark.parametrize("direction, intent, grade", [(0, "crisis", "clear"), (1, "distress", "possible"),
                                                      (2, "ask_cost", None)])
def test_the_reading_by_meaning_grades_risk(trained_detector, direction, intent, grade):
    message = vector_message("something unseen", direction)
    message.set("intent", {"name": "ask_cost", "confidence": 0.6})
    message.set("intent_ranking", [{"name": "ask_cost", "confidence": 0.6}])
    [processed] = trained_detector.process([message])
    assert processed.get("intent")["name"] == intent
    assert (processed.get(DETECTION_KEY) or {}).get("grade") == grade


def test_a_request_for_crisis_lines_is_not_read_as_risk_by_meaning(trained_detector):
    message = vector_message("the number to call", 0)
    message.set("intent", {"name": "crisis_resources", "confidence": 0.9})
    message.set("intent_ranking", [{"name": "crisis_resources", "confidence": 0.9}])
    [processed] = trained_detector.process([message])
    assert processed.get("intent")["name"] == "crisis_resources" and processed.get(DETECTION_KEY) is None


def test_without_sentence_vectors_the_patterns_alone_read_risk(trained_detector):
    message = Message(data={"text": "dark heavy night"})
    message.set("intent", {"name": "ask_cost", "confidence": 0.6})
    [processed] = trained_detector.process([message])
    assert processed.get("intent")["name"] == "ask_cost"


def test_component_overrides_intent_and_records_the_rule():
    detector = CrisisDetector({})
    message = Message(data={"text": "my friend says she will kill herself"})
    message.set("intent", {"name": "ask_cost", "confidence": 0.4})
    message.set("intent_ranking", [{"name": "ask_cost", "confidence": 0.4}, {"name": "crisis", "confidence": 0.2}])
    [processed] = detector.process([message])
    assert processed.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert processed.get("intent_ranking")[0] == {"name": "crisis", "confidence": 1.0}
    assert [e["name"] for e in processed.get("intent_ranking")].count("crisis") == 1
    assert processed.get(DETECTION_KEY)["rule"] == "kill_self"
    assert processed.get(DETECTION_KEY)["grade"] == "clear"


def test_component_leaves_ordinary_messages_untouched():
    detector = CrisisDetector({})
    message = Message(data={"text": "how much does it cost"})
    message.set("intent", {"name": "ask_cost", "confidence": 0.9})
    [processed] = detector.process([message])
    assert processed.get("intent")["name"] == "ask_cost"
    assert processed.get(DETECTION_KEY) is None


def test_a_typed_command_is_read_by_the_patterns_only():
    """"/crisis" typed by hand loses its slash (components/payload_guard.py); the word alone must
    not file a crisis flag on the classifier's say-so, while a crisis written in it still counts."""
    from components.payload_guard import PayloadGuard

    guard, detector = PayloadGuard(PayloadGuard.get_default_config()), CrisisDetector({})
    readings = []
    for text in ("/crisis", '/ask_cost{"note": "i am going to kill myself tonight"}'):
        message = Message(data={"text": text})
        guard.process([message])
        message.set("intent", {"name": "crisis", "confidence": 0.9})
        message.set("intent_ranking", [{"name": "crisis", "confidence": 0.9},
                                       {"name": "out_of_scope", "confidence": 0.1}])
        [processed] = detector.process([message])
        readings.append((processed.get("intent")["name"], (processed.get(DETECTION_KEY) or {}).get("source")))
    assert readings == [("nlu_fallback", None), ("crisis", "pattern")]
