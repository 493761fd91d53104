"""The FAQ topic files (topics/*.yml): each is valid, topics/ORDER lists them, and the files built
from them (`make topics`) are up to date. Each failure names the file, the line and the fix."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.project import ROOT, source_article_ids
from tools.nlu_eval import load_examples
from tools.topics import (GENERATED_FILES, NLU_FILE, REQUIRED_KEYS, build, load_topic, order_problems, stale_files,
                          validate_topic)

TOPIC_FILES = sorted((ROOT / "topics").glob("*.yml"))


def test_the_generated_files_are_up_to_date():
    stale = stale_files(ROOT)
    assert not stale, ("these files differ from what topics/*.yml generate (stale, or edited by hand): "
                       f"{stale}; run make topics (edit topics/<intent>.yml, never the generated files)")


def test_every_faq_topic_has_a_topic_file(topic_contract):
    missing = [i for i in topic_contract["faq"] if not (ROOT / "topics" / f"{i}.yml").is_file()]
    assert len(TOPIC_FILES) >= 20 and not missing, f"topics/: add a topic file (make new-faq NAME=...) for {missing}"


@pytest.mark.parametrize("path", TOPIC_FILES, ids=lambda p: p.stem)
def test_each_topic_file_is_valid(path: Path):
    problems = validate_topic(path)
    assert not problems, "\n".join(problems)


def test_topics_order_lists_each_topic_once():
    problems = order_problems(ROOT)
    assert not problems, "\n".join(problems)


def test_the_topic_buttons_follow_the_topic_files():
    from clinic.topics import TOPIC_TITLES, topic_order

    titles = {path.stem: load_topic(path)["title"] for path in TOPIC_FILES}
    assert list(TOPIC_TITLES)[:len(titles)] == topic_order(ROOT / "topics")
    assert {name: TOPIC_TITLES[name] for name in titles} == titles
    assert TOPIC_TITLES["book_appointment"] and TOPIC_TITLES["request_human"]


def test_every_held_out_example_of_a_topic_is_in_the_held_out_set_and_not_in_training(training_examples):
    held_out = {(text, intent) for text, intent in load_examples(ROOT / "tests" / "nlu_holdout_topics.yml")}
    expected = {(text, path.stem) for path in TOPIC_FILES for text in load_topic(path)["held_out"]}
    assert expected and held_out == expected
    training = {text for text, _, _ in training_examples}
    assert not {text for text, _ in held_out} & training


# ---------------------------------------------------------------- the checks themselves, in a copy

@pytest.fixture()
def project(tmp_path: Path) -> Path:
    for name in ("topics", "knowledge/sources", "data", "domain.yml", "docs/INTENTS.md", "docs/READABILITY.md",
                 "tests/stories", "tests/nlu_holdout.yml", "tests/nlu_holdout_topics.yml"):
        source, target = ROOT / name, tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    return tmp_path


BROKEN = """\
intent: ask_wrong_name
title: Broken
covers: something
not_here: a thing that goes elsewhere (`ask_nothing_like_it`)
sources: ["002", "999"]
answer:
  - text: An answer.
    buttons:
      - title: "Book a consultation"
        payload: "/book_appointment"
examples:
  - how do i get ready for my first infusion
held_out:
  - how much does it cost
