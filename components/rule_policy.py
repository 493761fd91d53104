"""Rasa's RulePolicy, matching its rules against the latest dialogue turns only.

RulePolicy compares each rule, from the latest turn backwards, with the conversation's dialogue
states, and once it has gone further back than a rule is long, that rule's answer can no longer
change (RulePolicy._is_rule_applicable). Rasa still builds, formats and copies the states of every
turn of the conversation on every prediction, so each message costs more than the one before. This
policy hands the rules only as many of the latest states as the longest rule has (plus one, the
state before it): the predictions are the same, and a message's cost no longer grows with the
conversation. Only the feature key Rasa reports when no rule matched (a diagnostic) is shorter.

Rasa also tests every rule against the latest state, one by one, on every prediction: with some 250
rules that was a quarter of a message's time. The rules are indexed by what their latest state
requires (the previous action, the intent); only the rules the index allows are tested, and
those tests are Rasa's own, so the same rules apply."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any, Dict, List, Optional, Set, Text, Tuple

from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_NAME, INTENT

from components.conversation_tracker import STATES_WINDOW

# Rule keys by what their latest state requires: (previous action, intent), None for nothing.
RuleIndex = Dict[Tuple[Optional[Text], Optional[Text]], Set[Text]]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class RecentTurnsRulePolicy(RulePolicy):
    _window: Optional[int] = None
    # Per lookup (rules, rules for a loop's unhappy path): the lookup, its size and its index. Training
    # removes rules from a lookup while it predicts with it; a new size rebuilds the index.
    _indexes: Optional[Dict[int, Tuple[Dict[Text, Text], int, RuleIndex]]] = None

    def rule_window(self) -> int:
        """The number of latest states any rule can look at: the longest rule, plus one."""
        if self._window is None:
            keys = list(self.lookup.get(RULES, {})) + list(self.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {}))
            self._window = max((len(json.loads(key)) for key in keys), default=0) + 1
        return self._window

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        self._window = None
        self._indexes = None
        return super().train(training_trackers, domain, **kwargs)

    def _prediction_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        rule_only_data: Optional[Dict[Text, Any]] = None,
    ) -> List[State]:
        window = self.rule_window()
        token = STATES_WINDOW.set(window)
        try:
            states = super()._prediction_states(tracker, domain, use_text_for_last_user_input, rule_only_data)
        finally:
            STATES_WINDOW.reset(token)
        return states[-window:] if len(states) > window > 1 else states

    def _rule_index(self, lookup: Dict[Text, Text]) -> RuleIndex:
        if self._indexes is None:
            self._indexes = {}
        known = self._indexes.get(id(lookup))
        if known is None or known[0] is not lookup or known[1] != len(lookup):
            index: RuleIndex = defaultdict(set)
            for key in lookup:
                index[self._requirement(self._rule_key_to_state(key)[-1])].add(key)
            known = self._indexes[id(lookup)] = (lookup, len(lookup), dict(index))
        return known[2]

    @staticmethod
    def _requirement(rule_state: State) -> Tuple[Optional[Text], Optional[Text]]:
        """What a rule's latest state requires of the conversation's: a rule state without a previous
        action (a conversation's start) is decided without its intent (RulePolicy._is_rule_applicable)."""
        previous_action = rule_state.get(PREVIOUS_ACTION) or {}
        if not previous_action:
            return None, None
        action = previous_action.get(ACTION_NAME)
        intent = (rule_state.get(USER) or {}).get(INTENT)
        return (action if action and action != SHOULD_NOT_BE_SET else None,
                intent if intent and intent != SHOULD_NOT_BE_SET else None)

    def _get_possible_keys(self, lookup: Dict[Text, Text], states: List[State]) -> Set[Text]:
        """Rasa's test of each rule, turn by turn, on the rules the index leaves for the latest state."""
        if not states:
            return super()._get_possible_keys(lookup, states)
        index = self._rule_index(lookup)
        latest = states[-1]
        action = (latest.get(PREVIOUS_ACTION) or {}).get(ACTION_NAME)
        intent = (latest.get(USER) or {}).get(INTENT)
        possible_keys: Set[Text] = set()
        for requirement in {(action, intent), (action, None), (None, intent), (None, None)}:
            possible_keys |= index.get(requirement, set())
        for turn, state in enumerate(reversed(states)):
            possible_keys = {key for key in possible_keys if self._is_rule_applicable(key, turn, state)}
        return possible_keys
