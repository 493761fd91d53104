"""Consistency of training data, domain and rules. Each failure names the file and the fix."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from tests.support.project import ROOT, read_yaml, source_article_ids
from tools.topics import normalised

MIN_FAQ_EXAMPLES = 20
MIN_OUT_OF_SCOPE_EXAMPLES = 60
# Where staff edit an FAQ topic: its topic file, from which `make topics` builds domain.yml and data/.
TOPIC_FILE = "topics/<intent>.yml"
SLOT_REFERENCE = re.compile(r"\{(\w+)\}")
# Rasa's own actions, usable in rules without being declared.
RASA_DEFAULT_ACTIONS = {"action_listen", "action_deactivate_loop", "action_restart", "action_back",
                        "action_default_fallback", "action_two_stage_fallback"}
# Crisis lines (911, 988, text 741741) are safety information, not facts from the articles.
CRISIS_LINE_NUMBERS = {"911", "988", "741741"}
# Template variables that actions pass with the response rather than as slots.
ACTION_VARIABLES = {"time_window", "reference", "topic_title", "previous_title"}


def rule_and_story_actions() -> dict:
    """intent -> actions that directly follow it in any rule or story under data/."""
    following = defaultdict(set)
    for path in sorted((ROOT / "data").rglob("*.yml")):
        document = read_yaml(path)
        for flow in document.get("rules", []) + document.get("stories", []):
            steps = flow.get("steps", [])
            for step, nxt in zip(steps, steps[1:]):
                if "intent" in step and "action" in nxt:
                    following[step["intent"]].add(nxt["action"])
    return following


def test_no_scaffold_placeholders_are_left():
    """`make new-faq` marks every place to fill in with TODO in the topic file, which the one check
    of topic files reads (tests/repository/test_topics.py); here, the files written by hand beside
    them (the lines built from topic files are theirs)."""
    from tools.topics import generated_line_numbers

    files = [ROOT / "domain.yml",
             *sorted((ROOT / "tests").glob("nlu_holdout*.yml")), ROOT / "docs" / "INTENTS.md",
             *sorted((ROOT / "data").rglob("*.yml")),
             *sorted((ROOT / "tests" / "stories").glob("*.yml"))]
    left = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        generated = generated_line_numbers(path.relative_to(ROOT).as_posix(), text)
        left += [f"  {path.relative_to(ROOT)}, line {number}: {line.strip()}"
                 for number, line in enumerate(text.splitlines(), start=1)
                 if "TODO" in line and number not in generated]
    assert not left, ("Fill in what `make new-faq` left, replacing each TODO line "
                      "(docs/EXTENDING.md, step 2):\n" + "\n".join(left))


def test_every_faq_intent_has_a_test_story(faq_intents):
    stories = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests" / "stories").glob("*.yml"))
    missing = [i for i in faq_intents if f"intent: {i}\n" not in stories]
    assert not missing, (f"{TOPIC_FILE}: give the topic a test_question (a story in tests/stories/faq.yml), "
                         f"or add a story to tests/stories/, for: {missing}")


def test_every_contract_intent_is_in_the_domain(domain, topic_contract):
    missing = [i for i in topic_contract["faq"] + topic_contract["conversation"]
               if i not in domain["intents"]]
    assert not missing, f"domain.yml: add these contract intents under 'intents:': {missing}"


def test_every_faq_intent_has_enough_examples(faq_intents, training_examples):
    counts = defaultdict(int)
    for _, intent, _ in training_examples:
        counts[intent] += 1
    too_few = {i: counts[i] for i in faq_intents if counts[i] < MIN_FAQ_EXAMPLES}
    assert not too_few, (
        f"{TOPIC_FILE} (examples) or data/nlu/: these FAQ intents need at least {MIN_FAQ_EXAMPLES} examples: "
        f"{too_few}"
    )
    assert counts["out_of_scope"] >= MIN_OUT_OF_SCOPE_EXAMPLES, (
        f"data/nlu/out_of_scope.yml: out_of_scope needs at least {MIN_OUT_OF_SCOPE_EXAMPLES} examples"
    )


def test_no_example_is_under_two_intents_or_repeated(training_examples):
    seen = {}
    problems = []
    for text, intent, path in training_examples:
        key = normalised(text)
        if key in seen:
            other_intent, other_path = seen[key]
            problems.append(f"'{text}' in {path} ({intent}) repeats {other_path} ({other_intent})")
        else:
            seen[key] = (intent, path)
    assert not problems, "remove or reword these examples:\n" + "\n".join(problems)


def test_every_intent_with_examples_is_declared(domain, training_examples):
    undeclared = sorted({i for _, i, _ in training_examples} - set(domain["intents"]))
    assert not undeclared, f"domain.yml: declare these intents used in data/nlu/: {undeclared}"


def test_every_intent_has_a_response_or_action_in_a_rule(domain):
    following = rule_and_story_actions()
    unanswered = [i for i in domain["intents"] if not following.get(i)]
    assert not unanswered, (
        f"data/rules/: add a rule answering these intents (see data/rules/faq.yml): {unanswered}"
    )
    unknown = {a for actions in following.values() for a in actions
               if a not in domain["responses"] and a not in domain["actions"]
               and a not in domain.get("forms", {}) and a not in RASA_DEFAULT_ACTIONS}
    assert not unknown, f"domain.yml: these actions used in rules or stories do not exist: {unknown}"


def test_every_faq_intent_has_its_own_answer(domain, faq_intents):
    missing = [i for i in faq_intents if f"utter_{i}" not in domain["responses"]]
    assert not missing, f"domain.yml: add a response utter_<intent> for: {missing}"


def test_responses_are_non_empty_and_use_only_known_slots(domain):
    slots = set(domain.get("slots", {})) | ACTION_VARIABLES
    for name, variations in domain["responses"].items():
        assert variations, f"domain.yml: response {name} has no variation"
        for variation in variations:
            text = (variation.get("text") or "").strip()
            assert text, f"domain.yml: response {name} has an empty text"
            unknown = set(SLOT_REFERENCE.findall(text)) - slots
            for button in variation.get("buttons", []):
                unknown |= set(SLOT_REFERENCE.findall(button.get("title", ""))) - slots
            assert not unknown, f"domain.yml: response {name} uses unknown slots {unknown}"


def test_faq_answers_are_short_and_plain(domain, faq_intents):
    """Every FAQ answer in domain.yml (and its "tell me more" text): at most MAX_WORDS words and
    grade MAX_GRADE (tools/readability.py; tests/repository/test_readability.py checks the topic files)."""
    from tools.readability import MAX_GRADE, MAX_WORDS, read

    too_hard = {}
    for intent in faq_intents:
        for name in (f"utter_{intent}", f"utter_more_{intent}"):
            for variation in domain["responses"].get(name, []):
                reading = read(variation["text"])
                if reading.words > MAX_WORDS or round(reading.grade, 1) > MAX_GRADE:
                    too_hard[name] = f"{reading.words} words, grade {reading.grade:.1f}"
    assert not too_hard, (f"{TOPIC_FILE} (answer, more) or domain.yml: shorten these to at most {MAX_WORDS} words "
                          f"and grade {MAX_GRADE:.0f} (make readability shows each): {too_hard}")


def test_faq_answers_end_with_a_next_step(domain, faq_intents):
    without = [i for i in faq_intents
               if not all(v.get("buttons") for v in domain["responses"][f"utter_{i}"])]
    assert not without, f"{TOPIC_FILE} (answer) or domain.yml: give these answers next-step buttons: {without}"


def test_faq_answers_note_their_source_articles(domain, faq_intents):
    """The line above each FAQ answer in domain.yml says which source articles back it; "none" only
    for an answer that is wholly the clinic profile's (a clinic policy), which makes no medical claim."""
    from tools.topics import profile_only

    source_ids = source_article_ids()  # skips the test without the articles: test_sources.py says so, once
    lines = (ROOT / "domain.yml").read_text(encoding="utf-8").splitlines()
    problems = []
    for intent in faq_intents:
        index = next((n for n, line in enumerate(lines) if line.strip() == f"utter_{intent}:"), None)
        comment = lines[index - 1].strip() if index else ""
        if comment.startswith("# sources: none") and profile_only(
                v.get("text") for v in domain["responses"][f"utter_{intent}"]):
            continue
        cited = set(re.findall(r"\b(\d{3})\b", comment))
        if not comment.startswith("# sources:") or not cited or not cited <= source_ids:
            problems.append(intent)
    assert not problems, (
        f"{TOPIC_FILE}: list the articles in `sources:` (numbers of articles in knowledge/sources/), or for an "
        f"answer written in domain.yml put '# sources: 000, 002' on the line above it, for: {problems}"
    )


