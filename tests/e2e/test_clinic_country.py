"""A clinic in the United Kingdom whose profile has no practical policies, on the real servers:
a crisis message gets 999, Samaritans and Shout and no US number, over REST, over SMS and in the
widget (tappable there), and "can I drive home" gets "our team can tell you" with the clinic's
number. The demo profile's side (US lines, its driving policy) is in test_rest.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid

import pytest
import yaml

from clinic.profile import DEFAULT_PROFILE
from tests.support.chat import say, texts
from tests.support.messaging import SECRETS
from tests.support.receiver import Receiver
from tests.support.project import ROOT
from tools.servers import HOST, free_port

CHROMIUM = "/usr/bin/chromium"
CLINIC_NAME = "Demo Clinic London (sample profile)"
# Ofcom keeps 020 7946 0000-0999 for drama: a fictional London number.
CLINIC_PHONE = "020 7946 0123"
UK_LINES = ("999", "Samaritans", "116 123", "Shout", "85258")
US_NUMBERS = ("988", "911", "741741")
CRISIS_MESSAGE = "i want to kill myself"


@pytest.fixture(scope="module")
def platforms():
    with Receiver(secret="") as fake:
        fake.url = f"http://127.0.0.1:{fake.port}"
        yield fake


@pytest.fixture(scope="module")
def uk_clinic(model_path, tmp_path_factory, platforms):
    from tools.servers import running_assistant

    workdir = tmp_path_factory.mktemp("uk-clinic")
    profile = yaml.safe_load(DEFAULT_PROFILE.read_text(encoding="utf-8"))
    del profile["policies"]
    profile.update(name=CLINIC_NAME, phone=CLINIC_PHONE, country="GB", timezone="Europe/London")
    (workdir / "profile.yml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    demo_port = free_port()
    env = {**SECRETS, "CLINIC_PROFILE": str(workdir / "profile.yml"), "TWILIO_API_URL": platforms.url,
           "WIDGET_ALLOWED_ORIGINS": f"http://{HOST}:{demo_port}"}
    with running_assistant(model_path, workdir, env=env) as running:
        running.demo_port = demo_port
        yield running


def has_number(text: str, number: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(number)}(?![\w-])", text) is not None


def assert_uk_lines_only(text: str) -> None:
    assert [line for line in UK_LINES if not has_number(text, line)] == [], text
    assert [number for number in US_NUMBERS if has_number(text, number)] == [], text


def test_a_crisis_over_rest_gets_the_uk_lines(uk_clinic):
    replies = texts(say(uk_clinic, f"uk-{uuid.uuid4().hex[:8]}", CRISIS_MESSAGE))
    assert_uk_lines_only(" ".join(replies))


def test_a_crisis_over_sms_gets_the_uk_lines_as_plain_text(uk_clinic, platforms):
    from tests.e2e.test_messaging_channels import bodies_to, twilio_post

    number = "+4477009" + str(uuid.uuid4().int)[:5]
    answer = twilio_post(uk_clinic, "twilio", {"From": number, "Body": CRISIS_MESSAGE})
    assert answer.status_code == 200
    bodies = bodies_to(platforms, number)
    assert len(bodies) >= 2 and "virtual assistant of" in bodies[0], bodies
    crisis = bodies[-1]
    assert_uk_lines_only(crisis)
    assert "tel:" not in crisis and "sms:" not in crisis


def test_without_a_policy_the_team_can_tell_about_getting_home(uk_clinic):
    replies = texts(say(uk_clinic, f"uk-drive-{uuid.uuid4().hex[:8]}", "can I drive home after an infusion"))
    assert any(r.startswith("Our team can tell you about getting home after an infusion: call us at "
                            f"{CLINIC_PHONE}") for r in replies), replies


def test_a_crisis_in_the_widget_gets_tappable_uk_lines(uk_clinic):
    from tools.demo_site import serving_demo_page

    if not shutil.which("node") or not os.path.exists(CHROMIUM):
        pytest.fail("the browser tests need Node.js and Chromium: run `make system-packages widget`")
    with serving_demo_page(uk_clinic.demo_port, uk_clinic.rasa_url) as url:
        result = subprocess.run(
            ["node", "--test", "--test-reporter=spec", "tests/browser/crisis_lines.test.mjs"],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
            env={**os.environ, "DEMO_URL": url, "CLINIC_NAME": CLINIC_NAME, "CRISIS_MESSAGE": CRISIS_MESSAGE,
                 "CHROMIUM": CHROMIUM},
        )
    assert result.returncode == 0, f"browser test failed:\n{result.stdout[-8000:]}\n{result.stderr[-3000:]}"
