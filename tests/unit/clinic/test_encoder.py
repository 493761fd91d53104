"""The sentence encoder's files are checked before use, and it gives the official model's vectors."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import List

import numpy as np
import pytest

from clinic.encoder import (DIMENSIONS, ENCODER_DIR_VARIABLE, ENCODER_REVISION, ENCODER_SHA256, VECTOR_CACHE_VARIABLE,
                            EncoderFilesError, default_encoder_dir, encode_remembered, encoder_dir, read_vectors,
                            shared_encoder, text_key, vector_cache_path, verify_encoder_files)
from clinic.text import meaning_text


def test_the_installed_files_are_the_official_release():
    verify_encoder_files(default_encoder_dir())


def test_a_missing_or_altered_file_is_refused_with_what_to_do(tmp_path: Path):
    for name in ENCODER_SHA256:
        shutil.copy(default_encoder_dir() / name, tmp_path / name)
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    (tmp_path / "tokenizer.json").unlink()
    with pytest.raises(EncoderFilesError) as refused:
        verify_encoder_files(tmp_path)
    message = str(refused.value)
    assert "tokenizer.json is missing" in message and "config.json has SHA-256" in message
    assert "model.safetensors" not in message.split(": ", 1)[1].split(". Run")[0]
    assert "make install" in message and ENCODER_DIR_VARIABLE in message


def test_the_setting_points_at_another_copy(monkeypatch, tmp_path: Path):
    monkeypatch.setenv(ENCODER_DIR_VARIABLE, str(tmp_path))
    assert encoder_dir() == tmp_path
    monkeypatch.setenv(ENCODER_DIR_VARIABLE, " ")
    assert encoder_dir() == default_encoder_dir()


def test_a_vector_does_not_depend_on_the_messages_encoded_with_it():
    """Padding a short message to a long batch-mate's length is masked out of its vector."""
    encoder = shared_encoder()
    short = "how much is it"
    [alone] = encoder.encode([short])
    together = encoder.encode([short, " ".join(["a long story about years of depression"] * 8)])[0]
    assert np.abs(alone - together).max() < 1e-5


def test_vectors_are_the_models_own():
    """The first values of the sentence-transformers documentation's example, mean-pooled and
    normalised as the model was trained; similar questions come out closer than unrelated ones."""
    encoder = shared_encoder()
    example, price, weather, empty = encoder.encode(
        ["This is an example sentence", "how much does one infusion cost", "what's the weather tomorrow", ""])[:, :]
    assert np.allclose(encoder.encode(["This is an example sentence"])[0, :5],
                       [0.0676569, 0.0634959, 0.0487131, 0.0793049, 0.0374480], atol=1e-4)
    question = encoder.encode(["what is the price of a session"])[0]
    assert question @ price > 0.3 > 0.1 > question @ weather
    assert example.shape == (DIMENSIONS,) and abs(np.linalg.norm(price) - 1) < 1e-5 and np.isfinite(empty).all()
    assert encoder.encode([]).shape == (0, DIMENSIONS)


def test_a_batch_gives_each_text_the_vector_it_gets_alone():
    encoder = shared_encoder()
    texts = ["short", "a much longer message about ketamine infusions and what they cost " * 3, "hi"]
    together = encoder.encode(texts)
    assert np.allclose(together, np.vstack([encoder.encode([t]) for t in texts]), atol=1e-5)


@pytest.mark.parametrize("text, expected", [
    ("ins cover?? 🙏", "ins cover?? person with folded hands"),
    ("$ per drip?? 💸", "$ per drip?? money with wings"),
    ("👍🏽 thanks", "thumbs up sign thanks"),
    ("chcę umrzeć", "chcę umrzeć"),
    # A flag, however many, is a flag; a squared letter is its letter.
    ("medicare 🇦🇺 ✅ or ❌", "medicare flag white heavy check mark or cross mark"),
    ("🇺🇸🇬🇧 ok?", "flag ok?"),
    ("parking 🚗🅿️?", "parking automobile p ?"),
    ("plain text", "plain text"),
    (None, ""),
])
def test_meaning_text_spells_out_emoji(text, expected):
    assert meaning_text(text) == expected


class CountingEncoder:
    """Stands in for the encoder: a vector per text from its length, and the texts it was asked for."""

    def __init__(self) -> None:
        self.asked: List[str] = []

    def encode(self, texts):
        self.asked.extend(texts)
        return np.array([np.full(DIMENSIONS, len(text), dtype=np.float32) for text in texts]).reshape(-1, DIMENSIONS)


def test_training_vectors_are_read_back_and_only_new_texts_encoded(tmp_path: Path):
    cache, encoder = tmp_path / "vectors.npz", CountingEncoder()
    first = encode_remembered(encoder, ["ab", "abc", "ab"], cache)
    assert encoder.asked == ["ab", "abc"] and first[:, 0].tolist() == [2, 3, 2]
    second = encode_remembered(encoder, ["abcd", "abc"], cache)
    assert encoder.asked == ["ab", "abc", "abcd"] and second[:, 0].tolist() == [4, 3]
    assert encode_remembered(encoder, ["ab"], None)[0, 0] == 2 and encoder.asked[-1] == "ab"


def test_a_damaged_vector_file_is_encoded_afresh_and_rewritten(tmp_path: Path):
    cache, encoder = tmp_path / "vectors.npz", CountingEncoder()
    cache.write_bytes(b"not a numpy file")
    assert encode_remembered(encoder, ["hello"], cache)[0, 0] == 5 and encoder.asked == ["hello"]
    assert list(read_vectors(cache)) == [text_key("hello")]


def test_vectors_that_cannot_be_kept_are_still_given(tmp_path: Path):
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    encoder = CountingEncoder()
    assert encode_remembered(encoder, ["hello"], blocked / "vectors.npz")[0, 0] == 5
    assert encoder.asked == ["hello"] and list(tmp_path.iterdir()) == [blocked]


def test_the_kept_vectors_stop_at_the_limit_keeping_the_latest_training(monkeypatch, tmp_path: Path):
    monkeypatch.setattr("clinic.encoder.VECTOR_CACHE_LIMIT", 3)
    cache, encoder = tmp_path / "vectors.npz", CountingEncoder()
    encode_remembered(encoder, ["a", "bb"], cache)
    encode_remembered(encoder, ["ccc"], cache)
    encode_remembered(encoder, ["dddd", "eeeee"], cache)
    assert set(read_vectors(cache)) == {text_key("dddd"), text_key("eeeee"), text_key("ccc")}


def test_the_vector_file_is_named_after_the_encoder_and_can_be_switched_off(monkeypatch, tmp_path: Path):
    monkeypatch.delenv(VECTOR_CACHE_VARIABLE, raising=False)
    assert ENCODER_REVISION[:12] in vector_cache_path().name
    monkeypatch.setenv(VECTOR_CACHE_VARIABLE, "")
    assert vector_cache_path() is None
    monkeypatch.setenv(VECTOR_CACHE_VARIABLE, str(tmp_path / "v.npz"))
    assert vector_cache_path() == tmp_path / "v.npz"
