"""`make deploy-model` against a real Rasa server with its API behind a token: a good model goes
live without a restart; a broken one is refused and the old one keeps serving."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from tests.support.chat import say, texts
from tests.support.project import ROOT
from tools.deploy_model import DeployError, deploy

TOKEN = "deploy-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def live(model_path, tmp_path_factory):
    from tools.servers import running_assistant

    with running_assistant(model_path, tmp_path_factory.mktemp("deploy"), env={"RASA_AUTH_TOKEN": TOKEN}) as running:
        yield running


def run_deploy(live, model: Path, models_dir: Path, token: str = TOKEN) -> subprocess.CompletedProcess:
    env = {**os.environ, "RASA_AUTH_TOKEN": token}
    return subprocess.run([sys.executable, "-m", "tools.deploy_model", "--model", str(model), "--url", live.rasa_url,
                           "--models-dir", str(models_dir)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def serving(live) -> str:
    return requests.get(f"{live.rasa_url}/status", params={"token": TOKEN}, timeout=10).json()["model_file"]


def test_a_new_model_goes_live_and_a_broken_one_leaves_the_old_one_serving(live, model_path, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    new_model = models / f"clinic-{uuid.uuid4().hex[:6]}.tar.gz"
    shutil.copy(model_path, new_model)
    done = run_deploy(live, new_model, models)
    assert done.returncode == 0, done.stderr
    assert f"{new_model.name} is live" in done.stdout
    assert Path(serving(live)).name == new_model.name
    assert any("Demo prices" in t for t in texts(say(live, f"deploy-{uuid.uuid4().hex[:6]}", "how much does it cost?")))

    broken = models / "broken.tar.gz"
    broken.write_bytes(os.urandom(4096))
    refused = run_deploy(live, broken, models)
    assert refused.returncode == 1
    assert "could not load broken.tar.gz" in refused.stderr and f"still serves" in refused.stderr
    assert Path(serving(live)).name == new_model.name
    assert any("Demo prices" in t for t in texts(say(live, f"deploy-{uuid.uuid4().hex[:6]}", "how much does it cost?")))


def test_deploy_needs_the_servers_token(live, model_path, tmp_path):
    assert "refused the token" in run_deploy(live, model_path, tmp_path, token="wrong").stderr
    assert "set RASA_AUTH_TOKEN" in run_deploy(live, model_path, tmp_path, token="").stderr


class FakeApi:
    """A server whose new model loads but reads questions wrongly."""

    def __init__(self) -> None:
        self.loaded = ["old.tar.gz"]

    def status(self) -> dict:
        return {"model_file": self.loaded[-1]}

    def load(self, model: Path):
        self.loaded.append(model.name)
        return None

    def check(self):
        return None if self.loaded[-1] == "old.tar.gz" else "'how much does it cost?' was read as greet, not ask_cost"


def test_a_model_that_fails_the_check_is_replaced_by_the_previous_one(tmp_path):
    (tmp_path / "old.tar.gz").write_bytes(b"x")
    (tmp_path / "new.tar.gz").write_bytes(b"x")
    api = FakeApi()
    with pytest.raises(DeployError, match="old.tar.gz is serving again"):
        deploy(api, tmp_path / "new.tar.gz", tmp_path)
    assert api.loaded == ["old.tar.gz", "new.tar.gz", "old.tar.gz"]
