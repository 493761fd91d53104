"""FAQ topic files (topics/<intent>.yml) and the files built from them.

Everything staff write for one FAQ topic is in one file (docs/EXTENDING.md):

    intent: ask_cost                 # the file's name without .yml
    title: Cost                      # short button title when the assistant suggests topics
    covers: price, fees, ...         # docs/INTENTS.md: "belongs here when the user asks ..."
    not_here: whether insurance pays (`ask_insurance`)   # neighbours, named in backticks
    sources: ["000", "002"]          # article numbers in knowledge/sources/ the answer is written from
    sources_note: (can be expensive, coverage limited); prices from the clinic profile   # optional
    answer:                          # Rasa response variations (text, buttons), as in domain.yml
      - text: >-
          ...
        buttons: [...]               # with a "Tell me more" button (payload /tell_me_more) when `more` is given
    more:                            # optional: more detail, sent when the patient asks to hear more
      - text: >-
          ...
        buttons: [...]
    test_question: how much does it cost?   # the test story's user message
    examples: [...]                  # training examples
    held_out: [...]                  # held-out examples for the gate, never used for training

`sources_note` is written after the article numbers in the `# sources:` comment above the answer
in domain.yml, in parentheses unless it starts with one. The order of the topics (domain.yml,
docs/INTENTS.md, the topic buttons) is the order of topics/ORDER, one intent per line.

    python -m tools.topics build   (make topics) writes the generated files
    python -m tools.topics check   lists every generated file that differs from what build writes

`answer` and `more` speak as the clinic ("we", "our team") in plain words: at most about 60 words and
a Flesch-Kincaid grade of 8 (tools/readability.py checks both). `more` becomes the response
utter_more_<intent>, which action_tell_me_more sends for the last topic answered (actions/more.py).

Generated: data/nlu/topics.yml, tests/nlu_holdout_topics.yml and tests/stories/faq.yml whole; the
FAQ intents and answers (utter_<intent>, utter_more_<intent>) in domain.yml, the FAQ rules in
data/rules/faq.yml and the FAQ table in docs/INTENTS.md between marker comments (`>>> NAME,
generated ...` and `<<< NAME`); docs/READABILITY.md whole (tools/readability.py).
clinic/topics.py reads the titles at import."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

from clinic.paths import PROJECT_ROOT as ROOT
from clinic.topics import ORDER_FILE, topic_order, topic_paths

TOPICS = "topics"
REQUIRED_KEYS = ("intent", "title", "covers", "not_here", "sources", "answer", "test_question", "examples",
                 "held_out")
OPTIONAL_KEYS = ("sources_note", "more")
# The button that asks for a topic's `more` text, and the intent it sends.
MORE_PAYLOAD = "/tell_me_more"
NAME = re.compile(r"^ask_[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
ARTICLE = re.compile(r"^\d{3}$")
BACKTICKED = re.compile(r"`([^`]+)`")
MIN_HELD_OUT = 2
FIX_RUN = "run make topics"

NLU_FILE = "data/nlu/topics.yml"
HOLDOUT_FILE = "tests/nlu_holdout_topics.yml"
STORIES_FILE = "tests/stories/faq.yml"
RULES_FILE = "data/rules/faq.yml"
DOMAIN_FILE = "domain.yml"
INTENTS_FILE = "docs/INTENTS.md"
READABILITY_FILE = "docs/READABILITY.md"  # tools/readability.py: words and grade of every answer
WHOLE_FILES = (NLU_FILE, HOLDOUT_FILE, STORIES_FILE, READABILITY_FILE)
GENERATED_FILES = (NLU_FILE, RULES_FILE, DOMAIN_FILE, INTENTS_FILE, HOLDOUT_FILE, STORIES_FILE, READABILITY_FILE)

DO_NOT_EDIT = "generated from topics/*.yml by `make topics`: do not edit; edit topics/<intent>.yml"
HEADER = f"# {DO_NOT_EDIT[0].upper()}{DO_NOT_EDIT[1:]} (docs/EXTENDING.md).\n"
BEGIN = re.compile(r"^\s*(?:#|<!--)\s*>>>\s*(?P<name>[^,]+),")
END = re.compile(r"^\s*(?:#|<!--)\s*<<<\s*(?P<name>[^-]+?)\s*(?:-->)?\s*$")

# What to write where a key is wrong or still says TODO.
FIX = {
    "intent": "write the file's name without .yml, such as ask_preparation",
    "title": "write a short button title, at most a few words, such as \"Cost\"",
    "covers": "list what patients ask here, as in docs/INTENTS.md (\"belongs here when the user asks ...\")",
    "not_here": "name the similar questions that belong elsewhere, each intent in backticks: "
                "whether insurance pays (`ask_insurance`)",
    "sources": "list the numbers of the articles in knowledge/sources/ the answer is written from, "
               "quoted: [\"000\", \"002\"]",
    "sources_note": "a short note on the sources, or delete the line",
    "answer": "write a short, warm answer in the clinic's voice (we, our team), at most about 60 words, grade 8, "
              "from the cited articles, with next-step buttons",
    "more": "write more detail the same way (at most about 60 words, grade 8, from the cited articles), with "
            "next-step buttons; give the answer a button title \"Tell me more\", payload \"/tell_me_more\"",
    "test_question": "write one typical patient question for the test story",
    "examples": "write about 60 ways patients ask this, one per line, each as `- text`",
    "held_out": "write 8 to 16 more ways to ask this, never used for training, ideally by someone who has "
                "not seen the examples",
}


# yaml's C parser when it is installed (the same nodes and marks, many times faster).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TEXT_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
# path -> ((modification time, size), normalised training texts): files read once per change.
_EXAMPLES_CACHE: Dict[Path, Tuple[Tuple[int, int], List[Tuple[str, str]]]] = {}


class TopicError(ValueError):
    """A topic file that cannot be read, or a generated file that cannot be written."""


# ---------------------------------------------------------------- reading and validating topic files

def _where(path: Path) -> str:
    return f"{TOPICS}/{path.name}" if path.parent.name == TOPICS else str(path)


def _message(path: Path, line: int, problem: str, fix: str) -> str:
    return f"{_where(path)}:{line}: {problem} (fix: {fix})"


def _compose(path: Path) -> yaml.Node:
    """The YAML node tree of a topic file (for line numbers); TopicError if it is not a mapping."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise TopicError(_message(path, mark.line + 1 if mark else 1, f"not valid YAML: {problem}",
                                  "correct the indentation, a missing quote or a missing colon there")) from None
    except OSError as error:
        raise TopicError(_message(path, 1, f"cannot be read: {error.strerror}", "check the file exists")) from None
    if not isinstance(node, yaml.MappingNode):
        raise TopicError(_message(path, node.start_mark.line + 1 if node else 1, "not a topic: the file must be "
                                  "a list of keys (intent:, title:, ...)", "start from `make new-faq NAME=...`"))
    return node


