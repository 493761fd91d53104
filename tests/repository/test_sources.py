"""The source articles live in the repository, unedited, and the project reads nothing outside it."""

from __future__ import annotations

import hashlib
import re

from tests.support.project import ROOT, SOURCES, articles_problem, source_article_ids, tracked_files

TABLE_ROW = re.compile(r"^\| (\d{3}) \| `([^`]+)` \| .+ \| `([0-9a-f]{64})` \|$")
# Ways a file could reach past the repository root: a parent of ROOT, or the old shared folder.
OUTSIDE_REFERENCES = re.compile(r"ROOT\.parent|parent\.parent\.parent|\.\./shared|/work/|shared/seeds")
CHECKED_SUFFIXES = {".py", ".sh", ".yml", ".yaml", ".mjs", ".js", ".md", ".cfg", ".toml", ".txt", ".json"}
CHECKED_NAMES = {"Makefile", "run"}


def listed_sources() -> dict:
    rows = [TABLE_ROW.match(line) for line in (SOURCES / "README.md").read_text(encoding="utf-8").splitlines()]
    return {row.group(1): (row.group(2), row.group(3)) for row in rows if row}


def test_the_articles_are_in_the_repository():
    """The one failure when the articles are missing: the tests that read them are skipped then."""
    problem = articles_problem()
    assert problem is None, problem


def test_every_article_is_listed_with_its_checksum():
    article_ids = source_article_ids()  # skipped without the articles (reported above)
    listed = listed_sources()
    assert set(listed) == article_ids and listed, (
        f"knowledge/sources/README.md: list every article file with its number and SHA-256; "
        f"listed {sorted(listed)}, files {sorted(article_ids)}"
    )
    for number, (name, checksum) in listed.items():
        path = SOURCES / name
        assert path.name.startswith(number + "-") and path.is_file(), f"knowledge/sources/{name}: file not found"
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        assert actual == checksum, (
            f"knowledge/sources/{name} changed (SHA-256 {actual}): articles are kept unedited; if the "
            f"change is deliberate, put the new checksum in knowledge/sources/README.md"
        )


def test_no_tracked_file_reads_outside_the_repository():
    tracked = tracked_files()
    assert tracked, "git ls-files listed nothing: run the tests from a clone of the repository"
    offenders = []
    for name in tracked:
        path = ROOT / name
        if name == "tests/repository/test_sources.py" or (
                path.suffix not in CHECKED_SUFFIXES and path.name not in CHECKED_NAMES):
            continue
        if name.startswith("knowledge/sources/") or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            if OUTSIDE_REFERENCES.search(line):
                offenders.append(f"{name}, line {number}: {line.strip()[:100]}")
    assert not offenders, "these lines point outside the repository; keep what they need inside it:\n" + "\n".join(
        offenders)
