"""Served messages are encoded ahead, on the encoder's thread, the messages waiting together; the
featurizer reads those vectors and encodes only what it does not find."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import List, Sequence

import numpy as np
import pytest

from clinic.encoder import DIMENSIONS, EncodingAhead, shared_encoder


class CountingEncoder:
    """A stand-in encoder: each text's vector says its length; the first call waits until released,
    so that other messages queue up behind it meanwhile."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: List[List[str]] = []
        self.release = threading.Event()
        self.fail = fail

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not self.calls:
            self.release.wait(5)
        self.calls.append(list(texts))
        if self.fail:
            raise RuntimeError("encoder broke")
        return np.array([[float(len(text))] * DIMENSIONS for text in texts], dtype=np.float32)


def test_messages_waiting_together_are_encoded_in_one_call_and_forgotten_after():
    ahead, encoder = EncodingAhead(), CountingEncoder()
    ahead.serve(encoder)  # type: ignore[arg-type]
    seen = {}

    async def message(texts: List[str]) -> None:
        async with ahead.encoded(texts):
            seen[texts[0]] = [ahead.ready(text)[0] for text in texts]
            await asyncio.sleep(0.01)

    async def run() -> None:
        first = asyncio.create_task(message(["first"]))
        await asyncio.sleep(0.05)  # the first is being encoded; the others queue behind it
        rest = [asyncio.create_task(message([f"message {n}", "part"])) for n in range(6)]
        await asyncio.sleep(0.05)
        encoder.release.set()
        await asyncio.gather(first, *rest)

    asyncio.run(run())
    assert encoder.calls[0] == ["first"]
    assert len(encoder.calls) == 2 and len(encoder.calls[1]) == 12
    assert seen["first"] == [5.0] and seen["message 3"] == [9.0, 4.0]
    assert ahead.ready("first") is None and ahead.ready("part") is None  # nothing kept after


def test_a_text_two_messages_hold_stays_until_both_are_handled():
    ahead, encoder = EncodingAhead(), CountingEncoder()
    encoder.release.set()
    ahead.serve(encoder)  # type: ignore[arg-type]

    async def run() -> None:
        async with ahead.encoded(["yes"]):
            async with ahead.encoded(["yes"]):
                assert ahead.ready("yes") is not None
            assert ahead.ready("yes") is not None
        assert ahead.ready("yes") is None

    asyncio.run(run())


def test_a_failure_or_no_encoder_leaves_the_message_to_be_encoded_when_read(caplog: pytest.LogCaptureFixture):
    broken = EncodingAhead()
    encoder = CountingEncoder(fail=True)
    encoder.release.set()
    broken.serve(encoder)  # type: ignore[arg-type]
    idle = EncodingAhead()
    handled = []

    async def run(ahead: EncodingAhead) -> None:
        async with ahead.encoded(["how much is it"]):
            handled.append(ahead.ready("how much is it"))

    with caplog.at_level(logging.WARNING):
        asyncio.run(run(broken))
        asyncio.run(run(idle))
    assert handled == [None, None]
    assert "encoding a message ahead failed (RuntimeError)" in caplog.text
    assert encoder.calls == [["how much is it"]]


def test_the_featurizer_takes_vectors_encoded_ahead_and_encodes_the_rest(monkeypatch: pytest.MonkeyPatch):
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    from clinic.encoder import AHEAD
    from components.sentence_encoder import QUESTION_PARTS, SentenceEncoderFeaturizer, encoded_ahead

    featurizer = SentenceEncoderFeaturizer(SentenceEncoderFeaturizer.get_default_config(), "encoder")
    encoded: List[List[str]] = []
    real = shared_encoder().encode
    monkeypatch.setattr(featurizer.encoder, "encode", lambda texts: encoded.append(list(texts)) or real(texts))
    text = "ok, how much is it? and does insurance cover it?"

    async def read_ahead() -> List[Message]:
        async with encoded_ahead(text):
            encoded.clear()  # what the featurizer itself encodes from here on
            return featurizer.process([Message({TEXT: text}), Message({TEXT: "is it safe"}), Message({TEXT: "/greet"})])

    ahead_read, safe, payload = asyncio.run(read_ahead())
    assert encoded == [["is it safe"]]  # only the message not handed over ahead
    alone = featurizer.process([Message({TEXT: text})])[0]
    assert AHEAD.ready("how much is it?") is None
    _, ahead_vector = ahead_read.get_dense_features(TEXT)
    _, alone_vector = alone.get_dense_features(TEXT)
    assert np.abs(ahead_vector.features - alone_vector.features).max() < 1e-5
    assert [part for part, _ in ahead_read.get(QUESTION_PARTS)] == [part for part, _ in alone.get(QUESTION_PARTS)]
    assert len(ahead_read.get(QUESTION_PARTS)) == 2
    for (_, ahead_part), (_, alone_part) in zip(ahead_read.get(QUESTION_PARTS), alone.get(QUESTION_PARTS)):
        assert np.abs(ahead_part - alone_part).max() < 1e-5
    assert not payload.get_dense_features(TEXT)[1].features.any()


def test_a_message_given_up_on_is_skipped_and_the_encoder_keeps_serving(monkeypatch: pytest.MonkeyPatch,
                                                                       caplog: pytest.LogCaptureFixture):
    import clinic.encoder

    monkeypatch.setattr(clinic.encoder, "AHEAD_TIMEOUT", 0.05)
    ahead, encoder = EncodingAhead(), CountingEncoder()
    ahead.serve(encoder)  # type: ignore[arg-type]
    found = []

    async def message(text: str) -> None:
        async with ahead.encoded([text]):
            found.append((text, ahead.ready(text) is not None))

    async def run() -> None:
        # The first call waits (the encoder is busy): the first message gives up after 50 ms, and the
        # second, queued behind it, too; both go on without vectors, and neither is lost.
        await asyncio.gather(message("first"), message("second"))
        encoder.release.set()
        await message("third")

    with caplog.at_level(logging.WARNING):
        asyncio.run(run())
    assert sorted(found) == [("first", False), ("second", False), ("third", True)]
    assert "encoding a message ahead failed (TimeoutError)" in caplog.text
    assert ["second"] not in encoder.calls  # given up on before the worker took it: never encoded
