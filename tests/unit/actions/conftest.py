"""What the custom actions need to run in process, as the action server would run them: the
domain as a dict, a dispatcher, trackers built from slots, the latest message and events, and an
outbox in a temporary SQLite database (never var/)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.forms
from clinic.outbox import URL_ENV, Outbox


@pytest.fixture(scope="session")
def domain_dict(domain) -> Dict[str, Any]:
    """domain.yml as the action server hands it to actions: a plain dict (read once a session)."""
    return domain


@pytest.fixture
def new_dispatcher() -> Callable[[], CollectingDispatcher]:
    """Makes a fresh dispatcher, as the action server makes one for each action it runs."""
    return CollectingDispatcher


@pytest.fixture(scope="session")
def make_tracker() -> Callable[..., Tracker]:
    """A rasa_sdk Tracker. With `text` (or `intent`), the latest message is that user message and,
    unless `events` are given, the events hold it as the last user utterance."""

    def build(slots: Optional[Dict[str, Any]] = None, text: Optional[str] = None, intent: Optional[str] = None,
              confidence: float = 1.0, entities: Optional[List[Dict[str, Any]]] = None,
              intent_ranking: Optional[List[Dict[str, Any]]] = None, active_loop: Optional[str] = None,
              events: Optional[List[Dict[str, Any]]] = None, sender_id: str = "patient-1",
              input_channel: Optional[str] = None, latest_action: str = "action_listen") -> Tracker:
        latest: Dict[str, Any] = {}
        if text is not None or intent is not None:
            latest = {"text": text, "intent": {"name": intent, "confidence": confidence} if intent else {},
                      "entities": entities or []}
            if intent_ranking is not None:
                latest["intent_ranking"] = intent_ranking
        if events is None:
            events = [{"event": "user", "text": text, "parse_data": latest, "input_channel": input_channel}] \
                if latest else []
        return Tracker(sender_id, dict(slots or {}), latest, list(events), False, None,
                       {"name": active_loop} if active_loop else {}, latest_action)

    return build


@pytest.fixture(scope="session")
def form_tracker(make_tracker) -> Callable[..., Tracker]:
    """A tracker as Rasa hands it to a form's validation: the candidate for `slot` comes last."""

    def build(slot: str, text: str, intent: str = "nlu_fallback", confidence: float = 0.2,
              slots: Optional[Dict[str, Any]] = None, form: str = "booking_form") -> Tracker:
        tracker = make_tracker({"requested_slot": slot, **(slots or {}), slot: text}, text, intent, confidence,
                               active_loop=form)
        tracker.events.append({"event": "slot", "name": slot, "value": text})
        return tracker

    return build


@dataclass
class Ran:
    """What one run of an action produced."""

    messages: List[Dict[str, Any]]
    events: List[Dict[str, Any]]
    tracker: Tracker = field(repr=False)

    @property
    def responses(self) -> List[Optional[str]]:
        return [m.get("response") for m in self.messages]

    @property
    def slots(self) -> Dict[str, Any]:
        """The slots the events set (the last value of each)."""
        return {e["name"]: e["value"] for e in self.events if e.get("event") == "slot"}

    def next_tracker(self) -> Tracker:
        """The conversation after these events, as the next action would see it."""
        return Tracker(self.tracker.sender_id, {**self.tracker.slots, **self.slots}, self.tracker.latest_message,
                       [*self.tracker.events, *self.events], False, None, self.tracker.active_loop,
                       self.tracker.latest_action_name)


@pytest.fixture
def run_action(domain_dict, new_dispatcher) -> Callable[[Any, Tracker], Ran]:
    """Runs an action (or form validation) as the action server would, with a fresh dispatcher."""

    def run(action: Any, tracker: Tracker) -> Ran:
        dispatcher = new_dispatcher()
        events = asyncio.run(action.run(dispatcher, tracker, domain_dict))
        return Ran(dispatcher.messages, list(events), tracker)

    return run


# What CollectingDispatcher puts in every message; the rest are the response's variables.
MESSAGE_KEYS = {"text", "buttons", "elements", "custom", "template", "response", "image", "attachment"}


@pytest.fixture(scope="session")
def render(domain_dict) -> Callable[[Dict[str, Any]], str]:
    """The text a dispatched response shows, filled from the variables the action sent with it
    (the first variation). Fails if the action left one of the response's variables out."""

    def fill(message: Dict[str, Any]) -> str:
        template = domain_dict["responses"][message["response"]][0]["text"]
        values = {k: v for k, v in message.items() if k not in MESSAGE_KEYS}
        missing = set(re.findall(r"{(\w+)}", template)) - set(values)
        assert not missing, f"{message['response']} is sent without {sorted(missing)}"
        return re.sub(r"{(\w+)}", lambda found: str(values[found.group(1)]), template)

    return fill


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(autouse=True)
def outbox_url(tmp_path, monkeypatch) -> Iterator[str]:
    """Every action test stores requests in its own temporary database: the variable the outbox reads,
    and the action server's outbox, opened again on first use."""
    url = sqlite_url(tmp_path / "outbox.db")
    monkeypatch.setenv(URL_ENV, url)
    monkeypatch.setattr(actions.forms, "_outbox", None)
    yield url
    opened = actions.forms._outbox
    if opened is not None:
        opened.engine.dispose()


@pytest.fixture
def stored(outbox_url) -> Iterator[Outbox]:
    """The test's outbox, to read what the actions stored."""
    store = Outbox(outbox_url)
    yield store
    store.engine.dispose()
