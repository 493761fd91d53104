"""A cap on the messages one conversation may have waiting in this server process.

Rasa answers a conversation's messages one at a time, and a waiting message checks its turn only
once a second; a burst of 100 messages from one sender would queue for minutes, and the ones past
the 60-second lock lifetime would fail. Beyond the cap a message is refused at once (REST 429, a
notice on Socket.IO), so the sender knows it was not taken, and the server keeps its time for
everyone else."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from enum import Enum
from typing import Any, Awaitable, Callable, Dict, Iterator, Optional

from rasa.core.channels.channel import UserMessage

from clinic import logs, metrics
from clinic.replies import log_failure
from components.sentence_encoder import encoded_ahead

logger = logging.getLogger(__name__)

DEFAULT_MAX_PENDING = 5
# The longest message a channel takes from a patient by default (max_message_length in credentials.yml):
# a long personal story fits, a pasted document does not.
DEFAULT_MAX_MESSAGE_LENGTH = 2000
BUSY_TEXT = "You're sending messages faster than I can answer. Please wait for my reply, then send that again."


def input_limits(credentials: Dict[str, Any]) -> Dict[str, int]:
    """The limits every patient-facing channel takes from its credentials.yml section."""
    return {"max_message_length": int(credentials.get("max_message_length", DEFAULT_MAX_MESSAGE_LENGTH)),
            "max_pending": int(credentials.get("max_pending_per_conversation", DEFAULT_MAX_PENDING))}


def with_trace_id(metadata: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """A message's metadata with the trace id of its handling (clinic/logs.py): Rasa keeps it with
    the message and sends it to the action server, which logs it and stores it with a request."""
    return {**(metadata or {}), logs.TRACE_KEY: logs.current_trace_id()}


async def hand_over(on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage) -> None:
    """Hands one message to Rasa, its sentence vectors computed first, off the event loop and
    together with those of other messages waiting (components/sentence_encoder.py)."""
    async with encoded_ahead(message.text):
        await on_new_message(message)


class Outcome(Enum):
    HANDLED = "handled"
    BUSY = "busy"  # refused: too many messages of this conversation waiting
    FAILED = "failed"  # the assistant could not process it; logged, to be answered with an apology


class ConversationGate:
    def __init__(self, max_pending: int = DEFAULT_MAX_PENDING, channel: str = "other") -> None:
        self.max_pending = max_pending
        self.channel = channel  # the metrics' label: every channel hands its messages over here
        self.pending: Dict[str, int] = {}

    @contextmanager
    def admit(self, conversation_id: str) -> Iterator[bool]:
        """Yields whether the message may go ahead; counts it while it is handled."""
        waiting = self.pending.get(conversation_id, 0)
        if waiting >= self.max_pending:
            yield False
            return
        self.pending[conversation_id] = waiting + 1
        try:
            yield True
        finally:
            left = self.pending[conversation_id] - 1
            if left:
                self.pending[conversation_id] = left
            else:
                del self.pending[conversation_id]

    async def handle(self, conversation_id: str, run: Callable[[], Awaitable[Any]], what: str) -> Outcome:
        """Runs `run` (handing one message to Rasa) if the conversation has room. A failure is
        logged in one line without user text; every channel then answers the patient its own way.
        Counted by channel and outcome, with the time to the reply (clinic/metrics.py). The message
        gets a trace id for the logs, which `run` puts in its metadata (`with_trace_id`)."""
        started = metrics.timer()
        with logs.traced(logs.new_trace_id()):
            outcome = await self._handle(conversation_id, run, what)
        metrics.message_handled(self.channel, outcome.value, metrics.timer() - started)
        return outcome

    async def _handle(self, conversation_id: str, run: Callable[[], Awaitable[Any]], what: str) -> Outcome:
        with self.admit(conversation_id) as admitted:
            if not admitted:
                return Outcome.BUSY
            try:
                await run()
            except Exception as error:  # noqa: BLE001 (the patient gets an answer whatever failed)
                log_failure(logger, what, conversation_id, error)
                return Outcome.FAILED
        return Outcome.HANDLED
