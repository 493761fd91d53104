"""Rasa's RulePolicy, matching its rules against the latest dialogue turns only.

RulePolicy compares each rule, from the latest turn backwards, with the conversation's dialogue
states, and once it has gone further back than a rule is long, that rule's answer can no longer
change (RulePolicy._is_rule_applicable). Rasa still builds, formats and copies the states of every
turn of the conversation on every prediction, so each message costs more than the one before. This
policy hands the rules only as many of the latest states as the longest rule has (plus one, the
state before it): the predictions are the same, and a message's cost no longer grows with the
conversation. Only the feature key Rasa reports when no rule matched (a diagnostic) is shorter."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from components.conversation_tracker import STATES_WINDOW


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class RecentTurnsRulePolicy(RulePolicy):
    _window: Optional[int] = None

    def rule_window(self) -> int:
        """The number of latest states any rule can look at: the longest rule, plus one."""
        if self._window is None:
            keys = list(self.lookup.get(RULES, {})) + list(self.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {}))
            self._window = max((len(json.loads(key)) for key in keys), default=0) + 1
        return self._window

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        self._window = None
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