"""


def test_validation_names_the_file_the_line_and_the_fix(project: Path):
    source_article_ids()  # skips the test without the articles: test_sources.py says so, once
    path = project / "topics" / "ask_broken.yml"
    path.write_text(BROKEN, encoding="utf-8")
    problems = validate_topic(path)
    expected = {
        "topics/ask_broken.yml:1: `test_question:` is missing",
        "topics/ask_broken.yml:1: `intent: ask_wrong_name` does not match the file name",
        "topics/ask_broken.yml:1: the topic is not listed in topics/ORDER",
        "topics/ask_broken.yml:4: `not_here` names intents that do not exist: ask_nothing_like_it",
        "topics/ask_broken.yml:5: there is no article 999 in knowledge/sources/",
        "topics/ask_broken.yml:14: `held_out` needs at least 2 examples",
        "topics/ask_broken.yml:14: held-out example 'how much does it cost' is also a training example",
    }
    assert len(problems) == len(expected), "\n".join(problems)
    for start in expected:
        assert any(p.startswith(start) and "(fix: " in p for p in problems), (start, problems)


def test_validation_reports_yaml_errors_with_their_line(project: Path):
    path = project / "topics" / "ask_broken.yml"
    path.write_text("intent: ask_broken\ntitle: Broken\nexamples:\n  - one\n - two\n", encoding="utf-8")
    problems = validate_topic(path)
    assert len(problems) == 1 and problems[0].startswith("topics/ask_broken.yml:5: not valid YAML"), problems


def test_a_topic_file_built_from_the_schema_validates(project: Path):
    topic = load_topic(project / "topics" / "ask_cost.yml")
    assert set(REQUIRED_KEYS) <= set(topic) and topic["sources"] == ["000", "002"]
    path = project / "topics" / "ask_preparation.yml"
    text = (project / "topics" / "ask_cost.yml").read_text(encoding="utf-8").replace("intent: ask_cost",
                                                                                     "intent: ask_preparation")
    held_out = "".join(f"  - {line}\n" for line in ("what should i do the day before my infusion",
                                                      "any prep needed before the first session"))
    path.write_text(text.split("test_question:")[0] + "test_question: how do i prepare\nexamples:\n"
                    "  - how do i prepare for an infusion\n  - what to do before my first session\n"
                    f"held_out:\n{held_out}", encoding="utf-8")
    with (project / "topics" / "ORDER").open("a", encoding="utf-8") as order:
        order.write("ask_preparation\n")
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["answer"] == topic["answer"]
    assert validate_topic(path) == []


def test_check_finds_stale_and_hand_edited_files_and_build_fixes_them(project: Path):
    assert stale_files(project) == []
    topic = project / "topics" / "ask_cost.yml"
    topic.write_text(topic.read_text(encoding="utf-8").replace("  - how much does it cost\n",
                                                               "  - how much does it cost\n  - what is the fee\n"),
                     encoding="utf-8")
    domain = project / "domain.yml"
    domain.write_text(domain.read_text(encoding="utf-8").replace("Ketamine therapy can be expensive",
                                                                 "It is expensive"), encoding="utf-8")
    assert stale_files(project) == [NLU_FILE, "domain.yml"]
    run = subprocess.run([sys.executable, "-m", "tools.topics", "check", "--root", str(project)], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 1 and "data/nlu/topics.yml" in run.stderr and "run make topics" in run.stderr
    assert build(project) == [NLU_FILE, "domain.yml"] and stale_files(project) == []
    assert ("what is the fee", "ask_cost") in load_examples(project / NLU_FILE)
    assert "Ketamine therapy can be expensive" in domain.read_text(encoding="utf-8")


def test_build_refuses_a_topic_it_cannot_read(project: Path):
    before = {name: (project / name).read_text(encoding="utf-8") for name in GENERATED_FILES}
    (project / "topics" / "ask_cost.yml").write_text("intent: ask_cost\ntitle: Cost\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "tools.topics", "build", "--root", str(project)], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 1 and "topics/ask_cost.yml:1: `answer:` is missing" in run.stderr, run.stderr
    assert {name: (project / name).read_text(encoding="utf-8") for name in GENERATED_FILES} == before


MORE = """more:
  - text: >-
      More about the cost.
    buttons:
      - title: "Insurance"
        payload: "/ask_insurance"
"""


def test_more_needs_the_tell_me_more_button_and_becomes_its_own_response(project: Path):
    path = project / "topics" / "ask_cost.yml"
    original = path.read_text(encoding="utf-8")
    with_button = original.replace("    buttons:\n", "    buttons:\n      - title: \"Tell me more\"\n"
                                   "        payload: \"/tell_me_more\"\n", 1)
    path.write_text(original.replace("test_question:", MORE + "test_question:", 1), encoding="utf-8")
    problems = validate_topic(path)
    assert len(problems) == 1 and "has `more:` but this answer variation has no \"Tell me more\" button" \
        in problems[0] and "/tell_me_more" in problems[0], problems
    path.write_text(with_button.replace("test_question:", MORE + "test_question:", 1), encoding="utf-8")
    assert validate_topic(path) == []
    build(project)
    domain = yaml.safe_load((project / "domain.yml").read_text(encoding="utf-8"))
    assert domain["responses"]["utter_more_ask_cost"] == [
        {"text": "More about the cost.", "buttons": [{"title": "Insurance", "payload": "/ask_insurance"}]}]
    # The button without `more:` is named too.
    path.write_text(with_button, encoding="utf-8")
    problems = validate_topic(path)
    assert len(problems) == 1 and "offers \"Tell me more\" but the topic has no `more:`" in problems[0], problems
