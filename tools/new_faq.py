"""`make new-faq NAME=ask_something`: the skeleton of a new FAQ topic, for staff to fill in.

Creates data/nlu/<NAME>.yml (training examples) and adds the intent and its answer to domain.yml,
the rule that answers it to data/rules/faq.yml, held-out examples to tests/nlu_holdout.yml, a test
story to tests/stories/faq.yml and a row to docs/INTENTS.md. Every place to fill in says TODO;
`make test` names each one left, with the file and what to write (docs/EXTENDING.md)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import List

import yaml

from clinic.paths import PROJECT_ROOT as ROOT

NAME = re.compile(r"^ask_[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
MAX_NAME = 40
FAQ_BLOCK_END = "  # conversation"
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
    if (root / "data" / "nlu" / f"{name}.yml").exists():
        raise ScaffoldError(f"data/nlu/{name}.yml already exists; pick another name or delete that file")


def nlu_file(name: str) -> str:
    return (f'version: "3.1"\n\nnlu:\n- intent: {name}\n  examples: |\n'
            f"    - {TODO}: 20 or more ways patients ask this, one per line, in their own words\n")


def insert_intent(domain_text: str, name: str) -> str:
    if FAQ_BLOCK_END not in domain_text:
        raise ScaffoldError(f"domain.yml: cannot find the line '{FAQ_BLOCK_END.strip()}' that ends the FAQ intents")
    return domain_text.replace(FAQ_BLOCK_END, f"  - {name}\n{FAQ_BLOCK_END}", 1)


def response_block(name: str) -> str:
    return (
        f"\n  # sources: {TODO} (numbers of the articles in knowledge/sources/ the answer is written from,"
        f" e.g. 001, 003)\n"
        f"  utter_{name}:\n"
        f"    - text: >-\n"
        f"        {TODO}: a short, warm answer of at most 90 words, in your own words, saying only what\n"
        f"        the articles in knowledge/sources/ say.\n"
        f"      buttons:\n"
        f'        - title: "Book a consultation"\n'
        f'          payload: "/book_appointment"\n'
        f'        - title: "Talk to staff"\n'
        f'          payload: "/request_human"\n'
    )


def rule_block(name: str) -> str:
    return f"\n  - rule: answer {name}\n    steps:\n      - intent: {name}\n      - action: utter_{name}\n"


def holdout_block(name: str) -> str:
    return (f"- intent: {name}\n  examples: |\n"
            f"    - {TODO}: 8 or more new ways to ask this, "
            "written by someone who has not seen the training examples\n")


def story_block(name: str) -> str:
    return (f"\n  - story: {name}\n    steps:\n      - user: |\n          {TODO}: one typical question\n"
            f"        intent: {name}\n      - action: utter_{name}\n")


def intents_row(name: str) -> str:
    return f"| `{name}` | {TODO}: what patients ask here | {TODO}: similar questions that belong elsewhere |\n"


def append(path: Path, text: str) -> None:
    current = path.read_text(encoding="utf-8")
    path.write_text(current.rstrip("\n") + "\n" + text, encoding="utf-8")


def scaffold(name: str, root: Path = ROOT) -> List[str]:
    """Creates the skeleton; returns the files touched."""
    check_name(name, root)
    domain = root / "domain.yml"
    domain_text = insert_intent(domain.read_text(encoding="utf-8"), name)
    domain.write_text(domain_text.rstrip("\n") + "\n" + response_block(name), encoding="utf-8")
    (root / "data" / "nlu" / f"{name}.yml").write_text(nlu_file(name), encoding="utf-8")
    append(root / "data" / "rules" / "faq.yml", rule_block(name))
    append(root / "tests" / "nlu_holdout.yml", holdout_block(name))
    append(root / "tests" / "stories" / "faq.yml", story_block(name))
    intents_doc = root / "docs" / "INTENTS.md"
    text = intents_doc.read_text(encoding="utf-8")
    table_end = text.index("\n\n", text.index("| `ask_"))  # the end of the FAQ table
    intents_doc.write_text(text[:table_end] + "\n" + intents_row(name).rstrip("\n") + text[table_end:],
                           encoding="utf-8")
    return [f"data/nlu/{name}.yml", "domain.yml", "data/rules/faq.yml", "tests/nlu_holdout.yml",
            "tests/stories/faq.yml", "docs/INTENTS.md"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="the new intent, such as ask_preparation")
    args = parser.parse_args()
    try:
        touched = scaffold(args.name.strip())
    except ScaffoldError as error:
        sys.exit(f"new-faq: {error}")
    print(f"Created the skeleton of {args.name}. Fill in every TODO in:")
    for path in touched:
        print(f"  {path}")
    print("then run `make test`: it names anything still missing (docs/EXTENDING.md, step 2).")


if __name__ == "__main__":
    main()
