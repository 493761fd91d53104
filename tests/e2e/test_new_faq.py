"""`make new-faq`: the skeleton is one topic file, topics/<NAME>.yml, with a TODO in every place to
fill in; `make topics` builds every file a topic needs from it, in a copy of the project."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import yaml

from tests.support.project import ROOT
from tools.new_faq import ScaffoldError, next_steps, scaffold
from tools.topics import GENERATED_FILES, REQUIRED_KEYS, build, load_topic, stale_files, validate_topic


@pytest.fixture()
def project(tmp_path):
    for name in ("domain.yml", "data", "topics", "knowledge/sources", "tests/nlu_holdout.yml",
                 "tests/nlu_holdout_topics.yml", "tests/stories", "docs/INTENTS.md", "docs/READABILITY.md"):
        source, target = ROOT / name, tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    return tmp_path


def test_skeleton_is_one_topic_file_with_a_todo_in_every_place(project):
    before = {name: (project / name).read_text() for name in GENERATED_FILES}
    touched = scaffold("ask_preparation", project)
    assert touched == ["topics/ask_preparation.yml", "topics/ORDER"]
    assert {name: (project / name).read_text() for name in GENERATED_FILES} == before
    assert (project / "topics/ORDER").read_text().splitlines()[-1] == "ask_preparation"
    topic = load_topic(project / "topics/ask_preparation.yml")
    assert set(REQUIRED_KEYS) <= set(topic) and topic["intent"] == "ask_preparation"
    assert topic["answer"][0]["buttons"]
    to_fill = ("title", "covers", "not_here", "sources", "answer", "test_question", "examples", "held_out")
    assert "TODO" in yaml.safe_dump(topic["answer"])
    problems = validate_topic(project / "topics/ask_preparation.yml")
    for key in to_fill:
        assert any(f"`{key}` still says TODO" in p and p.startswith("topics/ask_preparation.yml:") for p in problems), \
            (key, problems)


def test_the_skeleton_builds_into_every_file_a_topic_needs(project):
    scaffold("ask_preparation", project)
    assert build(project) == list(GENERATED_FILES) and stale_files(project) == []
    domain = yaml.safe_load((project / "domain.yml").read_text())
    faq_block = domain["intents"][:domain["intents"].index("greet")]
    assert faq_block[-1] == "ask_preparation"
    answer = domain["responses"]["utter_ask_preparation"][0]
    assert "TODO" in answer["text"] and answer["buttons"]
    assert "  # sources: TODO" in (project / "domain.yml").read_text()
    nlu = yaml.safe_load((project / "data/nlu/topics.yml").read_text())
    assert nlu["nlu"][-1]["intent"] == "ask_preparation"
    rules = yaml.safe_load((project / "data/rules/faq.yml").read_text())["rules"]
    assert {"rule": "answer ask_preparation", "steps": [{"intent": "ask_preparation"},
                                                        {"action": "utter_ask_preparation"}]} in rules
    holdout = yaml.safe_load((project / "tests/nlu_holdout_topics.yml").read_text())["nlu"]
    assert holdout[-1]["intent"] == "ask_preparation"
    stories = yaml.safe_load((project / "tests/stories/faq.yml").read_text())["stories"]
    assert stories[-1]["steps"][-1] == {"action": "utter_ask_preparation"}
    intents_doc = (project / "docs/INTENTS.md").read_text()
    # The new row sits inside the FAQ table, right after its last row.
    table = intents_doc.split("## FAQ intents")[1].split("<!-- <<< FAQ table")[0].strip()
    assert table.splitlines()[-1].startswith("| `ask_preparation` | TODO")


@pytest.mark.parametrize("name, complaint", [
    ("ask_cost", "already exists"),
    ("preparation", "not a usable"),
    ("ask_Preparation", "not a usable"),
    ("ask_prep-aration", "not a usable"),
    ("ask_" + "x" * 40, "not a usable"),
    ("ask__double", "not a usable"),
])
def test_clashing_or_malformed_names_are_refused(project, name, complaint):
    order = (project / "topics/ORDER").read_text()
    with pytest.raises(ScaffoldError, match=complaint):
        scaffold(name, project)
    assert name == "ask_cost" or not (project / "topics" / f"{name}.yml").exists()
    assert (project / "topics/ORDER").read_text() == order


def test_a_second_scaffold_of_the_same_name_is_refused(project):
    scaffold("ask_preparation", project)
    with pytest.raises(ScaffoldError, match="already exists"):
        scaffold("ask_preparation", project)
    assert (project / "topics/ORDER").read_text().count("ask_preparation") == 1


def test_staff_are_told_to_check_the_topic_then_test():
    steps = next_steps("ask_preparation")
    assert "topics/ask_preparation.yml" in steps and "TODO" in steps
    order = ["make check-topic NAME=ask_preparation", "make test-topic NAME=ask_preparation", "make shell",
             "make test "]
    assert [steps.index(step) for step in order] == sorted(steps.index(step) for step in order)
    assert "data/rules" not in steps and "domain.yml" not in steps


def test_command_line_explains_a_refusal():
    run = subprocess.run([sys.executable, "-m", "tools.new_faq", "ask_cost"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 1 and "already exists in domain.yml" in run.stderr
