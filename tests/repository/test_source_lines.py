"""Source lines fit a side-by-side review: none over 120 characters. Content (training data,
answers in domain.yml, patients' messages, articles) is prose and may run long."""

from __future__ import annotations

from pathlib import PurePosixPath

from tests.support.project import ROOT, tracked_files

MAX_LINE = 120
SOURCE_SUFFIXES = {".py", ".mjs", ".js", ".sh", ".css", ".html"}
SOURCE_NAMES = {"Makefile", "run", "config.yml", "endpoints.yml", "credentials.yml", "docker-compose.yml"}


def is_source(path: str) -> bool:
    pure = PurePosixPath(path)
    return (pure.suffix in SOURCE_SUFFIXES or pure.name in SOURCE_NAMES or pure.parts[0] == "deploy") \
        and pure.parts[0] not in {"data", "knowledge"}


def test_no_source_line_is_longer_than_120_characters():
    sources = [path for path in tracked_files() if is_source(path)]
    assert len(sources) > 100, f"only {len(sources)} source files found: the file selection is wrong"
    long_lines = [f"{path}:{number} ({len(line)} characters)"
                  for path in sources
                  for number, line in enumerate((ROOT / path).read_text(encoding="utf-8").splitlines(), 1)
                  if len(line) > MAX_LINE]
    assert not long_lines, f"lines over {MAX_LINE} characters; wrap them:\n" + "\n".join(long_lines)
