"""`make new-faq`: the skeleton lands in every file a topic needs, in a copy of the project."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import yaml

from tests.support.project import ROOT
from tools.new_faq import ScaffoldError, scaffold


@pytest.fixture()
def project(tmp_path):
    for name in ("domain.yml", "data", "tests/nlu_holdout.yml", "tests/stories", "docs/INTENTS.md"):
        source, target = ROOT / name, tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    return tmp_path


def test_skeleton_reaches_every_file_and_stays_valid(project):
    touched = scaffold("ask_preparation", project)
    assert len(touched) == 6
    domain = yaml.safe_load((project / "domain.yml").read_text())
    faq_block = domain["intents"][:domain["intents"].index("greet")]
    assert faq_block[-1] == "ask_preparation"
    answer = domain["responses"]["utter_ask_preparation"][0]
    assert "TODO" in answer["text"] and answer["buttons"]
    assert "# sources: TODO" in (project / "domain.yml").read_text()
    nlu = yaml.safe_load((project / "data/nlu/ask_preparation.yml").read_text())
    assert nlu["nlu"][0]["intent"] == "ask_preparation"
    rules = yaml.safe_load((project / "data/rules/faq.yml").read_text())["rules"]
    assert rules[-1]["steps"] == [{"intent": "ask_preparation"}, {"action": "utter_ask_preparation"}]
    holdout = yaml.safe_load((project / "tests/nlu_holdout.yml").read_text())["nlu"]
    assert holdout[-1]["intent"] == "ask_preparation"
    stories = yaml.safe_load((project / "tests/stories/faq.yml").read_text())["stories"]
    assert stories[-1]["steps"][-1] == {"action": "utter_ask_preparation"}
    intents_doc = (project / "docs/INTENTS.md").read_text()
    assert "| `ask_preparation` | TODO" in intents_doc
    # The new row sits inside the FAQ table, right after its last row.
    table = intents_doc.split("## FAQ intents")[1].split("\n\n")[1]
    assert table.splitlines()[-1].startswith("| `ask_preparation`")


@pytest.mark.parametrize("name, complaint", [
    ("ask_cost", "already exists"),
    ("preparation", "not a usable"),
    ("ask_Preparation", "not a usable"),
    ("ask_prep-aration", "not a usable"),
    ("ask_" + "x" * 40, "not a usable"),
    ("ask__double", "not a usable"),
])
def test_clashing_or_malformed_names_are_refused(project, name, complaint):
    with pytest.raises(ScaffoldError, match=complaint):
        scaffold(name, project)
    assert not (project / "data/nlu" / f"{name}.yml").exists()


def test_a_second_scaffold_of_the_same_name_is_refused(project):
    scaffold("ask_preparation", project)
    with pytest.raises(ScaffoldError, match="already exists"):
        scaffold("ask_preparation", project)


def test_command_line_explains_a_refusal():
    run = subprocess.run([sys.executable, "-m", "tools.new_faq", "ask_cost"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 1 and "already exists in domain.yml" in run.stderr
