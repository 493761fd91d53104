"""The model's graph run in a kept order (rasa_patches.run_in_order) reads every message and
chooses every next action exactly as Rasa's dask run of the same graph does."""

from __future__ import annotations

import asyncio
import copy
import logging
from pathlib import Path
from typing import Any, List

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from rasa_patches import run_in_order
from tests.support.project import ROOT
from tools.score_round import load_round

DASK_RUN = getattr(DaskGraphRunner.run, "replaced", DaskGraphRunner.run)
CONVERSATIONS = [
    ["hi", "how long does an infusion take?", "and how many of those would I need?", "what about the cost",
     "i'd like to book a consultation", "Dana Lee", "415-555-0199", "are you a bot?", "next tuesday afternoon",
     "depression", "skip", "yes", "/affirm", "what's my reference again?", "thanks"],
    ["help", "I'm safe, I have a question", "is it safe for teens", "can I talk to a person", "Sam", "/deny",
     "I want to die", "whats the crisis line number", "menu", "idk"],
]


def parsed(runner: Any, run: Any, text: str, tracker: DialogueStateTracker, target: str) -> dict:
    message = UserMessage(text, CollectingOutputChannel(), tracker.sender_id, message_id="compared")
    result = run(runner, {"__message__": [message], "__tracker__": copy.deepcopy(tracker)}, [target])
    [understood] = result[target]
    assert isinstance(understood, Message)
    return understood.as_dict(only_output_properties=True)  # what Rasa keeps of a reading


def prediction(runner: Any, run: Any, tracker: DialogueStateTracker, target: str) -> tuple:
    result = run(runner, {"__tracker__": copy.deepcopy(tracker)}, [target])[target]
    return (result.policy_name, list(result.probabilities), result.events, result.optional_events,
            result.is_end_to_end_prediction)


def test_every_reading_and_every_next_action_is_dasks(model_path: Path):
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model_path))
    processor = agent.processor
    runner = processor.graph_runner
    nlu, core = processor.model_metadata.nlu_target, processor.model_metadata.core_target
    empty = DialogueStateTracker.from_events("reading", [])
    round_messages = [m.text for m in load_round(ROOT / "tests" / "rounds" / "round-o.yml")][:120]
    for text in round_messages:
        assert parsed(runner, run_in_order, text, empty, nlu) == parsed(runner, DASK_RUN, text, empty, nlu), text

    compared: List[str] = []

    async def converse() -> None:
        for number, conversation in enumerate(CONVERSATIONS):
            sender = f"conversation-{number}"
            for text in conversation:
                tracker = await processor.fetch_tracker_and_update_session(sender)
                assert parsed(runner, run_in_order, text, tracker, nlu) == parsed(runner, DASK_RUN, text, tracker, nlu)
                await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender))
                tracker = await processor.get_tracker(sender)
                assert prediction(runner, run_in_order, tracker, core) == prediction(runner, DASK_RUN, tracker, core)
                compared.append(text)

    asyncio.run(converse())
    assert len(compared) == sum(len(c) for c in CONVERSATIONS)
