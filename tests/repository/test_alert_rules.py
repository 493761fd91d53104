"""The alert rules (deploy/prometheus/alerts.yml) are valid and fire when they should: promtool
checks them and the example configuration, and runs their unit tests (alerts.test.yml: series that
make each alert fire, and others that must not)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.support.project import ROOT

PROMETHEUS = ROOT / "deploy" / "prometheus"


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool not found: install it with `make system-packages` (Debian's prometheus package)")
    return found


@pytest.mark.parametrize("command", [["check", "rules", "alerts.yml"], ["check", "config", "prometheus.yml"],
                                     ["test", "rules", "alerts.test.yml"]], ids=" ".join)
def test_promtool(promtool, command):
    result = subprocess.run([promtool, *command], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"promtool {' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
