"""`make check-topic` on the real project: one FAQ topic, validated, trained and scored against the
held-out gate in process, with a report. Its time is measured and reported, not asserted."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.support.project import ARTIFACTS, ROOT
from tools.nlu_eval import MIN_FAQ_F1, meets

TOPIC = "ask_cost"
SCORES = re.compile(rf"{TOPIC} on the held-out set \(\d+ examples of its own\): "
                    r"precision (\d\.\d\d), recall (\d\.\d\d), F1 (\d\.\d\d)")


def test_make_check_topic_runs_the_module():
    dry_run = subprocess.run(["make", "-n", "check-topic", f"NAME={TOPIC}"], cwd=ROOT, capture_output=True,
                             text=True)
    assert dry_run.returncode == 0 and f"-m tools.check_topic \"{TOPIC}\"" in dry_run.stdout, dry_run.stderr


def test_a_real_topic_passes_with_its_scores_and_report():
    run = subprocess.run([sys.executable, "-m", "tools.check_topic", TOPIC], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    scores = SCORES.search(run.stdout)
    assert scores, run.stdout
    f1 = float(scores.group(3))
    assert f"{TOPIC} F1 {scores.group(3)} ≥ {MIN_FAQ_F1:.2f} passes" in run.stdout
    assert f"report: test-artifacts/check-topic-{TOPIC}.json" in run.stdout
    assert run.stdout.strip().splitlines()[-1].startswith(f"{TOPIC} passes the held-out gate")
    report = json.loads((ARTIFACTS / f"check-topic-{TOPIC}.json").read_text(encoding="utf-8"))
    assert report["passes"] and report["held_out"]["shown"]["f1"] == scores.group(3) and meets(f1, MIN_FAQ_F1)
    assert report["closest_pairs"] and report["training"]["topic_examples"] > 0
