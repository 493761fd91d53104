"""The changes to Rasa's behaviour: applied wherever the model is loaded, once, and only on the
Rasa release they were written for."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
import rasa
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

import rasa_patches
from tests.support.project import ROOT


def patched_methods() -> dict:
    from rasa.core.actions.action import RemoteAction

    return {"run": RemoteAction.run, "validate": RemoteAction._validate_action_result,
            "save": FailSafeTrackerStore.save, "retrieve": FailSafeTrackerStore.retrieve,
            "retrieve_full_tracker": FailSafeTrackerStore.retrieve_full_tracker, "graph": DaskGraphRunner.run}


def test_loading_the_components_applies_every_patch_as_a_plain_rasa_command_would():
    """A fresh interpreter that only imports what Rasa imports with the model gets the patches."""
    probe = ("import components\n"
             "from rasa.core.actions.action import RemoteAction\n"
             "from rasa.core.tracker_store import FailSafeTrackerStore as F\n"
             "from rasa.engine.runner.dask import DaskGraphRunner as G\n"
             "print(RemoteAction.run.has_deadline, RemoteAction._validate_action_result.keeps_its_validator,"
             " F.save.is_strict, F.retrieve.__module__, F.retrieve_full_tracker.__module__, G.run.runs_in_order)\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["True", "True", "True", "rasa_patches", "rasa_patches", "True"]


def test_applying_twice_changes_nothing():
    rasa_patches.apply()
    before = patched_methods()
    rasa_patches.apply()
    assert patched_methods() == before


@pytest.mark.parametrize("version", ["3.6.20", "3.7.0", "3.6.21rc1"])
def test_another_rasa_release_is_refused_with_what_to_do(version):
    with pytest.raises(rasa_patches.UnsupportedRasaVersion) as refused:
        rasa_patches.check_rasa_version(version)
    assert f"Rasa {version} is installed" in str(refused.value) and "make install" in str(refused.value)
    rasa_patches.check_rasa_version(rasa_patches.WRITTEN_FOR_RASA)


def test_the_launcher_refuses_to_start_on_another_rasa_release(monkeypatch):
    from tools import rasa_server

    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    monkeypatch.setattr(rasa_server, "require_clinic_profile", lambda: None)
    with pytest.raises(SystemExit) as refused:
        rasa_server.main(["run", "--model", "none.tar.gz"])
    assert "refusing to start" in str(refused.value) and "3.7.0" in str(refused.value)


class BrokenStore(InMemoryTrackerStore):
    async def save(self, tracker) -> None:
        raise ConnectionError("database gone")

    async def retrieve(self, sender_id):
        raise ConnectionError("database gone")


@pytest.mark.parametrize("operation", ["save", "retrieve"])
def test_tracker_store_errors_reach_the_caller_instead_of_a_silent_fresh_conversation(operation):
    rasa_patches.apply()
    store = FailSafeTrackerStore(BrokenStore(Domain.empty()))
    call = store.save(DialogueStateTracker("patient", [])) if operation == "save" else store.retrieve("patient")
    with pytest.raises(ConnectionError):
        asyncio.run(call)