def load_topic(path: Path) -> Dict[str, Any]:
    """The topic file as a dict whose values are all text (`sources: [000]` gives "000", an example
    `- no` gives "no"); TopicError ("topics/ask_x.yml:12: ... (fix: ...)") if it is not YAML."""
    _compose(path)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_TEXT_LOADER)


def _keys(node: yaml.MappingNode) -> Dict[str, Tuple[yaml.Node, yaml.Node]]:
    return {key.value: (key, value) for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _text(node: yaml.Node) -> Optional[str]:
    """A scalar's text (None for anything else, or a null)."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
        return None
    return node.value


def _string_problems(path: Path, key: str, node: yaml.Node) -> List[str]:
    text = _text(node)
    if text is None or not text.strip():
        return [_message(path, _line(node), f"`{key}` must be text", FIX[key])]
    if "\n" in text.strip():
        return [_message(path, _line(node), f"`{key}` must be one line", FIX[key])]
    return []


def _list_of_strings(path: Path, key: str, node: yaml.Node) -> Tuple[List[str], List[Tuple[str, int]]]:
    """(problems, [(text, line)]) for a list of one-line texts."""
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        return [_message(path, _line(node), f"`{key}` must be a list, one `- ...` item per line", FIX[key])], []
    problems, items = [], []
    for item in node.value:
        text = _text(item)
        if text is None or not isinstance(item, yaml.ScalarNode) or not text.strip() or "\n" in text.strip():
            problems.append(_message(path, _line(item), f"each item of `{key}` must be one line of text", FIX[key]))
        else:
            items.append((text.strip(), _line(item)))
    return problems, items


def _structure_problems(path: Path, root: yaml.MappingNode) -> List[str]:
    """What build needs: every key, of the right kind, and the intent named after the file."""
    keys = _keys(root)
    problems = [_message(path, _line(key), f"unknown key `{name}`",
                         f"remove it or correct its spelling; the keys are {', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)}")
                for name, (key, _) in keys.items() if name not in REQUIRED_KEYS + OPTIONAL_KEYS]
    missing = [name for name in REQUIRED_KEYS if name not in keys]
    problems += [_message(path, 1, f"`{name}:` is missing", f"add it: {FIX[name]}") for name in missing]
    for name in ("intent", "title", "covers", "not_here", "test_question"):
        if name in keys:
            problems += _string_problems(path, name, keys[name][1])
    if "sources_note" in keys:
        problems += _string_problems(path, "sources_note", keys["sources_note"][1])
    if "intent" in keys and _text(keys["intent"][1]) and _text(keys["intent"][1]) != path.stem:
        problems.append(_message(path, _line(keys["intent"][1]),
                                 f"`intent: {_text(keys['intent'][1])}` does not match the file name",
                                 f"write `intent: {path.stem}`, or rename the file to "
                                 f"topics/{_text(keys['intent'][1])}.yml"))
    for name in ("sources", "examples", "held_out"):
        if name in keys and not (name == "sources" and _no_articles_needed(keys)):
            problems += _list_of_strings(path, name, keys[name][1])[0]
    for name in ("answer", "more"):
        if name in keys:
            problems += _answer_problems(path, keys[name][1], name)
    if "answer" in keys and isinstance(keys["answer"][1], yaml.SequenceNode):
        problems += _more_button_problems(path, keys["answer"][1], "more" in keys)
    return problems


# An answer that is wholly the clinic profile's ("{clinic_policy_getting_home}") makes no medical
# claim, so it cites no article: `sources: []`.
PROFILE_ONLY = re.compile(r"^\s*(?:\{clinic_\w+\}\s*)+$")


def profile_only(texts: Iterable[str]) -> bool:
    texts = list(texts)
    return bool(texts) and all(PROFILE_ONLY.match(text or "") for text in texts)


def _no_articles_needed(keys: Dict[str, Tuple[yaml.Node, yaml.Node]]) -> bool:
    sources, answer = keys["sources"][1], keys.get("answer", (None, None))[1]
    if not isinstance(sources, yaml.SequenceNode) or sources.value or not isinstance(answer, yaml.SequenceNode):
        return False
    texts = [_text(_keys(v)["text"][1]) if isinstance(v, yaml.MappingNode) and "text" in _keys(v) else None
             for v in answer.value]
    return profile_only(texts)


def _payloads(variation: yaml.Node) -> List[str]:
    fields = _keys(variation) if isinstance(variation, yaml.MappingNode) else {}
    buttons = fields.get("buttons", (None, None))[1]
    if not isinstance(buttons, yaml.SequenceNode):
        return []
    return [_text(_keys(button).get("payload", (None, None))[1]) or "" for button in buttons.value
            if isinstance(button, yaml.MappingNode)]


def _more_button_problems(path: Path, answer: yaml.SequenceNode, has_more: bool) -> List[str]:
    """With `more`, every answer variation offers it (a button to /tell_me_more); without, none does."""
    problems = []
    for variation in answer.value:
        offered = MORE_PAYLOAD in _payloads(variation)
        if has_more and not offered:
            problems.append(_message(path, _line(variation), "the topic has `more:` but this answer variation "
                                     "has no \"Tell me more\" button", f"add a button title \"Tell me more\", "
                                     f"payload \"{MORE_PAYLOAD}\""))
        elif offered and not has_more:
            problems.append(_message(path, _line(variation), "this answer variation offers \"Tell me more\" but "
                                     "the topic has no `more:`", f"add `more:` ({FIX['more']}), or remove the "
                                     "button"))
    return problems


def _answer_problems(path: Path, node: yaml.Node, key: str = "answer") -> List[str]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        return [_message(path, _line(node), f"`{key}` must be a list of variations, each `- text: ...`",
                         FIX[key])]
    problems = []
    for variation in node.value:
        fields = _keys(variation) if isinstance(variation, yaml.MappingNode) else {}
        text = _text(fields["text"][1]) if "text" in fields else None
        if not text or not text.strip():
            problems.append(_message(path, _line(variation), f"an `{key}` variation has no `text:`", FIX[key]))
        buttons = fields.get("buttons", (None, None))[1]
        if not isinstance(buttons, yaml.SequenceNode) or not buttons.value:
            problems.append(_message(path, _line(variation), f"an `{key}` variation has no `buttons:` (a next step)",
                                     "add buttons such as title \"Book a consultation\", "
                                     "payload \"/book_appointment\""))
            continue
        for button in buttons.value:
            parts = _keys(button) if isinstance(button, yaml.MappingNode) else {}
            if not all(_text(parts.get(k, (None, None))[1]) for k in ("title", "payload")):
                problems.append(_message(path, _line(button), "a button needs a `title:` and a `payload:`",
                                         "write `- title: \"Cost\"` and, below it, `payload: \"/ask_cost\"`"))
    return problems


def _todo_problems(path: Path, root: yaml.MappingNode) -> List[str]:
    problems = []
    for name, (_, value) in _keys(root).items():
        stack = [value]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.ScalarNode) and "TODO" in node.value:
                problems.append((_line(node), name))
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
            elif isinstance(node, yaml.MappingNode):
                stack.extend(v for pair in node.value for v in pair)
    return [_message(path, line, f"`{name}` still says TODO", FIX.get(name, "fill it in"))
            for line, name in sorted(set(problems))]


def normalised(text: str) -> str:
    """Text compared the way the held-out checks compare it: lower case, punctuation as spaces."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


ARTICLES_DIR = Path("knowledge") / "sources"
ARTICLE_FILES = "[0-9][0-9][0-9]-*.txt"


def article_ids(root: Path) -> set:
    """The numbers ("000", "001", ...) of the source articles the answers may cite."""
    return {path.name[:3] for path in (root / ARTICLES_DIR).glob(ARTICLE_FILES)}


def articles_problem(root: Path) -> Optional[str]:
    """Why the source articles cannot be read (the folder or its articles are missing), or None:
    without them every `sources:` line would look wrong, so callers say this once instead."""
    folder = root / ARTICLES_DIR
    restore = ("the source articles (NNN-title.txt, listed with their checksums in its README.md) belong in the "
               "repository; restore the folder (git checkout -- knowledge/sources)")
    if not folder.is_dir():
        return f"articles folder not found at {folder}: {restore}"
    if not any(folder.glob(ARTICLE_FILES)):
        return f"no articles (NNN-title.txt) in the articles folder {folder}: {restore}"
    return None


def known_intents(root: Path) -> set:
    """The domain's intents and every topic's intent."""
    try:
        domain = yaml.load((root / DOMAIN_FILE).read_text(encoding="utf-8"), Loader=_SAFE_LOADER) or {}
    except (OSError, yaml.YAMLError):
        domain = {}
    return set(domain.get("intents") or []) | {path.stem for path in (root / TOPICS).glob("*.yml")}


def _examples(path: Path, root: Path) -> List[Tuple[str, str]]:
    """(normalised text, where) of the training examples of an NLU file or a topic file."""
    from tools.nlu_eval import load_examples

    stat = path.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _EXAMPLES_CACHE.get(path.resolve())
    if cached and cached[0] == key:
        return cached[1]
    if path.parent.name == TOPICS:
        try:
            examples = load_topic(path).get("examples")
        except TopicError:
            examples = []
        found = [(normalised(str(text)), f"{TOPICS}/{path.name}")
                 for text in (examples if isinstance(examples, list) else [])]
    else:
        name = path.relative_to(root).as_posix()
        found = [(normalised(text), f"{name}, {intent}") for text, intent in load_examples(path)]
    _EXAMPLES_CACHE[path.resolve()] = (key, found)
    return found


def training_texts(root: Path, skip: Path) -> Dict[str, str]:
    """normalised text -> where it is a training example: data/nlu/ (but the file built from the
    topics) and every other topic file's examples."""
    found: Dict[str, str] = {}
    paths = [p for p in sorted((root / "data" / "nlu").glob("*.yml")) if p.relative_to(root).as_posix() != NLU_FILE]
    for path in paths + [p for p in topic_paths(root / TOPICS) if p.resolve() != skip.resolve()]:
        for text, where in _examples(path, root):
            found.setdefault(text, where)
    return found


def validate_topic(path: Path, root: Optional[Path] = None) -> List[str]:
    """Every problem of one topic file, each "topics/ask_x.yml:12: what is wrong (fix: what to do)";
    empty when the file is ready. `root` is the project (by default the folder above topics/)."""
    path = Path(path)
    root = Path(root) if root else path.resolve().parent.parent
    try:
        node = _compose(path)
    except TopicError as error:
        return [str(error)]
    problems = _structure_problems(path, node) + _todo_problems(path, node)
    keys = _keys(node)
    if path.parent.name == TOPICS and (path.parent / ORDER_FILE).is_file() \
            and path.stem not in topic_order(path.parent):
        problems.append(_message(path, 1, f"the topic is not listed in {TOPICS}/{ORDER_FILE}",
                                 f"add a line '{path.stem}' to {TOPICS}/{ORDER_FILE} where the topic belongs "
                                 "(make new-faq adds it last)"))
    if "sources" in keys:
        known = article_ids(root)
        for text, line in _list_of_strings(path, "sources", keys["sources"][1])[1]:
            if "TODO" in text:
                continue  # named once, as a TODO
            if not ARTICLE.match(text):
                problems.append(_message(path, line, f"source `{text}` is not a three-digit article number",
                                         FIX["sources"]))
            elif known and text not in known:  # no articles at all: the articles' own check says so, once
                problems.append(_message(path, line, f"there is no article {text} in knowledge/sources/",
                                         f"cite one of {', '.join(sorted(known))}, or add the article first"))
    if "intent" in keys and _text(keys["intent"][1]) and not NAME.match(_text(keys["intent"][1])):
        problems.append(_message(path, _line(keys["intent"][1]), "an FAQ intent name is ask_ then lower-case words "
                                 "joined by underscores", "rename the file and the intent, such as ask_preparation"))
    if "not_here" in keys and _text(keys["not_here"][1]):
        line, text = _line(keys["not_here"][1]), _text(keys["not_here"][1])
        named, intents = BACKTICKED.findall(text), known_intents(root)
        unknown = [name for name in named if name not in intents]
        if not named:
            problems.append(_message(path, line, "`not_here` names no intent", FIX["not_here"]))
        if unknown:
            problems.append(_message(path, line, f"`not_here` names intents that do not exist: {', '.join(unknown)}",
                                     "use intent names from domain.yml or topics/, in backticks"))
    for name in ("covers", "not_here"):
        if name in keys and "|" in (_text(keys[name][1]) or ""):
            problems.append(_message(path, _line(keys[name][1]), f"`{name}` contains `|`, which breaks the table "
                                     "in docs/INTENTS.md", "write it without `|` (use / or 'or')"))
    if "held_out" in keys:
        _, held_out = _list_of_strings(path, "held_out", keys["held_out"][1])
        if isinstance(keys["held_out"][1], yaml.SequenceNode) and len(keys["held_out"][1].value) < MIN_HELD_OUT:
            problems.append(_message(path, _line(keys["held_out"][1]),
                                     f"`held_out` needs at least {MIN_HELD_OUT} examples", FIX["held_out"]))
        training = training_texts(root, path)
        own = {normalised(text) for text, _ in _list_of_strings(path, "examples", keys["examples"][1])[1]} \
            if "examples" in keys else set()
        for text, line in held_out:
            where = f"{TOPICS}/{path.name}, examples" if normalised(text) in own else training.get(normalised(text))
            if where:
                problems.append(_message(path, line, f"held-out example '{text}' is also a training example "
                                         f"({where})", "reword it here, or remove it from the training examples"))
    return sorted(set(problems), key=lambda m: (int(m.split(":")[1]), m))


# ---------------------------------------------------------------- the generated files

class Topic:
    """A topic file read for building."""

    def __init__(self, path: Path):
        node = _compose(path)
        problems = _structure_problems(path, node)
        if problems:
            raise TopicError("\n".join(problems))
        self.path = path
        self.data: Dict[str, Any] = load_topic(path)
        self.intent: str = self.data["intent"].strip()
        self.nodes: Dict[str, yaml.Node] = {key: value for key, (_, value) in _keys(node).items()
                                            if key in ("answer", "more")}

    def __getitem__(self, key: str) -> Any:
        value = self.data[key]
        return value.strip() if isinstance(value, str) else value

    def items(self, key: str) -> List[str]:
        return [text.strip() for text in self.data[key]]

    def sources_comment(self) -> str:
        note = (self.data.get("sources_note") or "").strip()
        if note and not note.startswith("("):
            note = f"({note})"
        return f"# sources: {', '.join(self['sources']) or 'none'}" + (f" {note}" if note else "")

    @property
    def has_more(self) -> bool:
        return "more" in self.nodes

    def answer_lines(self, key: str = "answer") -> List[str]:
        """The answer (or `more`) as it goes under `utter_<intent>:` (`utter_more_<intent>:`) in
        domain.yml (indented by four): the topic file's own lines when they read back the same,
        otherwise a plain dump."""
        text = self.path.read_text(encoding="utf-8")
        answer = yaml.safe_load(text)[key]
        lines, node = text.splitlines(), self.nodes[key]
        start, end = node.start_mark.line, node.end_mark.line + (1 if node.end_mark.column else 0)
        block = lines[start:end]
        while block and (not block[-1].strip() or block[-1].lstrip().startswith("#")):
            block.pop()
        column = node.start_mark.column
        if block and not block[0][:column].strip():
            shifted = [(" " * (4 + len(line) - len(line.lstrip()) - column) + line.lstrip()) if line.strip() else ""
                       for line in block]
            if all(len(line) - len(line.lstrip()) >= 4 for line in shifted if line) \
                    and yaml.safe_load("x:\n" + "\n".join(shifted)) == {"x": answer}:
                return shifted
        dumped = yaml.safe_dump(answer, sort_keys=False, allow_unicode=True, width=92)
        return ["    " + line if line else "" for line in dumped.splitlines()]


def load_topics(root: Path = ROOT) -> List[Topic]:
    """Every topic file, in topic order; TopicError listing every file build cannot use."""
    topics, problems = [], []
    for path in topic_paths(root / TOPICS):
        try:
            topics.append(Topic(path))
        except TopicError as error:
            problems.append(str(error))
    if problems:
        raise TopicError("\n".join(problems))
    return topics


def _literal_examples(texts: Iterable[str]) -> str:
    return "".join(f"    - {text}\n" for text in texts)


def nlu_document(topics: Sequence[Topic], items: str, what: str) -> str:
    blocks = [f"- intent: {topic.intent}\n  examples: |\n{_literal_examples(topic.items(items))}" for topic in topics]
    return f'{HEADER}# {what}\nversion: "3.1"\n\nnlu:\n' + "\n".join(blocks)


def stories_document(topics: Sequence[Topic]) -> str:
    stories = [f"  - story: {topic.intent}\n    steps:\n      - user: |\n          {topic['test_question']}\n"
               f"        intent: {topic.intent}\n      - action: utter_{topic.intent}\n" for topic in topics]
    return (f'{HEADER}version: "3.1"\n\n# One story per FAQ topic (its test_question): a patient\'s question, '
            "classified and answered.\nstories:\n" + "\n".join(stories))


def rules_region(topics: Sequence[Topic]) -> str:
    return "\n".join(f"  - rule: answer {t.intent}\n    steps:\n      - intent: {t.intent}\n"
                     f"      - action: utter_{t.intent}\n" for t in topics)


def second_question_rules_region(topics: Sequence[Topic]) -> str:
    return "\n".join(f"  - rule: answer {t.intent}, then the other question asked with it\n"
                     "    condition:\n      - slot_was_set:\n          - second_question: asked\n"
                     f"    steps:\n      - intent: {t.intent}\n      - action: utter_{t.intent}\n"
                     "      - action: action_answer_second_question\n      - slot_was_set:\n"
                     "          - second_question: null\n" for t in topics)


def topic_mappings_region(topics: Sequence[Topic]) -> str:
    return "".join(f"      - type: from_intent\n        intent: {t.intent}\n        value: {t.intent}\n"
                   for t in topics)


def intents_region(topics: Sequence[Topic]) -> str:
    return "".join(f"  - {topic.intent}\n" for topic in topics)


def answers_region(topics: Sequence[Topic]) -> str:
    """utter_<intent> for every topic, and utter_more_<intent> after it for a topic with `more`."""
    blocks = []
    for topic in topics:
        blocks.append(f"  {topic.sources_comment()}\n  utter_{topic.intent}:\n"
                      + "\n".join(topic.answer_lines()) + "\n")
        if topic.has_more:
            blocks.append(f"  {topic.sources_comment()}\n  utter_more_{topic.intent}:\n"
                          + "\n".join(topic.answer_lines("more")) + "\n")
    return "\n".join(blocks)


def table_region(topics: Sequence[Topic]) -> str:
    rows = "".join(f"| `{t.intent}` | {t['covers']} | {t['not_here']} |\n" for t in topics)
    return ("\n| intent | a message belongs here when the user asks ... | not here (goes to) |\n|---|---|---|\n"
            f"{rows}\n")


def replace_regions(text: str, where: str, contents: Dict[str, str]) -> str:
    """`text` with the lines between each `>>> NAME, ...` and `<<< NAME` marker replaced."""
    lines = text.splitlines(keepends=True)
    for name, content in contents.items():
        begin = next((n for n, line in enumerate(lines) if (m := BEGIN.match(line)) and m["name"].strip() == name),
                     None)
        end = next((n for n, line in enumerate(lines) if (m := END.match(line)) and m["name"].strip() == name
                    and begin is not None and n > begin), None)
        if begin is None or end is None:
            raise TopicError(f"{where}: the marker comments around the {name} are missing (a line with "
                             f"'>>> {name}, {DO_NOT_EDIT}' and, below, a line with '<<< {name}'); "
                             "restore them from the repository's history")
        lines[begin + 1:end] = [content]
    return "".join(lines)


def expected_files(root: Path = ROOT) -> Dict[str, str]:
    """Generated file (relative to the project) -> the content build writes."""
    from tools.readability import readings, table

    topics = load_topics(root)
    files = {
        READABILITY_FILE: table(readings(topics)),
        NLU_FILE: nlu_document(topics, "examples", "The FAQ topics' training examples (key `examples`)."),
        HOLDOUT_FILE: nlu_document(topics, "held_out", "The FAQ topics' held-out examples (key `held_out`): "
                                                       "never used for training."),
        STORIES_FILE: stories_document(topics),
    }
    regions = {
        DOMAIN_FILE: {"FAQ intents": intents_region(topics), "FAQ answers": answers_region(topics),
                      "FAQ topic mappings": topic_mappings_region(topics)},
        RULES_FILE: {"FAQ rules": rules_region(topics),
                     "FAQ second question rules": second_question_rules_region(topics)},
        INTENTS_FILE: {"FAQ table": table_region(topics)},
    }
    for name, contents in regions.items():
        path = root / name
        if not path.is_file():
            raise TopicError(f"{name} is missing: restore it from the repository's history, then {FIX_RUN}")
        files[name] = replace_regions(path.read_text(encoding="utf-8"), name, contents)
    return {name: files[name] for name in GENERATED_FILES}


def stale_files(root: Path = ROOT) -> List[str]:
    """The generated files that differ from what build would write (stale, or edited by hand)."""
    return [name for name, content in expected_files(root).items()
            if not (root / name).is_file() or (root / name).read_text(encoding="utf-8") != content]


def build(root: Path = ROOT) -> List[str]:
    """Writes the generated files that changed; returns them."""
    changed = []
    for name, content in expected_files(root).items():
        path = root / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            changed.append(name)
    return changed


def generated_line_numbers(name: str, text: str) -> set:
    """1-based numbers of the lines of `text` (the file `name`) that build writes."""
    if name in WHOLE_FILES:
        return set(range(1, len(text.splitlines()) + 1))
    numbers, inside = set(), False
    for number, line in enumerate(text.splitlines(), start=1):
        if BEGIN.match(line):
            inside = True
        elif END.match(line):
            inside = False
        elif inside:
            numbers.add(number)
    return numbers


def order_problems(root: Path = ROOT) -> List[str]:
    """topics/ORDER names each topic file once, and nothing else."""
    listed = topic_order(root / TOPICS)
    files = {path.stem for path in (root / TOPICS).glob("*.yml")}
    problems = [f"{TOPICS}/{ORDER_FILE}: '{name}' has no topic file (fix: remove the line, or add "
                f"{TOPICS}/{name}.yml)" for name in listed if name not in files]
    problems += [f"{TOPICS}/{ORDER_FILE}: '{name}' is listed more than once (fix: keep one line)"
                 for name in sorted({n for n in listed if listed.count(n) > 1})]
    problems += [f"{TOPICS}/{ORDER_FILE}: {TOPICS}/{name}.yml is not listed (fix: add a line '{name}' where the "
                 "topic belongs among the others)" for name in sorted(files - set(listed))]
    return problems


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("build", "check"))
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            changed = build(args.root)
            print(f"topics: wrote {', '.join(changed)}" if changed else "topics: the generated files are up to date")
            return 0
        # The one check of the topic files (make check-topic and the tests use it too), before
        # anything is built from them.
        problems = order_problems(args.root) + [problem for path in sorted((args.root / TOPICS).glob("*.yml"))
                                                for problem in validate_topic(path, args.root)]
        if problems:
            print("topics: fix these in the topic files, then run make check-topic NAME=<intent>:\n"
                  + "".join(f"  {problem}\n" for problem in problems), file=sys.stderr)
            return 1
        stale = stale_files(args.root)
    except TopicError as error:
        print(f"topics: cannot build the generated files:\n{error}", file=sys.stderr)
        return 1
    if stale:
        print("topics: these files differ from what topics/*.yml generate (stale, or edited by hand):\n"
              + "".join(f"  {name}\n" for name in stale)
              + f"fix: {FIX_RUN} (edit topics/<intent>.yml, never the generated files)", file=sys.stderr)
        return 1
    print("topics: the generated files are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
