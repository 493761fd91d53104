"""ConversationTracker carries Rasa's applied-events and dialogue-state computations on from
event to event: after every event of many conversations (forms, reverts, restarts, new sessions,
interrupted loops) both must equal what Rasa's own DialogueStateTracker computes from scratch."""

from __future__ import annotations

import random
from typing import List

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Event,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from components.conversation_tracker import INCREMENTAL, ConversationTracker

from tests.support.project import ROOT  # noqa: E402
RULE_ONLY_DATA = {"slots": ["awaiting_confirmation"], "loops": ["callback_form"]}


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def random_event(rng: random.Random, domain: Domain, step: int) -> Event:
    intents = [i for i in domain.intents if not i.startswith("ask_")][:6] + ["ask_cost", "ask_safety"]
    loops = list(domain.form_names) or ["booking_form"]
    slots = [s for s in domain.slots if s.type_name == "text"] or list(domain.slots)
    kind = rng.choices(
        ["user", "action", "slot", "loop", "loop_off", "bot", "revert_user", "revert_action",
         "restart", "session", "interrupt", "rejected", "followup"],
        weights=[14, 18, 6, 3, 2, 4, 1, 1, 0.3, 0.3, 1, 1, 0.5])[0]
    timestamp = 1_700_000_000 + step
    if kind == "user":
        return UserUttered(f"message {step}", {"name": rng.choice(intents), "confidence": 0.9}, timestamp=timestamp)
    if kind == "action":
        names = ["action_listen", "utter_ask_cost", "utter_welcome", "action_default_fallback"] + loops
        return ActionExecuted(rng.choice(names), hide_rule_turn=rng.random() < 0.2, timestamp=timestamp)
    if kind == "slot":
        slot = rng.choice(slots)
        return SlotSet(slot.name, rng.choice([None, "x", "y"]), timestamp=timestamp)
    if kind == "loop":
        return ActiveLoop(rng.choice(loops), timestamp=timestamp)
    if kind == "loop_off":
        return ActiveLoop(None, timestamp=timestamp)
    if kind == "bot":
        return BotUttered(f"answer {step}", timestamp=timestamp)
    if kind == "revert_user":
        return UserUtteranceReverted(timestamp=timestamp)
    if kind == "revert_action":
        return ActionReverted(timestamp=timestamp)
    if kind == "restart":
        return Restarted(timestamp=timestamp)
    if kind == "session":
        return SessionStarted(timestamp=timestamp)
    if kind == "interrupt":
        return LoopInterrupted(rng.random() < 0.5, timestamp=timestamp)
    if kind == "rejected":
        return ActionExecutionRejected(rng.choice(loops), timestamp=timestamp)
    return FollowupAction("action_listen", timestamp=timestamp)


def conversation(seed: int, domain: Domain, length: int = 160) -> List[Event]:
    rng = random.Random(seed)
    events: List[Event] = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    events += [random_event(rng, domain, step) for step in range(length)]
    return events


@pytest.mark.skipif(not INCREMENTAL, reason="on other Rasa versions the tracker is Rasa's own")
@pytest.mark.parametrize("seed", range(12))
def test_carried_on_computations_equal_rasas_after_every_event(seed, domain):
    events = conversation(seed, domain)
    ours = ConversationTracker("c", domain.slots)
    rasas = DialogueStateTracker("c", domain.slots)
    for index, event in enumerate(events):
        ours.update(event)
        rasas.update(event)
        assert ours.applied_events() == rasas.applied_events(), f"applied events differ after event {index}"
        for omit, ignore, rule_only in ((False, False, None), (True, True, RULE_ONLY_DATA),
                                        (False, True, RULE_ONLY_DATA)):
            assert (ours.past_states(domain, omit, ignore, rule_only)
                    == rasas.past_states(domain, omit, ignore, rule_only)), (
                f"states differ after event {index} ({type(event).__name__}) with {omit, ignore}")


@pytest.mark.skipif(not INCREMENTAL, reason="on other Rasa versions the tracker is Rasa's own")
@pytest.mark.parametrize("window", [2, 5])
def test_a_window_gives_the_latest_states_only(window, domain):
    from components.conversation_tracker import STATES_WINDOW

    ours, rasas = ConversationTracker("c", domain.slots), DialogueStateTracker("c", domain.slots)
    for index, event in enumerate(conversation(7, domain, 100)):
        ours.update(event)
        rasas.update(event)
        token = STATES_WINDOW.set(window)
        try:
            windowed = ours.past_states(domain, False, True, RULE_ONLY_DATA)
        finally:
            STATES_WINDOW.reset(token)
        assert windowed == rasas.past_states(domain, False, True, RULE_ONLY_DATA)[-window:], f"after event {index}"


def tracker_state(tracker: DialogueStateTracker) -> dict:
    return {
        "state": tracker.current_state(EventVerbosity.ALL),
        "slots": {name: (slot.value, slot.has_been_set) for name, slot in tracker.slots.items()},
        "active_loop": tracker.active_loop, "latest_action": tracker.latest_action,
        "followup_action": tracker.followup_action, "paused": tracker.is_paused(),
        "latest_message": tracker.latest_message, "latest_bot_utterance": tracker.latest_bot_utterance,
        "model_id": tracker.model_id, "sender_source": tracker.sender_source,
    }


@pytest.mark.skipif(not INCREMENTAL, reason="on other Rasa versions the tracker is Rasa's own")
@pytest.mark.parametrize("seed", range(6))
def test_a_copy_equals_rasas_replayed_copy_and_stands_apart(seed, domain):
    tracker = ConversationTracker("c", domain.slots)
    tracker.model_id = "model"
    for index, event in enumerate(conversation(seed, domain, 120)):
        tracker.update(event)
        if index % 7 == 0:
            ours, rasas = tracker.copy(), DialogueStateTracker.copy(tracker)
            assert tracker_state(ours) == tracker_state(rasas), f"copies differ after event {index}"
    before = tracker_state(tracker)
    ours = tracker.copy()
    ours.update(SlotSet(next(iter(domain.slots)).name, "changed in the copy"))
    ours.update(ActionExecuted("action_listen"))
    assert tracker_state(tracker) == before
    assert len(ours.events) == len(tracker.events) + 2


def test_the_last_state_can_be_edited_without_changing_the_next_answer(domain):
    """Rasa's featurizer edits the last state it is given; the carried-on states must not keep it."""
    tracker = ConversationTracker("c", domain.slots)
    for event in conversation(3, domain, 40):
        tracker.update(event)
    first = tracker.past_states(domain)
    first[-1].clear()
    assert tracker.past_states(domain)[-1] == DialogueStateTracker.from_events(
        "c", list(tracker.events), domain.slots).past_states(domain)[-1]
