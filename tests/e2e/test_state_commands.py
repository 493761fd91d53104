"""`make clean` never loses a booking; `make reset-state` refuses while requests are undelivered.

Both run for real, through make, on a copy of the project (so the suite's own model and state stay)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from clinic.outbox import Outbox
from tests.support.project import ROOT

# What `make clean` and `make reset-state` need; copied with their timestamps so make sees the
# shared virtual environment as up to date and installs nothing.
NEEDED = ["Makefile", "requirements.txt", "constraints.txt", "requirements-encoder.txt", "tools", "actions", "clinic"]
GENERATED = ["models/config-0.tar.gz", "results/stories/report.json", "test-artifacts/shot.png",
             "widget/dist/clinic-chat.js", "tools/__pycache__/run.cpython-310.pyc", ".pytest_cache/v/x"]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    for name in NEEDED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            copy.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    for name in GENERATED:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes(b"x")
    return copy


def make(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("OUTBOX_DB_URL", "MAKEFLAGS", "MFLAGS")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)


def local_outbox(project: Path) -> Outbox:
    return Outbox(f"sqlite:///{project / 'var' / 'outbox.db'}")


def add_booking(project: Path) -> str:
    outbox = local_outbox(project)
    try:
        return outbox.add("booking", {"name": "Ann Lee", "phone": "+12025550143"})["request_id"]
    finally:
        outbox.engine.dispose()


def pending_ids(project: Path) -> list:
    outbox = local_outbox(project)
    try:
        return [row["request_id"] for row in outbox.requests(status="pending")]
    finally:
        outbox.engine.dispose()


def test_make_clean_removes_what_is_rebuilt_and_keeps_an_undelivered_booking(project):
    request_id = add_booking(project)
    (project / "var" / "tracker.db").write_bytes(b"conversations")
    result = make(project, "clean")
    assert result.returncode == 0, result.stderr
    left = [name for name in GENERATED if (project / name).exists()]
    assert not left, f"make clean left {left}"
    assert pending_ids(project) == [request_id]
    assert (project / "var" / "tracker.db").read_bytes() == b"conversations"


def test_reset_state_refuses_without_force_and_says_how_many(project):
    add_booking(project)
    add_booking(project)
    refused = make(project, "reset-state")
    assert refused.returncode != 0
    assert "2 undelivered booking or call-back request(s)" in refused.stderr, refused.stderr
    assert "FORCE=1" in refused.stderr
    assert len(pending_ids(project)) == 2, "a refused reset deleted requests"

    forced = make(project, "reset-state", "FORCE=1")
    assert forced.returncode == 0, forced.stderr
    assert "2 undelivered" in forced.stdout
    assert not (project / "var" / "outbox.db").exists()


def test_reset_state_goes_ahead_once_everything_is_delivered(project):
    request_id = add_booking(project)
    outbox = local_outbox(project)
    outbox.mark_delivered(request_id)
    outbox.engine.dispose()
    (project / "var" / "logs").mkdir()
    (project / "var" / "logs" / "rasa.log").write_text("log", encoding="utf-8")
    result = make(project, "reset-state")
    assert result.returncode == 0, result.stderr
    assert not any((project / "var").iterdir())


def test_reset_state_keeps_crisis_flags_without_force(project):
    outbox = local_outbox(project)
    outbox.flag("rest:visitor-1", "rest", "crisis")
    outbox.engine.dispose()
    refused = make(project, "reset-state")
    assert refused.returncode != 0 and "1 crisis flag(s)" in refused.stderr, refused.stderr
    assert (project / "var" / "outbox.db").exists()
