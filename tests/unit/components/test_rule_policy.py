"""The rule index of RecentTurnsRulePolicy leaves exactly the rules Rasa's own test of every rule
leaves: random rules and conversations with every kind of requirement (a previous action, an
intent, none, "should not be set", a conversation's start, slots and loops)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Dict, List

import pytest
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import SHOULD_NOT_BE_SET
from rasa.shared.core.domain import State

from components.rule_policy import RecentTurnsRulePolicy

ACTIONS = ["action_listen", "utter_ask_cost", "booking_form", "action_crisis_response"]
INTENTS = ["ask_cost", "greet", "book_consultation", "crisis"]


def random_state(rng: random.Random, starting: bool) -> State:
    state: Dict[str, Dict[str, object]] = {}
    if not starting:
        state["prev_action"] = rng.choice([{"action_name": rng.choice(ACTIONS)}, {"action_name": SHOULD_NOT_BE_SET},
                                           {"action_text": "hello"}])
    if rng.random() < 0.8:
        state["user"] = rng.choice([{"intent": rng.choice(INTENTS)}, {"intent": SHOULD_NOT_BE_SET}, {"text": "hi"}])
    if rng.random() < 0.3:
        state["slots"] = {"awaiting_confirmation": rng.choice([(1.0,), SHOULD_NOT_BE_SET])}
    if rng.random() < 0.3:
        state["active_loop"] = {"name": rng.choice(["booking_form", SHOULD_NOT_BE_SET])}
    return state


def random_states(rng: random.Random) -> List[State]:
    length = rng.randint(1, 4)
    return [random_state(rng, starting=turn == 0 and rng.random() < 0.3) for turn in range(length)]


@pytest.fixture
def policy(tmp_path: Path) -> RecentTurnsRulePolicy:
    rng = random.Random(7)
    lookup = {name: {json.dumps(random_states(rng)): rng.choice(ACTIONS) for _ in range(400)}
              for name in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH)}
    return RecentTurnsRulePolicy(RecentTurnsRulePolicy.get_default_config(), LocalModelStorage(tmp_path),
                                 Resource("rules"), ExecutionContext(GraphSchema({}), "rules"), lookup=lookup)


def test_the_index_leaves_the_rules_rasa_leaves(policy: RecentTurnsRulePolicy) -> None:
    rng = random.Random(11)
    applied = 0
    for _ in range(3000):
        states = random_states(rng)
        for name in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
            expected = RulePolicy._get_possible_keys(policy, policy.lookup[name], states)
            assert policy._get_possible_keys(policy.lookup[name], states) == expected
            applied += len(expected)
    # The comparison means something only if rules do apply, often.
    assert applied > 3000


def test_the_index_follows_a_new_lookup_and_a_rule_removed_in_training(policy: RecentTurnsRulePolicy) -> None:
    states = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]
    longer = [{}, *states]
    policy.lookup[RULES] = {json.dumps(states): "utter_greet", json.dumps(longer): "utter_welcome"}
    assert policy._get_possible_keys(policy.lookup[RULES], longer) == {json.dumps(states), json.dumps(longer)}
    # RulePolicy.train removes a contradicted rule from the lookup it is predicting with.
    policy.lookup[RULES].pop(json.dumps(longer))
    assert policy._get_possible_keys(policy.lookup[RULES], longer) == {json.dumps(states)}
