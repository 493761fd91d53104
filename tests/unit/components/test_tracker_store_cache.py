"""The tracker store's in-process cache (components/tracker_store.py), on real SQLite files: two
stores sharing one database (two servers) see each other's events, a tracker changed but not saved
is read again in full, a new session is read as Rasa reads it, and the cache stays bounded."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

from components.conversation_tracker import ConversationTracker
from components.tracker_store import ClinicTrackerStore, recent_conversations_setting
from tests.support.project import ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def run(coroutine):
    return asyncio.run(coroutine)


def turn(tracker, text: str) -> None:
    tracker.update(UserUttered(text, {"name": "ask_cost", "confidence": 1.0}))
    tracker.update(ActionExecuted("utter_ask_cost"))
    tracker.update(BotUttered(f"answer to {text}"))
    tracker.update(ActionExecuted("action_listen"))


def texts(tracker) -> list:
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


def new_conversation(store: ClinicTrackerStore, sender: str):
    return run(store.get_or_create_tracker(sender))


def test_two_servers_sharing_a_database_see_each_others_turns(tmp_path: Path, domain):
    first = ClinicTrackerStore(domain=domain, db=str(tmp_path / "t.db"))
    second = ClinicTrackerStore(domain=domain, db=str(tmp_path / "t.db"))
    tracker = new_conversation(first, "shared")
    assert isinstance(tracker, ConversationTracker)
    for n in range(6):
        store = first if n % 2 == 0 else second
        tracker = run(store.retrieve("shared"))
        turn(tracker, f"message {n}")
        run(store.save(tracker))
    for store in (first, second):
        assert texts(run(store.retrieve("shared"))) == [f"message {n}" for n in range(6)]
    # Both stores hold the conversation in process, and the database holds every event once.
    assert len(first.recent) == len(second.recent) == 1
    fresh = ClinicTrackerStore(domain=domain, db=str(tmp_path / "t.db"))
    assert [e.as_dict() for e in run(fresh.retrieve("shared")).events] == \
           [e.as_dict() for e in run(first.retrieve("shared")).events]


def test_a_tracker_changed_but_not_saved_is_read_again(tmp_path: Path, domain):
    store = ClinicTrackerStore(domain=domain, db=str(tmp_path / "t.db"))
    tracker = new_conversation(store, "failed")
    turn(tracker, "kept")
    run(store.save(tracker))
    tracker = run(store.retrieve("failed"))
    turn(tracker, "lost with a failed message")  # processing failed before the save
    again = run(store.retrieve("failed"))
    assert texts(again) == ["kept"]
    assert again is not tracker


def test_a_new_session_is_read_as_rasa_reads_it(tmp_path: Path, domain):
    store = ClinicTrackerStore(domain=domain, db=str(tmp_path / "t.db"))
    tracker = new_conversation(store, "sessions")
    turn(tracker, "first session")
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(SlotSet("full_name", "Ann Smith"))
    tracker.update(ActionExecuted("action_listen"))
    turn(tracker, "second session")
    run(store.save(tracker))
    assert texts(run(store.retrieve("sessions"))) == ["second session"]
    assert run(store.retrieve("sessions")).get_slot("full_name") == "Ann Smith"


def test_the_cache_is_bounded_and_the_database_keeps_everything(tmp_path: Path, domain, monkeypatch):
    monkeypatch.setenv("RECENT_CONVERSATIONS", "3")
    store = ClinicTrackerStore(domain=domain, db=str(tmp_path / "t.db"))
    for n in range(10):
        tracker = new_conversation(store, f"c{n}")
        turn(tracker, f"hello {n}")
        run(store.save(tracker))
    assert len(store.recent) == 3
    assert texts(run(store.retrieve("c0"))) == ["hello 0"]


@pytest.mark.parametrize("raw, expected", [("", 200), ("0", 0), ("250", 250)])
def test_the_cache_size_setting(raw, expected):
    assert recent_conversations_setting({"RECENT_CONVERSATIONS": raw}) == expected


def test_a_malformed_cache_size_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="RECENT_CONVERSATIONS must be a whole number"):
        recent_conversations_setting({"RECENT_CONVERSATIONS": "lots"})


def test_a_new_conversation_is_kept_after_its_first_save_as_rasa_would_read_it(tmp_path: Path, domain, monkeypatch):
    store = ClinicTrackerStore(domain=domain, db=str(tmp_path / "t.db"))
    tracker = store.init_tracker("new")
    # What Rasa's processor writes first: its session start, then the first message.
    for event in (ActionExecuted("action_session_start"), SessionStarted(), SlotSet("clinic_name", "Demo"),
                  ActionExecuted("action_listen")):
        tracker.update(event)
    turn(tracker, "first message")
    run(store.save(tracker))
    # The second message needs no full read: only events newer than the kept ones are asked for.
    monkeypatch.setattr(store, "_event_query", lambda *a, **k: pytest.fail("read the whole conversation again"))
    kept = run(store.retrieve("new"))
    monkeypatch.undo()
    fresh = run(ClinicTrackerStore(domain=domain, db=str(tmp_path / "t.db")).retrieve("new"))
    assert [e.as_dict() for e in kept.events] == [e.as_dict() for e in fresh.events]
    assert isinstance(kept.events[0], SessionStarted) and kept.get_slot("clinic_name") == "Demo"
    assert texts(kept) == ["first message"]
    # And the conversation goes on from there.
    turn(kept, "second message")
    run(store.save(kept))
    assert texts(run(ClinicTrackerStore(domain=domain, db=str(tmp_path / "t.db")).retrieve("new"))) == \
           ["first message", "second message"]
