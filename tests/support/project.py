"""The project's files as the tests read them."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import List

import yaml

from clinic.paths import PROJECT_ROOT as ROOT

ARTIFACTS = ROOT / "test-artifacts"
SOURCES = ROOT / "knowledge" / "sources"


def tracked_files(*patterns: str) -> List[str]:
    """The files git tracks in the repository (matching `patterns`, if given)."""
    listed = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True)
    return listed.stdout.split()


def source_article_ids() -> set:
    """The numbers ("000", "001", ...) of the source articles the answers may cite."""
    assert SOURCES.is_dir(), f"articles folder not found at {SOURCES}: the source articles belong in the repository"
    return {path.name[:3] for path in SOURCES.glob("[0-9][0-9][0-9]-*.txt")}


def read_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
