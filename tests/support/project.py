"""The project's files as the tests read them."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import List, Optional

import pytest
import yaml

from clinic.paths import PROJECT_ROOT as ROOT
from tools import topics

ARTIFACTS = ROOT / "test-artifacts"
SOURCES = ROOT / topics.ARTICLES_DIR


def tracked_files(*patterns: str) -> List[str]:
    """The files git tracks in the repository (matching `patterns`, if given)."""
    listed = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True)
    return listed.stdout.split()


def articles_problem() -> Optional[str]:
    """Why the source articles cannot be read, or None (tools/topics.articles_problem)."""
    problem = topics.articles_problem(ROOT)
    return f"{problem}, then run the tests again" if problem else None


def source_article_ids() -> set:
    """The numbers ("000", "001", ...) of the source articles the answers may cite. Without the
    articles the calling test is skipped: test_sources.py fails once, saying so, rather than every
    check of an answer's sources blaming the answers."""
    problem = articles_problem()
    if problem:
        pytest.skip(f"{problem} (reported by tests/repository/test_sources.py)")
    return topics.article_ids(ROOT)


def read_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