def test_every_number_in_an_faq_answer_is_in_a_cited_article(domain, faq_intents):
    """A figure in an answer (minutes, percentages, a year count) must come from an article it cites."""
    from tests.support.project import SOURCES
    from tools.topics import ARTICLE_FILES

    source_article_ids()  # skips the test without the articles: test_sources.py says so, once
    articles = {path.name[:3]: path.read_text(encoding="utf-8") for path in SOURCES.glob(ARTICLE_FILES)}
    lines = (ROOT / "domain.yml").read_text(encoding="utf-8").splitlines()
    unbacked = {}
    for intent in faq_intents:
        for name in (f"utter_{intent}", f"utter_more_{intent}"):
            if name not in domain["responses"]:
                continue
            index = next(n for n, line in enumerate(lines) if line.strip() == f"{name}:")
            cited = re.findall(r"\b(\d{3})\b", lines[index - 1].split("(")[0])
            text = " ".join(articles.get(number, "") for number in cited)
            for variation in domain["responses"][name]:
                answer = SLOT_REFERENCE.sub(" ", variation["text"])
                numbers = set(re.findall(r"\d+", answer)) - CRISIS_LINE_NUMBERS
                missing = sorted(n for n in numbers if not re.search(rf"(?<!\d){n}(?!\d)", text))
                if missing:
                    unbacked[name] = (missing, cited)
    assert not unbacked, (f"{TOPIC_FILE} or domain.yml: these answers give figures that none of their cited "
                          "articles (knowledge/sources/) states; correct the figure or the sources: "
                          f"{unbacked}")


