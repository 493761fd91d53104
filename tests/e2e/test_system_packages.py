"""`make system-packages` installs what is missing and never stops, starts or reconfigures a
PostgreSQL or Redis service: run for real beside a running PostgreSQL and Redis, with apt-get and
the service managers replaced by recorders (nothing is installed by these tests)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import redis
import sqlalchemy

from tests.support.project import ROOT
from tests.support.postgres import postgres_server
from tests.support.redis_server import redis_server

SCRIPT = ROOT / "tools" / "install_system_packages.sh"
SERVICE_TOOLS = ["service", "systemctl", "invoke-rc.d", "pg_ctlcluster", "pg_ctl", "redis-cli"]
# apt-get stand-in: records its arguments and whether services were forbidden to start meanwhile.
FAKE_APT = """#!/bin/sh
policy="$SYSTEM_ROOT/usr/sbin/policy-rc.d"
if [ -x "$policy" ]; then "$policy" postgresql start; echo "policy=$?" >> "$CALLS/apt-get"; fi
echo "$*" >> "$CALLS/apt-get"
"""


@pytest.fixture(scope="module")
def running_servers():
    with postgres_server() as postgres_url, redis_server() as redis_url:
        yield postgres_url, redis_url


def servers_answer(postgres_url: str, redis_url: str) -> bool:
    engine = sqlalchemy.create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(sqlalchemy.text("select 1")).scalar() == 1
    finally:
        engine.dispose()
    return redis.Redis.from_url(redis_url, socket_timeout=5).ping()


def run_script(tmp_path: Path, system_root: Path) -> subprocess.CompletedProcess:
    fake_bin, calls = tmp_path / "bin", tmp_path / "calls"
    fake_bin.mkdir(exist_ok=True)
    calls.mkdir(exist_ok=True)
    (fake_bin / "apt-get").write_text(FAKE_APT, encoding="utf-8")
    for tool in SERVICE_TOOLS:
        (fake_bin / tool).write_text(f'#!/bin/sh\necho "$*" >> "$CALLS/{tool}"\n', encoding="utf-8")
    for tool in fake_bin.iterdir():
        tool.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}", "CALLS": str(calls),
           "SYSTEM_ROOT": str(system_root)}
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def recorded(tmp_path: Path, tool: str) -> list:
    path = tmp_path / "calls" / tool
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@pytest.mark.skipif(os.geteuid() != 0, reason="the install path runs as root here (sudo otherwise)")
def test_missing_packages_are_installed_without_touching_running_servers(tmp_path, running_servers):
    empty_system = tmp_path / "system"
    empty_system.mkdir()
    result = run_script(tmp_path, empty_system)
    assert result.returncode == 0, result.stderr
    apt = recorded(tmp_path, "apt-get")
    install = [line for line in apt if line.startswith("install")]
    assert len(install) == 1 and all(name in install[0].split() for name in
                                     ("postgresql", "redis-server", "chromium", "fonts-dejavu-core", "prometheus"))
    assert "policy=101" in apt, "services were allowed to start during the install"
    assert not (empty_system / "usr" / "sbin" / "policy-rc.d").exists(), "the temporary policy-rc.d was left"
    touched = {tool: recorded(tmp_path, tool) for tool in SERVICE_TOOLS if recorded(tmp_path, tool)}
    assert not touched, f"the set-up called service tools: {touched}"
    assert servers_answer(*running_servers)


@pytest.mark.skipif(os.geteuid() != 0, reason="the install path runs as root here (sudo otherwise)")
def test_an_existing_policy_rc_d_is_left_as_it_was(tmp_path):
    system = tmp_path / "system"
    policy = system / "usr" / "sbin" / "policy-rc.d"
    policy.parent.mkdir(parents=True)
    policy.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    policy.chmod(0o755)
    assert run_script(tmp_path, system).returncode == 0
    assert policy.read_text(encoding="utf-8") == "#!/bin/sh\nexit 0\n"


def test_nothing_is_installed_or_touched_when_everything_is_there(tmp_path, running_servers):
    # `make test` has run `make system-packages` before the suite, so this machine has everything.
    result = run_script(tmp_path, Path("/"))
    assert result.returncode == 0, result.stderr
    assert recorded(tmp_path, "apt-get") == []
    assert not any(recorded(tmp_path, tool) for tool in SERVICE_TOOLS)
    assert servers_answer(*running_servers)
