"""A conversation tracker whose cost per message does not grow with the conversation.

Rasa's DialogueStateTracker recomputes two things from the first event on every call, several
times per message: the applied events (every event, minus reverted and undone ones) and the
dialogue states the policies match their rules against. Both are folds over the events, so this
tracker keeps each fold's result and carries it on over the events added since, instead of
starting again. The tracker store keeps trackers between messages (components/tracker_store.py),
so the folds carry on across messages too.

Rasa also copies the tracker before every action it runs by replaying every event into a new
one; this tracker copies its current state instead.

Both folds repeat Rasa 3.6's own loops step for step (DialogueStateTracker.applied_events and
Domain.states_for_tracker_history), so they are used only on the Rasa version they were written
for; on another version this tracker behaves exactly as Rasa's. tests/unit/components/test_conversation_tracker.py
checks, event after event, that both give what Rasa's own methods give."""

from __future__ import annotations

import copy
import json
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Dict, Hashable, List, Optional, Set, cast

import rasa
from rasa.shared.core import constants as core_constants
from rasa.shared.core.domain import Domain, State, SubState
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_patches import WRITTEN_FOR_RASA

# The folds below repeat the loops of the Rasa release rasa_patches was written for; on another
# release (which the launcher refuses) this tracker falls back to Rasa's own computations.
INCREMENTAL = rasa.__version__ == WRITTEN_FOR_RASA
# Rasa's policies ask for states in two or three ways; more would mean a caller that varies its
# arguments, which must not make the tracker grow.
MAX_STATES_FOLDS = 4
# Set by a caller that looks only at the latest states (components/rule_policy.py): past_states
# then returns only that many, instead of copying every turn's state for it.
STATES_WINDOW: ContextVar[Optional[int]] = ContextVar("states_window", default=None)


@dataclass
class AppliedEventsFold:
    """DialogueStateTracker.applied_events, carried on: the events seen so far and the result."""

    seen: int = 0
    last_seen: Optional[Event] = None
    loop_names: Set[str] = field(default_factory=set)
    applied: List[Event] = field(default_factory=list)


@dataclass
class StatesFold:
    """Domain.states_for_tracker_history, carried on: the states of every turn but the current
    one, the replayed tracker they were taken from and the loop's own variables."""

    consumed: int
    last_consumed: Optional[Event]
    replay: DialogueStateTracker
    states: List[State]
    last_ml_action_sub_state: Optional[SubState] = None
    turn_was_hidden: bool = False


