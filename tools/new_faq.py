"""`make new-faq NAME=ask_something`: the skeleton of a new FAQ topic, for staff to fill in.

Creates one file, topics/<NAME>.yml, with every field of a topic (title, what it covers, the
answer and its sources, a test question, training and held-out examples) and a TODO in each
place to fill in, and lists the topic last in topics/ORDER. `make check-topic` (or `make topics`)
builds the intent, the answer, the rule, the test story, the held-out examples and the row of
docs/INTENTS.md from it (docs/EXTENDING.md)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import List

import yaml

from clinic.paths import PROJECT_ROOT as ROOT
from clinic.topics import ORDER_FILE, topic_order

NAME = re.compile(r"^ask_[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
MAX_NAME = 40
TODO = "TODO"


class ScaffoldError(ValueError):
    pass


def check_name(name: str, root: Path = ROOT) -> None:
    if not NAME.match(name) or len(name) > MAX_NAME:
        raise ScaffoldError(
            f"'{name}' is not a usable FAQ intent name: use ask_ then lower-case words joined by "
            f"underscores, at most {MAX_NAME} characters (for example ask_preparation)")
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8"))
    if name in domain.get("intents", []) or f"utter_{name}" in domain.get("responses", {}):
        raise ScaffoldError(f"'{name}' already exists in domain.yml; pick another name")
    if (root / "topics" / f"{name}.yml").exists():
        raise ScaffoldError(f"topics/{name}.yml already exists; pick another name or delete that file")


def topic_file(name: str) -> str:
    """The skeleton: valid YAML with every key of a topic file and a TODO wherever staff write."""
    return f"""\
# Topic file: everything staff write for one FAQ topic (docs/EXTENDING.md). Write your own text
# over each placeholder below, then run `make check-topic NAME={name}` and `make test`.
intent: {name}
# The button title when the assistant suggests topics: a few words.
title: "{TODO}: a short button title, such as Cost"
# For docs/INTENTS.md: what patients ask here, and similar questions that belong to other intents
# (each named in backticks).
covers: "{TODO}: what patients ask here, such as price, fees, payment plans"
not_here: "{TODO}: similar questions that go elsewhere, such as whether insurance pays (`ask_insurance`)"
# The articles in knowledge/sources/ the answer is written from: the first three digits of their
# file names, quoted, such as ["000", "002"].
sources: ["{TODO}"]
# Optional: a note on the sources (which detail comes from where), or delete this line.
sources_note: "{TODO}: optional note on the sources, or delete this line"
# The answer, in the clinic's voice ("we", "our team"): at most about 60 words, short sentences
# and plain words (grade 8, make readability), saying only what the articles say. Clinic facts
# (phone, hours, prices) are never typed in: use {{clinic_phone}}, {{clinic_hours}} and the other
# clinic_* slots. Optional: a `more:` key with more detail written the same way (the same shape
# as answer:), and then a button title "Tell me more", payload "/tell_me_more" on the answer.
answer:
  - text: >-
      {TODO}: a short, warm answer of at most about 60 words, in your own words, saying only
      what the articles in knowledge/sources/ say.
    buttons:
      - title: "Book a consultation"
        payload: "/book_appointment"
      - title: "Talk to staff"
        payload: "/request_human"
# One typical question: the test conversation asks it and expects the answer above.
test_question: "{TODO}: one typical question"
# Training examples: about 60 ways patients ask this, one per line, in their own words. Vary the
# wording, length and tone; include short ones, typos and questions from a relative.
examples:
  - "{TODO}: about 60 ways patients ask this, one per line"
# Held-out examples, never used for training: 8 to 16 new ways to ask, ideally written by a
# colleague who has not read the training examples. None may repeat a training example.
held_out:
  - "{TODO}: 8 to 16 new ways to ask this, written by someone who has not seen the examples"
"""


def scaffold(name: str, root: Path = ROOT) -> List[str]:
    """Creates the skeleton; returns the files touched."""
    check_name(name, root)
    topics = root / "topics"
    topics.mkdir(exist_ok=True)
    (topics / f"{name}.yml").write_text(topic_file(name), encoding="utf-8")
    touched = [f"topics/{name}.yml"]
    if name not in topic_order(topics):
        order = topics / ORDER_FILE
        current = order.read_text(encoding="utf-8") if order.exists() else ""
        order.write_text(current + ("\n" if current and not current.endswith("\n") else "") + f"{name}\n",
                         encoding="utf-8")
        touched.append(f"topics/{ORDER_FILE}")
    return touched


def next_steps(name: str) -> str:
    check, topic_test, test = f"make check-topic NAME={name}", f"make test-topic NAME={name}", "make test"
    width = len(topic_test) + 3
    return (f"Created topics/{name}.yml, the skeleton of {name} (listed last in topics/{ORDER_FILE}).\n"
            f"Write over every TODO placeholder in topics/{name}.yml, then run\n"
            f"  {check:<{width}}to check the topic and build the assistant's files from it\n"
            f"  {topic_test:<{width}}to run, in about a minute, the checks a topic can break\n"
            f"  {'make shell':<{width}}to try it in the terminal\n"
            f"  {test:<{width}}to test everything\n"
            "(docs/EXTENDING.md, section 1).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="the new intent, such as ask_preparation")
    args = parser.parse_args()
    name = args.name.strip()
    try:
        scaffold(name)
    except ScaffoldError as error:
        sys.exit(f"new-faq: {error}")
    print(next_steps(name))


if __name__ == "__main__":
    main()
