"""The website chat widget in Debian's Chromium, driven by playwright-core (tests/browser/), against
the real servers and the demo page. Screenshots and the axe-core report go to test-artifacts/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from clinic.outbox import Outbox
from tests.support.chat import opening
from tests.support.project import ROOT

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
# Answers the browser test waits for, by their first words as the domain has them now.
ANSWERS_WAITED_FOR = ("utter_ask_what_is_ketamine", "utter_ask_safety")


def test_widget_in_a_real_browser(assistant, demo_page, domain):
    if not shutil.which("node") or not os.path.exists(CHROMIUM):
        pytest.fail("the browser tests need Node.js and Chromium: run `make system-packages widget`")
    booking_record = ARTIFACTS / "widget-booking.json"
    booking_record.unlink(missing_ok=True)
    result = subprocess.run(
        ["node", "--test", "--test-reporter=spec", "--test-concurrency=1", "tests/browser/widget.test.mjs"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={**os.environ, "DEMO_URL": demo_page, "ARTIFACTS_DIR": str(ARTIFACTS), "CHROMIUM": CHROMIUM,
             "ANSWER_OPENINGS": json.dumps({name: opening(domain, name) for name in ANSWERS_WAITED_FOR})},
    )
    (ARTIFACTS / "widget-browser.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    assert result.returncode == 0, f"browser tests failed:\n{result.stdout[-15000:]}\n{result.stderr[-3000:]}"

    # The booking confirmed in the browser was stored, from the widget's channel, under its reference.
    reference = json.loads(booking_record.read_text(encoding="utf-8"))["reference"]
    stored = {r["payload"]["request_id"]: r["payload"] for r in Outbox(assistant.env["OUTBOX_DB_URL"]).requests()}
    assert reference in stored
    assert stored[reference]["channel"] == "socketio"
    assert stored[reference]["name"] == "Ann Browser" and stored[reference]["phone"] == "+12025550187"
    for artifact in ("widget-desktop.png", "widget-mobile.png", "widget-axe.json"):
        assert (ARTIFACTS / artifact).stat().st_size > 0
