"""Crisis detection that runs on every message after intent classification.

Curated patterns (suicide, self-harm, overdose, plans and means, emergencies, third person,
slang and misspellings) and the classifier's own `crisis` reading decide together. On a hit
the intent becomes `crisis` with confidence 1.0 and the message records which rule fired
(`crisis_detection` in the parse data). A message the classifier reads as a crisis (its top
intent, or a crisis score above the threshold) stays one unless it is plainly a question about
treatment or past history, a figure of speech ("this form is killing me") or an explicit
denial ("I'm not suicidal"); then the classifier's next reading answers it. So "can ketamine
help with suicidal thoughts" stays `ask_conditions_treated`, while the same words with "I've
been having..." are a crisis.

The phrase patterns are data: `crisis_patterns.yml` next to this module, one entry per phrase
family with its rule name, what it covers, the pattern in readable pieces and messages it must
catch. They are read and compiled once, at import; a malformed entry or a pattern that does not
compile stops the import with the file and entry named. The context patterns below (treatment
words, questions, past history, present danger, figures of speech) stay here, next to the
judgement that uses them (`CrisisRules.detect`).

Patterns are deliberately broad: a false alarm costs a visitor one extra paragraph of
crisis resources, a miss can cost a life.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Pattern, Text, Tuple, Union

import yaml
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.core.constants import DEFAULT_NLU_FALLBACK_THRESHOLD
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.payload_guard import TYPED_COMMAND
from clinic.text import normalise
from components.stateless import StatelessComponent, fallback_threshold
from components.text import override_reading, top_reading, without_accents

CRISIS_INTENT = "crisis"
# The least crisis probability at which an unsure first reading of crisis still counts.
UNSURE_CRISIS_FLOOR = 0.35
# ...and for a message that asks something (a long story ending in a question about the topics).
UNSURE_CRISIS_FLOOR_QUESTION = 0.5
MIN_WORDS_FOR_AN_UNSURE_READING = 4
DETECTION_KEY = "crisis_detection"

PATTERNS_FILE = Path(__file__).with_name("crisis_patterns.yml")
# The sections of the patterns file, in the order a message is tried against them.
SECTIONS = ("other_languages", "strong", "mentions")
_ENTRY_KEYS = {"name", "comment", "pattern", "parts", "examples"}
# Only the strong entries can be excused in a story of the past.
_SECTION_KEYS = {"other_languages": _ENTRY_KEYS, "strong": _ENTRY_KEYS | {"past_history_excused"},
                 "mentions": _ENTRY_KEYS}
# {NAME} in a pattern; quantifiers such as {0,40} are left alone.
_REFERENCE = re.compile(r"\{([A-Za-z_]\w*)\}")

Pieces = Union[str, List[str]]


class CrisisPatternError(ValueError):
    """A malformed entry in the patterns file, or a pattern that does not compile."""


@dataclass(frozen=True)
class CrisisPattern:
    """One phrase family of the patterns file, compiled."""

    name: str  # the rule recorded in `crisis_detection`
    regex: Pattern[str]
    comment: str
    examples: Tuple[str, ...]
    past_history_excused: bool = False


def _pieces(value: Any, where: str) -> str:
    """A pattern or part as one regex text: a string as it is, a list joined with "|"."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return "|".join(value)
    raise CrisisPatternError(f"{where}: expected a regex or a list of regexes, got {value!r}")


def _expand(text: str, names: Dict[str, Pieces], where: str, seen: Tuple[str, ...] = ()) -> str:
    """`text` with every {NAME} replaced by its block or part; a list becomes one (?:a|b) group."""

    def replace(reference: re.Match) -> str:
        name = reference.group(1)
        if name not in names:
            raise CrisisPatternError(f"{where}: unknown block or part {{{name}}}")
        if name in seen:
            raise CrisisPatternError(f"{where}: {{{name}}} refers to itself")
        value = names[name]
        expanded = _expand(_pieces(value, f"{where}, {name}"), names, where, seen + (name,))
        return f"(?:{expanded})" if isinstance(value, list) else expanded

    return _REFERENCE.sub(replace, text)


