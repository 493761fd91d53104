"""Every channel hands a message to Rasa with its sentence vectors ready, and forgets them after."""

from __future__ import annotations

import asyncio
from typing import List

import numpy as np
import pytest

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from channels.gate import hand_over
from clinic.encoder import AHEAD, DIMENSIONS
from components.sentence_encoder import encoder_inputs


class VectorsOfLength:
    def encode(self, texts: List[str]) -> np.ndarray:
        return np.array([[float(len(text))] * DIMENSIONS for text in texts], dtype=np.float32)


def test_the_message_is_handed_over_with_its_vectors_ready(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(AHEAD, "encoder", VectorsOfLength())
    message = UserMessage("ok, how much is it? and does insurance cover it?", CollectingOutputChannel(), "patient")
    seen = []

    async def on_new_message(received: UserMessage) -> None:
        seen.append((received, [AHEAD.ready(text) is not None for text in encoder_inputs(received.text)]))

    asyncio.run(hand_over(on_new_message, message))
    assert seen == [(message, [True, True, True])]  # the whole message and each of its two questions
    assert [AHEAD.ready(text) for text in encoder_inputs(message.text)] == [None, None, None]


def test_a_payload_is_handed_over_without_encoding(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(AHEAD, "encoder", VectorsOfLength())
    received = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message.text)

    asyncio.run(hand_over(on_new_message, UserMessage("/ask_cost", CollectingOutputChannel(), "patient")))
    assert received == ["/ask_cost"] and encoder_inputs("/ask_cost") == []