def test_responses_sent_by_actions_exist(domain):
    """Responses that only custom actions send must exist, and every response is reachable."""
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "actions").glob("*.py"))
    sent_by_actions = set(re.findall(r'"(utter_\w+)"', code))
    assert sent_by_actions <= set(domain["responses"]), (
        f"domain.yml: actions send responses that do not exist: {sent_by_actions - set(domain['responses'])}"
    )
    asked_by_forms = {f"utter_ask_{slot}" for form in domain.get("forms", {}).values()
                      for slot in form["required_slots"]}
    missing_questions = asked_by_forms - set(domain["responses"])
    assert not missing_questions, f"domain.yml: forms need these questions: {missing_questions}"
    # action_tell_me_more (actions/more.py) sends utter_more_<topic> for the last topic answered.
    sent_for_more = {name for name in domain["responses"] if name.startswith("utter_more_ask_")} \
        if "action_tell_me_more" in domain["actions"] else set()
    used = ({a for actions in rule_and_story_actions().values() for a in actions}
            | sent_by_actions | asked_by_forms | sent_for_more)
    unused = sorted(set(domain["responses"]) - used)
    assert not unused, f"domain.yml: these responses are never sent; use or remove them: {unused}"


def test_button_payloads_name_known_intents(domain):
    bad = {}
    for name, variations in domain["responses"].items():
        for variation in variations:
            for button in variation.get("buttons", []):
                if not button["payload"].startswith("/"):
                    continue  # plain text, read by the classifier like typed text
                intent = button["payload"].lstrip("/").split("{")[0]
                if intent not in domain["intents"]:
                    bad[name] = button["payload"]
    assert not bad, f"domain.yml: these buttons send unknown intents: {bad}"


def test_holdout_is_not_copied_from_training(training_examples):
    """The whole held-out set: the topics' held-out examples and tests/nlu_holdout.yml."""
    from tools.nlu_eval import holdout_paths, load_examples

    paths = holdout_paths(ROOT)
    training = {normalised(t) for t, _, _ in training_examples}
    copied = [f"{path.relative_to(ROOT)} ({intent}): {text}" for path in paths
              for text, intent in load_examples(path) if normalised(text) in training]
    assert len(paths) == 2 and all(path.is_file() for path in paths), f"held-out files missing: {paths}"
    assert not copied, (f"these held-out examples are also training data (for an FAQ topic: held_out in "
                        f"{TOPIC_FILE}); reword or remove them:\n" + "\n".join(copied))


def test_holdout_covers_every_intent(domain):
    from tools.nlu_eval import load_holdout

    counts = defaultdict(int)
    for _, intent in load_holdout():
        counts[intent] += 1
    thin = {i: counts[i] for i in domain["intents"] if counts[i] < 8}
    assert not thin, (f"give these intents at least 8 held-out examples ({TOPIC_FILE}, held_out, for an FAQ "
                      f"topic; tests/nlu_holdout.yml otherwise): {thin}")


@pytest.mark.parametrize("profile", sorted(p for p in (ROOT / "clinic").glob("*.yml") if p.name != "crisis_lines.yml"),
                         ids=lambda p: p.name)
def test_shipped_profiles_load(profile: Path):
    from clinic.profile import load_profile

    assert load_profile(profile).name