def _entry(raw: Any, section: str, index: int, blocks: Dict[str, Pieces], path: Path) -> CrisisPattern:
    """One entry checked and compiled; any problem names the file and the entry."""
    name = raw.get("name") if isinstance(raw, dict) else None
    where = f"{path}: {section} entry {name!r}" if isinstance(name, str) and name else f"{path}: {section} #{index + 1}"
    if not isinstance(raw, dict) or not isinstance(name, str) or not name:
        raise CrisisPatternError(f"{where}: an entry is a mapping with a `name`")
    unknown = set(raw) - _SECTION_KEYS[section]
    missing = {"comment", "pattern", "examples"} - set(raw)
    if unknown or missing:
        raise CrisisPatternError(f"{where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    comment, examples, parts = raw["comment"], raw["examples"], raw.get("parts", {})
    if not isinstance(comment, str) or not comment.strip():
        raise CrisisPatternError(f"{where}: `comment` must be text")
    if not isinstance(examples, list) or not all(isinstance(e, str) and e.strip() for e in examples):
        raise CrisisPatternError(f"{where}: `examples` must be a list of messages")
    if not isinstance(parts, dict):
        raise CrisisPatternError(f"{where}: `parts` must map names to regexes")
    excused = raw.get("past_history_excused", False)
    if not isinstance(excused, bool):
        raise CrisisPatternError(f"{where}: `past_history_excused` must be true or false")
    text = _expand(_pieces(raw["pattern"], where), {**blocks, **parts}, where)
    try:
        regex = re.compile(text)
    except re.error as error:
        raise CrisisPatternError(f"{where}: the pattern does not compile ({error}): {text}") from error
    return CrisisPattern(name, regex, comment.strip(), tuple(examples), excused)


def load_patterns(path: Path = PATTERNS_FILE) -> Dict[str, List[CrisisPattern]]:
    """The entries of the patterns file by section, compiled, in file order."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CrisisPatternError(f"{path}: cannot read the crisis patterns: {error}") from error
    if not isinstance(data, dict) or set(data) != {"blocks", *SECTIONS}:
        raise CrisisPatternError(f"{path}: expected exactly the sections blocks, {', '.join(SECTIONS)}")
    blocks = data["blocks"]
    if not isinstance(blocks, dict):
        raise CrisisPatternError(f"{path}: `blocks` must map names to regexes")
    for name, value in blocks.items():
        _pieces(value, f"{path}: block {name}")
    patterns: Dict[str, List[CrisisPattern]] = {}
    names: Dict[str, str] = {}
    for section in SECTIONS:
        if not isinstance(data[section], list) or not data[section]:
            raise CrisisPatternError(f"{path}: `{section}` must be a list of entries")
        patterns[section] = [_entry(raw, section, i, blocks, path) for i, raw in enumerate(data[section])]
        for entry in patterns[section]:
            if entry.name in names:
                raise CrisisPatternError(f"{path}: {section} entry {entry.name!r}: the name is already used in "
                                         f"{names[entry.name]}")
            names[entry.name] = section
    return patterns


PATTERNS = load_patterns()
# Rules about acts that a past-history question may legitimately describe.
PAST_EXCUSABLE: FrozenSet[str] = frozenset(p.name for p in PATTERNS["strong"] if p.past_history_excused)

# Words that make a message about treatment, the clinic or evidence rather than about now.
TREATMENT_WORDS = re.compile(
    r"\b(?:ketamine|ketamin|treatment|therapy|infusions?|spravato|esketamine|clinic|doctors?|"
    r"psychiatrists?|evaluation|screening|intake|candidate|contraindicat\w*|studies|study|research|"
    r"dose|iv|drip|medication|effect|mechanism|candida\w*|eligib\w*|qualif\w*)\b"
)
# A question word opening the message or one of its clauses, or a question mark.
QUESTION = re.compile(
    r"(?:^|[,.;:!-]\s*|\b(?:and|but|so|also)\s+)(?:can|could|does|do|did|is|are|was|will|would|"
    r"should|how|what|what'?s|whats|why|when|which|who|where|if|has|have)\b|\?|\b(?:curious|wondering|wonder)\b"
)
# Past episodes asked about now ("I self-harmed years ago, am I a candidate?").
PAST_CONTEXT = re.compile(
    r"\b(?:years?\s+ago|months\s+ago|long\s+ago|as\s+a\s+(?:teen\w*|kid|child)|"
    r"in\s+(?:high\s+school|college|my\s+teens|my\s+twenties|the\s+past|\d{4}|the\s+'?\d0s)|back\s+(?:in|when)|"
    r"when\s+i\s+was\s+(?:\d+|younger|a\s+\w+)|(?:i'?m|im)\s+(?:\d+\s+now\s+and\s+)?(?:clean|sober)|"
    r"last\s+(?:year|month|summer|winter|spring|fall|autumn)|died\s+by\s+suicide|"
    r"history\s+of|previous(?:ly)?|past|former|prior|old\s+(?:[\w-]+\s+){0,2}scars|long\s+behind\s+me|"
    r"been\s+(?:free|clean|well|fine|stable)|doing\s+(?:much\s+|a\s+lot\s+)?better|in\s+recovery|recovered)\b"
)
# ...unless something says it is happening again or now.
PRESENT_MARKER = re.compile(
    r"\b(?:again|tonight|right\s+now|at\s+the\s+moment|these\s+days|lately|this\s+week|"
    r"can'?t\s+stop|started\s+again|relapsed|relapsing|currently)\b"
)

# A disclosure that the writer or someone else is at risk now.
PRESENT_DANGER = re.compile(
    r"\b(?:i'?m|i\s+am|im|i\s+feel|i'?ve\s+been|ive\s+been|i\s+keep|i\s+have|been\s+having|"
    r"right\s+now|tonight|today|currently|at\s+the\s+moment|rn|again|can'?t\s+stop|"
    r"(?:he|she|they)\s+(?:is|are|has|have)(?!\s+had)|my\s+\w+\s+(?:is|has)(?!\s+had))\b.{0,40}"
    r"\b(?:suicid\w*|sucid\w*|overdos\w*)"
    r"|\b(?:suicid\w*|sucid\w*)\s+(?:thoughts?|feelings?|urges?)?\s*(?:right\s+now|tonight|today|again|rn)\b"
    r"|(?:^|\bi\s+|\bi'?m\s+|\bim\s+|\bbeen\s+)feel(?:ing)?\s+(?:really\s+|very\s+|so\s+)?suicid\w*"
)
# Crisis words about something else: excuse a classifier-only reading, never a pattern.
ORDINARY_CONTEXT = re.compile(
    # "am I putting myself in harm's way doing this?" asks whether the treatment is safe
    r"\bput(?:ting)?\s+myself\s+in\s+harm'?s\s+way\s+(?:by\s+)?(?:doing|getting|having|trying)\s+"
    r"(?:this|it|ketamine|the\s+treatment|infusions?)\b|"
    r"\b(?:end|ending|cancel|stop)\s+(?:my|the|our|this)\s+(?:subscription|membership|contract|plan|account|"
    r"appointment|booking|session|call|chat|newsletter|emails?|texts?)\b|"
    r"\b(?:passed\s+away|passed\s+on|funeral|memorial)\b|"
    r"\b(?:film|movie|tv\s+show|series|novel|documentary|episode|video\s+game)\b|"
    # Things, not people: a dripping sink or a dying phone battery is nobody in danger.
    r"\b(?:sink|faucet|toilet|pipes?|leak\w*|drip\w*|dishwasher|fridge|freezer|boiler|"
    r"battery|laptop|router|wifi|printer|houseplants?|lawn|gutters?)\b|"
    r"\b(?:is|are|'s|will|gonna|going\s+to)\s+(?:going\s+to\s+)?kill\s+me\s+if\b"
)
# "I'm doing fine": excuses a classifier-only reading, never a pattern.
DOING_FINE = re.compile(r"\b(?:i'?m|im|i\s+am)\s+doing\s+(?:fine|ok|okay|good|well)\b(?!\s+(?:but|except))")

# "I'm not suicidal", "free of overdoses for two years": a denial, not a disclosure.
NEGATED_MENTION = re.compile(
    r"\b(?:free\s+(?:of|from)|no\s+longer\s+(?:\w+\s+)?|not|never|stopped(?:\s+having)?|without|no)\s+(?:\w+\s+)?"
    r"(?:suicid|overdos)"
)

# Figures of speech ("this paperwork is killing me") are never a crisis on their own.
FIGURE_OF_SPEECH = re.compile(
    r"\b(?:is|are|was|it'?s|its)\s+killing\s+me\b|\bdying\s+(?:to|for)\b|\bi'?d\s+die\s+for\b|"
    r"\bkiller\b|\bmurder\b|\bto\s+die\s+for\b|\bdied\s+laughing\b|"
    r"\bdie\s+of\s+(?:embarrassment|shame|boredom|laughter)\b|"
    r"\bkilling\s+(?:my|the)\s+(?!self)\w+|\bshot\s+myself\s+in\s+the\s+foot\b|\bdead\s+tired\b|"
    r"\b(?:lol|lmao|haha\w*)\b"
)

# ...unless the writer says they mean it.
NOT_JOKING = re.compile(r"\bnot\s+(?:really\s+|even\s+)?(?:joking|kidding)\b|\bi'?m\s+serious\b|\bseriously\b")


@dataclass(frozen=True)
class Detection:
    rule: str
    matched: str
    source: str  # "pattern" or "classifier"

    def as_dict(self) -> Dict[str, str]:
        return {"rule": self.rule, "matched": self.matched, "source": self.source}


class CrisisRules:
    """The curated patterns; pure, so that they can be tested on their own."""

    def __init__(self, classifier_threshold: float) -> None:
        self.classifier_threshold = classifier_threshold
        self.other_languages: List[Tuple[str, Pattern[str]]] = [
            (p.name, p.regex) for p in PATTERNS["other_languages"]
        ]
        self.strong: List[Tuple[str, Pattern[str]]] = [(p.name, p.regex) for p in PATTERNS["strong"]]
        self.mentions: List[Tuple[str, Pattern[str]]] = [(p.name, p.regex) for p in PATTERNS["mentions"]]

    def detect(
        self, text: str, crisis_score: float = 0.0, classifier_says_crisis: bool = False
    ) -> Optional[Detection]:
        """Whether a message is a crisis, and which rule says so; the first step that decides wins.

        1. The message is normalised (lower case, one apostrophe, single spaces); an empty one
           is not a crisis. Then its context is read: PRESENT_DANGER (a disclosure of risk now,
           unless NEGATED_MENTION denies it), and whether it is a story of the past
           (PAST_CONTEXT, with neither present danger nor a PRESENT_MARKER such as "again").
        2. The `other_languages` entries of crisis_patterns.yml, in file order, on the message
           without accents: the first match is a crisis.
        3. The `strong` entries, in file order: the first match is a crisis, unless the entry
           is `past_history_excused` and the message is a story of the past.
        4. The `mentions` entries (suicide, overdose, self-harm...): with present danger, a
           crisis recorded as `<name>_present`; otherwise a crisis unless the message is
           informational (a story of the past, or TREATMENT_WORDS in a QUESTION), asks a
           QUESTION at all, or denies (NEGATED_MENTION).
        5. No pattern: the classifier's reading is a crisis (`classifier_score`) when its crisis
           score reaches `classifier_threshold`, or when it says crisis (top or unsure reading,
           `classifier_says_crisis`) about a message of at least MIN_WORDS_FOR_AN_UNSURE_READING
           words that is not a QUESTION; unless the message is informational, a
           FIGURE_OF_SPEECH (and NOT_JOKING does not take it back), a denial, DOING_FINE or
           ORDINARY_CONTEXT. The context patterns excuse a classifier reading, never a pattern.
        """
        message = normalise(text)
        if not message:
            return None
        danger = PRESENT_DANGER.search(message)
        if danger and NEGATED_MENTION.search(message):
            danger = None
        past = bool(PAST_CONTEXT.search(message)) and not danger and not PRESENT_MARKER.search(message)
        plain_letters = without_accents(message)
        for name, pattern in self.other_languages:
            found = pattern.search(plain_letters)
            if found:
                return Detection(name, found.group(0), "pattern")
        for name, pattern in self.strong:
            found = pattern.search(message)
            if found and not (past and name in PAST_EXCUSABLE):
                return Detection(name, found.group(0), "pattern")
        informational = past or bool(TREATMENT_WORDS.search(message) and QUESTION.search(message))
        for name, pattern in self.mentions:
            found = pattern.search(message)
            if not found:
                continue
            if danger:
                return Detection(f"{name}_present", danger.group(0), "pattern")
            if not (informational or QUESTION.search(message) or NEGATED_MENTION.search(message)):
                return Detection(name, found.group(0), "pattern")
        figure_of_speech = FIGURE_OF_SPEECH.search(message) and not NOT_JOKING.search(message)
        # A short message the classifier reads as a crisis without conviction is mostly words it does
        # not know (a name typed into a form, a date): the patterns speak for short messages.
        # A message that asks something needs the classifier's conviction too: a story ending in a
        # question about the topics is read by its question.
        classifier_reading = crisis_score >= self.classifier_threshold or (
            classifier_says_crisis and len(message.split()) >= MIN_WORDS_FOR_AN_UNSURE_READING
            and not QUESTION.search(message))
        if classifier_reading and not (
            informational or figure_of_speech or NEGATED_MENTION.search(message) or DOING_FINE.search(message)
            or ORDINARY_CONTEXT.search(message)
        ):
            return Detection("classifier_score", f"{crisis_score:.2f}", "classifier")
        return None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class CrisisDetector(StatelessComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # classifier_threshold: the classifier's crisis probability above which a message counts
        # as a crisis even when no pattern matched. fallback_threshold: a next reading below it is
        # a "did you mean"; when the model is loaded, the FallbackClassifier's (create()).
        return {"classifier_threshold": 0.5, "fallback_threshold": DEFAULT_NLU_FALLBACK_THRESHOLD}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "CrisisDetector":
        return cls({**cls.get_default_config(), **config, "fallback_threshold": fallback_threshold(execution_context)})

    def __init__(self, config: Dict[Text, Any]) -> None:
        config = {**self.get_default_config(), **config}
        self.rules = CrisisRules(float(config["classifier_threshold"]))
        self.fallback_threshold = float(config["fallback_threshold"])

    @staticmethod
    def crisis_score(message: Message) -> float:
        ranking = message.get(INTENT_RANKING_KEY) or []
        return max(
            (float(e.get("confidence") or 0.0) for e in ranking if e.get("name") == CRISIS_INTENT),
            default=0.0,
        )

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            ranking = [
                e for e in (message.get(INTENT_RANKING_KEY) or []) if e.get("name") != CRISIS_INTENT
            ]
            # An unsure crisis reading (the fallback replaced it) still counts as the classifier's
            # when it is not a mere guess about words the classifier does not know (names, dates).
            score = self.crisis_score(message)
            floor = UNSURE_CRISIS_FLOOR_QUESTION if QUESTION.search(normalise(message.get(TEXT) or "")) \
                else UNSURE_CRISIS_FLOOR
            unsure_crisis = top_reading(message) == CRISIS_INTENT and score >= floor
            classifier_says_crisis = (message.get(INTENT) or {}).get("name") == CRISIS_INTENT or unsure_crisis
            # A typed command ("/crisis") is nobody's words about themselves: the patterns alone
            # read it (a crisis written inside a payload is still caught).
            typed_command = bool(message.get(TYPED_COMMAND)) or (message.get(TEXT) or "").lstrip().startswith("/")
            detection = self.rules.detect(
                message.get(TEXT) or "", 0.0 if typed_command else score,
                classifier_says_crisis and not typed_command,
            )
            if detection is not None:
                override_reading(message, CRISIS_INTENT, DETECTION_KEY, detection.as_dict())
            elif (message.get(INTENT) or {}).get("name") == CRISIS_INTENT and ranking:
                # A figure of speech, a question about treatment or past history, or words the
                # classifier does not know (a name): its next reading answers it, if it is sure enough.
                unsure = {"name": "nlu_fallback", "confidence": self.fallback_threshold}
                next_reading = ranking[0] if (ranking[0].get("confidence") or 0) >= self.fallback_threshold else unsure
                message.set(INTENT, next_reading, add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking if next_reading is ranking[0] else [unsure] + ranking,
                            add_to_output=True)
        return messages
