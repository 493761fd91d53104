"""`make review` on real conversations: messages fed through a fresh assistant are found in its
conversation store exactly as expected, grouped, newest first, with numbers and addresses masked."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest
import yaml

from tests.support.chat import say
from tests.support.project import ROOT
from tools.review import Finding, findings, mask, nlu_candidates

FALLBACK = "the second"
OUT_OF_SCOPE = "can you recommend a good plumber near me"
NOT_COVERED = "is this treatment even legal where i live"
CRISIS = "i want to end my life, call me on 202-555-0199 or mail ann@example.org"


@pytest.fixture(scope="module")
def reviewed(model_path, tmp_path_factory):
    from tools.servers import running_assistant

    workdir = tmp_path_factory.mktemp("review")
    with running_assistant(model_path, workdir) as assistant:
        first, second, third = (f"review-{uuid.uuid4().hex[:6]}" for _ in range(3))
        for conversation, message in [
            (first, "how much does it cost?"),          # understood: not listed
            (first, FALLBACK),
            (first, "/ask_insurance"),                  # a button: not listed, but the topic picked
            (second, FALLBACK),                         # same words: counted twice
            (second, "i'd like to book a consultation"),
            (second, "Ann Review"),                     # an answer to the form: not listed
            (second, "cancel"),
            (first, OUT_OF_SCOPE),
            (first, NOT_COVERED),
            (third, CRISIS),
        ]:
            say(assistant, conversation, message)
            time.sleep(0.01)
        export = workdir / "candidates.yml"
        run = subprocess.run([sys.executable, "-m", "tools.review", "--endpoints", str(workdir / "endpoints.yml"),
                              "--export", str(export)], cwd=ROOT, capture_output=True, text=True, check=True)
        yield run.stdout, export, (first, second, third)


def test_review_lists_exactly_the_messages_not_understood_newest_first(reviewed):
    output, _, (first, second, third) = reviewed
    entries = [line for line in output.splitlines() if line.startswith("[")]
    texts = [line.strip() for line in output.splitlines() if line.startswith("    ")]
    assert texts == [mask(CRISIS), NOT_COVERED, OUT_OF_SCOPE, f"{FALLBACK}   -> picked: ask_insurance"], output
    assert entries[0].startswith("[crisis] x1") and third in entries[0]
    assert entries[1].startswith("[not covered] x1") and entries[2].startswith("[out of scope] x1")
    assert entries[3].startswith("[fallback] x2") and "(+1 more)" in entries[3]
    assert "202-555-0199" not in output and "ann@example.org" not in output and "Ann Review" not in output


def test_review_exports_nlu_candidates_staff_can_label(reviewed):
    _, export, _ = reviewed
    document = yaml.safe_load(export.read_text())
    examples = {block["intent"]: [line[2:] for line in block["examples"].splitlines()] for block in document["nlu"]}
    # The fallback's suggestion the patient picked labels it.
    assert examples == {"review_crisis": [mask(CRISIS)], "ask_insurance": [FALLBACK],
                        "review_not_covered": [NOT_COVERED], "review_out_of_scope": [OUT_OF_SCOPE]}


@pytest.mark.parametrize("text, masked", [
    ("call me at 202-555-0143 please", "call me at [phone] please"),
    ("my number is (202) 555 0143", "my number is [phone]"),
    ("+1 202 555 0143", "[phone]"),
    ("write to ann.smith+x@example.org", "write to [email]"),
    ("in 2024 I had 3 sessions of 40-90 minutes", "in 2024 I had 3 sessions of 40-90 minutes"),
])
def test_masking(text, masked):
    assert mask(text) == masked


def test_candidates_are_valid_yaml_whatever_the_text():
    hostile = Finding("fallback", 'quotes " and \' and: colons # hash - dash\nnew line', "nlu_fallback", 1, 1.0, ["x"])
    document = yaml.safe_load(nlu_candidates([hostile]))
    assert document["nlu"][0]["examples"] == "- quotes \" and ' and: colons # hash - dash new line\n"


def test_tracker_store_url_follows_the_environment(monkeypatch, tmp_path):
    from tools.tracker_db import tracker_db_url

    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text('tracker_store:\n  type: components.tracker_store.ClinicTrackerStore\n  db: "x.db"\n')
    monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    assert str(tracker_db_url(endpoints)).endswith("/x.db")
    monkeypatch.setenv("TRACKER_STORE_URL", "postgresql://u:p@db:5432/clinic")
    assert tracker_db_url(endpoints) == "postgresql://u:p@db:5432/clinic"


def test_findings_skip_form_answers_but_keep_a_crisis_inside_a_form():
    import json

    def user(text, intent, confidence=0.9):
        return json.dumps({"event": "user", "text": text,
                           "parse_data": {"intent": {"name": intent, "confidence": confidence}}})

    rows = [("a", 1.0, json.dumps({"event": "active_loop", "name": "booking_form"})),
            ("a", 2.0, user("Ann Smith", "greet", 0.2)),
            ("a", 3.0, user("i want to die", "crisis", 1.0)),
            ("a", 4.0, json.dumps({"event": "active_loop", "name": None})),
            ("a", 5.0, user("hmm", "nlu_fallback", 0.2))]
    assert [(f.reason, f.text) for f in findings(rows)] == [("fallback", "hmm"), ("crisis", "i want to die")]


def test_a_topic_picked_after_a_fallback_labels_the_message():
    import json

    def user(text, intent, confidence=0.9):
        return json.dumps({"event": "user", "text": text,
                           "parse_data": {"intent": {"name": intent, "confidence": confidence}}})

    rows = [("a", 1.0, user("wat about fees", "nlu_fallback", 0.2)), ("a", 2.0, user("/ask_cost", "ask_cost", 1.0)),
            ("b", 3.0, user("hmm ok", "nlu_fallback", 0.2)),
            ("b", 4.0, user("how long is it", "ask_infusion_duration")),
            ("b", 5.0, user("/ask_cost", "ask_cost", 1.0))]
    chosen = {f.text: f.chosen for f in findings(rows)}
    assert chosen == {"wat about fees": "ask_cost", "hmm ok": None}