class ConversationTracker(DialogueStateTracker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._applied_fold = AppliedEventsFold()
        self._states_folds: Dict[Hashable, StatesFold] = {}

    # --- applied events ---------------------------------------------------------------------

    def applied_events(self) -> List[Event]:
        if not INCREMENTAL:
            return super().applied_events()
        events = self.events
        fold = self._applied_fold
        if fold.seen > len(events) or (fold.seen and events[fold.seen - 1] is not fold.last_seen):
            fold = self._applied_fold = AppliedEventsFold()
        new_events = [events[index] for index in range(fold.seen, len(events))]
        new_loops = {e.name for e in new_events if isinstance(e, ActiveLoop) and e.name}
        if not new_loops <= fold.loop_names:
            # Rasa decides about each earlier event with every loop name the conversation will
            # ever have seen: a new loop name means folding again from the start.
            fold = self._applied_fold = AppliedEventsFold(loop_names=fold.loop_names | new_loops)
            new_events = list(events)
        for event in new_events:
            self._apply(event, fold.applied, fold.loop_names)
        fold.seen = len(events)
        fold.last_seen = events[-1] if events else None
        return list(fold.applied)

    def _apply(self, event: Event, applied: List[Event], loop_names: Set[str]) -> None:
        """One step of DialogueStateTracker.applied_events (Rasa 3.6)."""
        if isinstance(event, (Restarted, SessionStarted)):
            applied.clear()
        elif isinstance(event, ActionReverted):
            self._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            self._undo_till_previous(UserUttered, applied)
            self._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in loop_names
            and not self._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            self._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)

    # --- copies -------------------------------------------------------------------------

    def copy(self) -> DialogueStateTracker:
        """The same state as Rasa's copy (which replays every event into a new tracker, once per
        action run), taken from this tracker's own state instead."""
        if not INCREMENTAL:
            return super().copy()
        clone = ConversationTracker(self.sender_id or DEFAULT_SENDER_ID, None, self._max_event_history,
                                    is_rule_tracker=self.is_rule_tracker)
        clone.slots = type(self.slots)({name: copy.copy(slot) for name, slot in self.slots.items()})
        clone.events = self._create_events(list(self.events))
        clone._paused = self._paused
        clone.followup_action = self.followup_action
        clone.latest_action = copy.copy(self.latest_action)
        clone.latest_message = self.latest_message
        clone.latest_bot_utterance = self.latest_bot_utterance
        clone.active_loop = copy.copy(self.active_loop)
        return clone

    # --- dialogue states --------------------------------------------------------------------

    def past_states(
        self,
        domain: Domain,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: Optional[Dict[str, Any]] = None,
    ) -> List[State]:
        if not INCREMENTAL:
            return super().past_states(domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        # One fold per way of asking; the rule-only data is a new (equal) dict on every call.
        key = (id(domain), omit_unset_slots, ignore_rule_only_turns,
               json.dumps(rule_only_data, sort_keys=True, default=str) if rule_only_data else "")
        applied = self.applied_events()
        fold = self._states_folds.get(key)
        if fold is None or fold.consumed > len(applied) or (
            fold.consumed and applied[fold.consumed - 1] is not fold.last_consumed
        ):
            if len(self._states_folds) >= MAX_STATES_FOLDS:
                self._states_folds.pop(next(iter(self._states_folds)))
            fold = self._states_folds[key] = StatesFold(0, None, self.init_copy(), [])
        for event in applied[fold.consumed:]:
            if isinstance(event, ActionExecuted):
                self._take_state(fold, domain, event.hide_rule_turn, omit_unset_slots,
                                 ignore_rule_only_turns, rule_only_data, fold.states)
            fold.replay.update(event)
        fold.consumed = len(applied)
        fold.last_consumed = applied[-1] if applied else None
        # The current turn's state is taken from a copy of the loop's variables: the next event
        # may still change it, and the featurizer edits the last state it is given.
        window = STATES_WINDOW.get()
        earlier = fold.states[-window:] if window else fold.states
        current = StatesFold(fold.consumed, fold.last_consumed, fold.replay, list(earlier),
                             fold.last_ml_action_sub_state, fold.turn_was_hidden)
        self._take_state(current, domain, False, omit_unset_slots, ignore_rule_only_turns,
                         rule_only_data, current.states, copy_state=True)
        return current.states[-window:] if window else current.states

    @staticmethod
    def _take_state(
        fold: StatesFold,
        domain: Domain,
        hide_rule_turn: bool,
        omit_unset_slots: bool,
        ignore_rule_only_turns: bool,
        rule_only_data: Optional[Dict[str, Any]],
        states: List[State],
        copy_state: bool = False,
    ) -> None:
        """One step of Domain.states_for_tracker_history (Rasa 3.6), for the replayed tracker."""
        tracker = fold.replay
        if ignore_rule_only_turns:
            if not fold.turn_was_hidden:
                fold.last_ml_action_sub_state = domain._get_prev_action_sub_state(tracker)
            if not tracker.followup_action and not tracker.latest_action_name == tracker.active_loop_name:
                fold.turn_was_hidden = hide_rule_turn
            if fold.turn_was_hidden:
                return
        state = domain.get_active_state(tracker, omit_unset_slots=omit_unset_slots)
        if ignore_rule_only_turns:
            domain._remove_rule_only_features(state, rule_only_data)
            if states:
                domain._substitute_rule_only_user_input(state, states[-1])
            if fold.last_ml_action_sub_state:
                state[core_constants.PREVIOUS_ACTION] = cast(SubState, fold.last_ml_action_sub_state)
        cleaned = domain._clean_state(state)
        states.append(copy.deepcopy(cleaned) if copy_state else cleaned)

