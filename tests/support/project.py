"""The project's files as the tests read them."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import List, Optional

import pytest
import yaml

from clinic.paths import PROJECT_ROOT as ROOT

ARTIFACTS = ROOT / "test-artifacts"
SOURCES = ROOT / "knowledge" / "sources"
ARTICLE_FILES = "[0-9][0-9][0-9]-*.txt"


def tracked_files(*patterns: str) -> List[str]:
    """The files git tracks in the repository (matching `patterns`, if given)."""
    listed = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True)
    return listed.stdout.split()


def articles_problem() -> Optional[str]:
    """Why the source articles cannot be read (the folder or its articles are missing), or None."""
    restore = ("the source articles (NNN-title.txt, listed with their checksums in README.md) belong in the "
               "repository; restore the folder from it (git checkout -- knowledge/sources), then run the tests again")
    if not SOURCES.is_dir():
        return f"articles folder not found at {SOURCES}: {restore}"
    if not any(SOURCES.glob(ARTICLE_FILES)):
        return f"no articles (NNN-title.txt) in the articles folder {SOURCES}: {restore}"
    return None


def source_article_ids() -> set:
    """The numbers ("000", "001", ...) of the source articles the answers may cite. Without the
    articles the calling test is skipped: test_sources.py fails once, saying so, rather than every
    check of an answer's sources blaming the answers."""
    problem = articles_problem()
    if problem:
        pytest.skip(f"{problem} (reported by tests/repository/test_sources.py)")
    return {path.name[:3] for path in SOURCES.glob(ARTICLE_FILES)}


def read_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
