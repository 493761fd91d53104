"""Where the images set CLINIC_PROFILE_REQUIRED, the real servers refuse to start without the
clinic's own profile, and refuse the demo profile unless a demo is intended."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.project import ROOT
from tools.servers import HOST, free_port, start_action_server, stop, wait_until_up

DEPLOYED = {"CLINIC_PROFILE_REQUIRED": "true", "CLINIC_PROFILE": "", "ALLOW_DEMO_PROFILE": ""}


def exit_and_log(env: dict, tmp_path) -> tuple:
    log_path = tmp_path / "actions.log"
    with open(log_path, "ab") as log:
        process = start_action_server(free_port(), log, env)
    try:
        code = process.wait(timeout=60)
    finally:
        stop(process)
    return code, log_path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize("env, complaint", [
    (DEPLOYED, "CLINIC_PROFILE is not set"),
    ({**DEPLOYED, "CLINIC_PROFILE": "clinic/demo.yml"}, "demo profile with fictional contact details"),
    ({**DEPLOYED, "CLINIC_PROFILE": "clinic/no-such-clinic.yml"}, "cannot read clinic profile"),
])
def test_action_server_refuses_to_start(env, complaint, tmp_path):
    code, log = exit_and_log(env, tmp_path)
    assert code != 0 and complaint in log, log[-2000:]


def test_action_server_starts_with_a_demo_that_is_intended(tmp_path):
    port = free_port()
    with open(tmp_path / "actions.log", "ab") as log:
        process = start_action_server(port, log, {**DEPLOYED, "CLINIC_PROFILE": "clinic/demo.yml",
                                                  "ALLOW_DEMO_PROFILE": "true"})
    try:
        wait_until_up(f"http://{HOST}:{port}/health", process, timeout=60)
    finally:
        stop(process)


def test_rasa_server_refuses_the_demo_profile_before_loading_a_model(tmp_path):
    env = {**DEPLOYED, "CLINIC_PROFILE": "clinic/demo.yml"}
    result = subprocess.run(
        [sys.executable, "-m", "tools.rasa_server", "run", "--model", str(tmp_path / "none.tar.gz")],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "refusing to start: clinic profile:" in result.stderr and "demo profile" in result.stderr, result.stderr
