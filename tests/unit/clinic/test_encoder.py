"""The sentence encoder's files are checked before use, and it gives the official model's vectors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from clinic.encoder import (DIMENSIONS, ENCODER_DIR_VARIABLE, ENCODER_SHA256, EncoderFilesError,
                            default_encoder_dir, encoder_dir, shared_encoder, verify_encoder_files)
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
    ("plain text", "plain text"),
    (None, ""),
])
def test_meaning_text_spells_out_emoji(text, expected):
    assert meaning_text(text) == expected
