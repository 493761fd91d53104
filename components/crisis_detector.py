"""Crisis detection, graded, on every message after intent classification.

Three grades (`crisis_detection.grade` in the parse data):

- **clear** risk: the intent becomes `crisis` (crisis resources first, and a flag for the staff);
- **possible** risk, short or vague distress ("i need help", "nothing matters", "i can't do this
  anymore" and no more): the intent becomes `distress`, answered by a check-in that still shows
  the crisis lines and asks whether the writer is safe;
- **none**: the classifier's reading stands. The classifier is never trained on crisis or distress
  messages, so a crisis reading comes from this step alone.

Two readers decide, the first that finds clear risk wins:

1. The explicit patterns, a high-precision floor: `crisis_patterns.yml` next to this module, one
   entry per phrase family with its rule name, what it covers, the pattern in readable pieces and
   messages it must catch (read and compiled once, at import; a malformed entry stops the import
   with the file and entry named). Mentions of suicide, overdose or self-harm count only with
   present danger, or when the message neither asks about treatment nor tells of the past
   (`CrisisRules.detect`).
2. A reading by meaning (`risk_reader`): logistic regression over the sentence encoder's vector
   and the message's n-grams (components/linear_reader.py), trained on the training data's crisis
   messages (clear), its distress messages (possible) and everything else (none). Figures of
   speech, denials, safety statements and words of danger about something else excuse it
   (`excused`), and so does a request for crisis lines as the classifier reads it.

A false alarm costs a visitor one extra paragraph of crisis resources, a miss can cost a life: the
thresholds were chosen on the crisis sets and rounds so that every crisis is caught first
(BENCHMARKS.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Pattern, Text, Tuple, Union

import numpy as np
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.core.constants import DEFAULT_NLU_FALLBACK_THRESHOLD
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.payload_guard import TYPED_COMMAND
from clinic.parsing import only_details
from clinic.text import normalise
from components.intent_classifier import normalise_text
from components.linear_reader import LinearReader, sentence_vectors
from components.stateless import fallback_threshold
from components.text import hand_back, override_reading, without_accents

CRISIS_INTENT = "crisis"
DISTRESS_INTENT = "distress"
# The intents only this step sets: the classifier neither learns nor predicts them.
RISK_INTENTS = (CRISIS_INTENT, DISTRESS_INTENT)
# The classifier's readings that a reading of risk by meaning leaves alone (the patterns still speak).
READ_BY_THE_CLASSIFIER = {"crisis_resources"}
DETECTION_KEY = "crisis_detection"
CLEAR, POSSIBLE, NONE = "clear", "possible", "none"
RISK_READER = "risk_reader"

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

# A question word opening the message or one of its clauses, or a question mark.
QUESTION = re.compile(
    r"(?:^|[,.;:!-]\s*|\b(?:and|but|so|also|um+|uh+|ok|okay|well|like)\s+)"
    r"(?:can|could|does|do|did|is|are|was|will|would|should|how|what|what'?s|whats|why|when|which|who|where|if|"
    r"has|have)\b|\?|\b(?:curious|wondering|wonder)\b|\bquestions?\s+(?:about|on|regarding)\b|"
    r"\b(?:real|quick|honest|serious|genuine|dumb|stupid|silly)\s+question\b"
)

# Past episodes asked about now ("I self-harmed years ago, am I a candidate?").
PAST_CONTEXT = re.compile(
    r"\b(?:years?\s+ago|months\s+ago|long\s+ago|as\s+a\s+(?:teen\w*|kid|child)|"
    r"in\s+(?:high\s+school|college|my\s+teens|my\s+twenties|the\s+past|\d{4}|the\s+'?\d0s)|back\s+(?:in|when)|"
    r"when\s+(?:i|he|she|they)\s+(?:was|were)\s+(?:\d+|younger|little|small|young|a\s+\w+)|"
    r"(?:i'?m|im)\s+(?:\d+\s+now\s+and\s+)?(?:clean|sober)|before\s+(?:\w+\s+)?years|survived|"
    r"(?:now|these\s+days)\s+(?:i'?m|im|i\s+am|he'?s|she'?s|(?:he|she)\s+is)\s+(?:much\s+|a\s+lot\s+|doing\s+)?"
    r"(?:better|well|fine|stable)|stable\s+now|"
    r"last\s+(?:year|month|summer|winter|spring|fall|autumn)|died\s+by\s+suicide|years\s+back|"
    r"(?:attempts?|overdose|self[-\s]?harm)\s+history|"
    r"history\s+of|previous(?:ly)?|past|former|prior|old\s+(?:[\w-]+\s+){0,2}scars|long\s+behind\s+me|"
    r"been\s+(?:free|clean|well|fine|stable)|doing\s+(?:much\s+|a\s+lot\s+)?better|in\s+recovery|recovered)\b"
)

# ...unless something says it is happening again or now.
PRESENT_MARKER = re.compile(
    r"\b(?:again|tonight|right\s+now|at\s+the\s+moment|these\s+days|lately|this\s+week|"
    r"can'?t\s+stop|started\s+again|relapsed|relapsing|currently)\b"
)

# A disclosure that the writer or someone else is at risk now.
# A suicide attempt is an event told of, not a state: it is not danger on these words alone.
# Nor is one dated years ago ("attempted suicide three years ago").
_MENTION_NOW = (r"\b(?:suicid\w*|sucid\w*|overdos\w*)\b(?!\s+attempts?)"
                r"(?!\s+(?:\w+\s+){0,2}(?:years?|months?|decades?)\s+ago\b)")
# Between a person and the mention, no word that moves it to the past or to someone else.
# Nor one that makes it a question or a struggle told of ("questions about the overdose risk").
_WINDOW = (r"(?:(?!\b(?:had|was|were|used|ago|my|questions?|ask\w*|read|heard|struggled|battled|dealt|suffered|"
           r"survived|seen|see|treated|witnessed|attended)\b)"
           r".){0,%d}")
PRESENT_DANGER = re.compile(
    r"\b(?:i'?m|i\s+am|im|i\s+feel|i'?ve\s+been|ive\s+been|i\s+keep|i\s+have|been\s+having|"
    r"right\s+now|tonight|today|currently|at\s+the\s+moment|rn|again|can'?t\s+stop)\b" + _WINDOW % 40 + _MENTION_NOW +
    r"|\b(?:(?:he|she|they)\s+(?:is|are|has|have)|my\s+\w+\s+(?:is|has))\b" + _WINDOW % 20 + _MENTION_NOW +
    r"|\b(?:suicid\w*|sucid\w*)\s+(?:thoughts?|feelings?|urges?)?\s*(?:right\s+now|tonight|today|again|rn)\b"
    r"|(?:^|\bi\s+|\bi'?m\s+|\bim\s+|\bbeen\s+)feel(?:ing)?\s+(?:really\s+|very\s+|so\s+)?suicid\w*"
)

# "No thoughts of hurting myself": the words of harm are denied, and taken out before any pattern reads them.
DENIED_HARM = re.compile(
    r"\b(?:no|not\s+(?:having\s+)?any|without(?:\s+any)?|never\s+(?:had|have)(?:\s+any)?|zero)\s+(?:\w+\s+){0,2}"
    r"(?:thoughts?|thinking|plans?|intent(?:ions?)?|urges?|desires?|wish(?:es)?|ideas?)\s+(?:of|to|about|for)\s+"
    r"(?:\w+\s+)?(?:hurt\w*|harm\w*|kill\w*|end\w*|suicid\w*|die|dying)"
    r"(?:\s+(?:my\s?self|him\w*|her\w*|them\w*|my\s+life))?"
    # ...or not thinking or planning it, in the English of other languages too ("I am not thinking to kill myself")
    r"|\b(?:not|never)\s+(?:thinking|planning)\s+(?:to|of|about)\s+(?:\w+\s+)?"
    r"(?:hurt\w*|harm\w*|kill\w*|end\w*|suicid\w*|die|dying)(?:\s+(?:my\s?self|my\s+life))?"
    # ...and in the English of other languages, after saying so: "I am safe, no hurt myself"
    r"|\bsafe\W+(?:and\s+)?(?:i\s+|i'?m\s+|im\s+|i\s+am\s+)?(?:no|not|never|don'?t|dont|will\s+not|won'?t)\s+"
    r"(?:going\s+to\s+|gonna\s+)?"
    r"(?:hurt|harm)\w*\s+my\s?self\b"
)
# Acts of harm asked about in general ("can a bad trip make people want to hurt themselves?").
GENERAL_SUBJECT = re.compile(r"\b(?:make|makes|made|making|cause|causes|caused|lead|leads)\s+"
                             r"(?:people|patients|persons|someone|anyone|users|you)\b"
                             r"|\b(?:people|patients|users)\s+(?:who|that)\b")
# "I'm safe", "not in danger": the writer says there is no risk now.
SAFE_NOW = re.compile(r"\b(?:i'?m|i\s+am|im)\s+(?:\w+\s+)?safe\b|\bnot\s+in\s+(?:any\s+)?danger\b")
# "If my dad ever got suicidal again": a question about what might happen, not what is happening.
HYPOTHETICAL = re.compile(
    r"\b(?:if|in\s+case|should)\s+(?:\w+\s+){0,4}(?:ever|someday|one\s+day)\b"
    # ...or who to call in case it happens ("which number I call if my friend talk about suicide?")
    r"|\b(?:who|(?:what|which)\s+(?:number|line|hotline)|(?:number|line|hotline)\s+for)\s+(?:\w+\s+){0,3}"
    r"(?:call|ring|text|dial|contact)\s+"
    r"(?:\w+\s+){0,2}(?:if|when|in\s+case)\b")
# Asking for crisis lines: a question about resources, answered with them (not a disclosure on its own).
RESOURCE_REQUEST = re.compile(
    r"\b(?:hot\s?line|help\s?line|crisis\s+(?:line|number|text)|life\s?line|988|suicide\s+(?:line|prevention))\b")

# Words of danger about something else, figures of speech and "I'm doing fine": they excuse a
# reading by meaning, never a pattern.
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
FIGURE_OF_SPEECH = re.compile(
    r"\b(?:is|are|was|it'?s|its)\s+(?:killing|murdering)\s+me\b|\bdying\s+(?:to|for)\b|\bi'?d\s+die\s+for\b|"
    r"\bkiller\b|\bmurder\b|\bto\s+die\s+for\b|\bdied\s+laughing\b|\bi'?m\s+so\s+dead\b|\bi'?d\s+kill\s+for\b|"
    r"\bshoot\s+(?:over|round|across|by)\b|"
    r"\bkilling\s+(?:my|the)\s+(?!self)\w+|\bshot\s+myself\s+in\s+the\s+foot\b|\bdead\s+tired\b|"
    r"\b(?:lol|lmao|haha\w*|jk)\b"
)

# Set phrases whose words of danger are about something else: an idiom ("suicide doors", "die of
# embarrassment"), coffee "overdosed" on, a risk asked about, a wedding's date, a break-up with a
# psychiatrist, fasting before an infusion, a seizure long ago, a trip, a fear of dying from the
# treatment, a life saved, a phone about to die, killing oneself with overtime. They are taken out before
# any pattern reads the message, and they excuse a reading by meaning.
SET_PHRASES = re.compile(
    # dying on the table is a fear of the treatment; victims bleeding out are a paramedic's work
    r"\b(?:going\s+to|gonna|will|might|could|don'?t\s+want\s+to|dont\s+want\s+to|afraid\s+(?:i'?ll|to)|"
    r"scared\s+(?:i'?ll|to))\s+die\s+on\s+the\s+(?:operating\s+)?table\b|"
    # people who end up unconscious at raves, a script "about overdoses": words of danger told of, not lived
    r"\b(?:people|patients|users|ravers|someone|folks)\s+(?:\w+\s+)?(?:end\s+up|get|go|getting|become|are)\s+"
    r"unconscious\b|"
    r"\b(?:script|answer|info\w*|lecture|speech|spiel|pamphlet|leaflet|stuff)\s+(?:about|on)\s+(?:the\s+)?"
    r"(?:overdos\w*|suicid\w*)|\babout\s+(?:the\s+)?overdos\w*\s+(?:stuff|thing|risk|part|question|bit|info)\b|"
    r"\b(?:victims|patients|soldiers|casualties)\s+(?:who\s+are\s+)?bleeding\s+out\b|"
    # a wallet bleeding out, cuts and burns of a cook's work
    r"\b(?:wallet|bank\s+account|account|savings|budget|bank|finances)(?:'s|\s+is)?\s+(?:\w+\s+)?"
    r"bleeding\s+(?:out|dry)\b|"
    r"\b(?:cook|chef|kitchen|butcher|baker)\b.{0,60}?\b(?:cut|burn\w*)\s+(?:and\s+(?:cut|burn\w*)\s+)?my\s?self\s+"
    r"(?:\w+\s+){0,2}?(?:every|each|on|at|during|most)\s+(?:\w+\s+)?(?:shifts?|work|service)\b|"
    r"\bsuicide\s+(?:doors?|squad|lanes?|runs?|sprints?|blonde|kings?|knobs?|seats?|drills?)\b|"
    r"\bjump(?:s|ed|ing)?\s+the\s+gun\b|\bbit(?:e|ing)\s+the\s+bullet\b|\bkill(?:ing)?\s+two\s+birds\b|"
    r"\bshoot\s+(?:me|us)\s+(?:an?\s+)?(?:text|message|e-?mail|line|call|dm)\b|"
    r"\b(?:(?:gonna|going\s+to|could\s+(?:just\s+)?|will|might)\s+)?(?:die|dying|died)\s+(?:of|from)\s+"
    r"(?:embarrassment|shame|boredom|laughter|cringe|curiosity|jealousy|envy|excitement|thirst|hunger|cuteness)\b|"
    r"\boverdos\w*\s+on\s+(?:coffee|caffeine|espresso|energy\s+drinks?|sugar|chocolate|candy|sweets|cake|cookies|"
    r"pizza|carbs|cheese|netflix|tv|youtube|tiktok|work|podcasts?|christmas|holiday\s+\w+)\b|"
    r"\b(?:risks?|chances?|odds|possibility|danger|fear|afraid|scared|terrified|worried|worry|worries)\s+"
    r"(?:of|about|that\s+(?:i|you|he|she|they)\s+(?:might|may|would|will|won'?t))\s+(?:going\s+under\s+and\s+)?"
    r"(?:not\s+|never\s+)?(?:wak\w*\s+up|dying|death|overdos\w*)\b|"
    r"\bset\s+(?:a|the)\s+date\s+for\s+(?:the|our|my|his|her|their)\s+(?:wedding|move|surgery|party|trip|holiday|"
    r"vacation|honeymoon|graduation|closing|interview|exams?|christening|baptism|reunion|launch)\b|"
    r"\bend(?:s|ed|ing)?\s+things\s+with\s+(?:my|the|our|a)\s+(?:current\s+|old\s+|previous\s+|last\s+)?"
    r"(?:psychiatrist|therapist|counsell?or|doctor|gp|clinic|provider|boyfriend|girlfriend|partner|husband|wife|ex|"
    r"fianc\w*|landlord|job|employer)\b|"
    r"\b(?:do|will|would|should|must)\s+(?:i|we|you)\s+(?:have|need)\s+to\s+starve\s+(?:my\s?self|our\s?selves|"
    r"your\s?self)\s+(?:(?:like|as|just\s+like)\s+)?(?:before|for|the)\b|"
    r"\b(?:having|had)\s+a\s+seizure\s+(?:once|years|as\s+a|when\s+i\s+was|back\s+in|in\s+(?:the\s+past|\d{4}))\b|"
    r"\b(?:won'?t|wont|will\s+not|not\s+going\s+to)\s+be\s+around\s+(?:next|this|on|for|until|till|over)\s+"
    r"[\w\s]{0,25}?[,.;]?\s*(?:i'?m|im|i\s+am|we'?re|as\s+i'?m|because\s+i'?m|cause\s+i'?m)\s+(?:\w+\s+)?"
    r"(?:travel\w*|away|on\s+(?:vacation|holiday|a\s+trip)|out\s+of\s+town|abroad|moving)\b|"
    # a fear of dying from the treatment ("mi nuh wan dead from no horse medicine"), a life it saved
    r"\b(?:don'?t|dont|do\s+not|nuh|no|never|not)\s+(?:want|wanna|wan|wish)\s+(?:to\s+)?(?:die|dead|be\s+dead)\s+"
    r"(?:from|of|because\s+of|during|after|with)\b|"
    r"\b(?:sav(?:e|es|ed|ing)|changed|turned\s+around)\s+(?:my|his|her|their|your|our)\s+li(?:fe|ves)\b|"
    # things that "die" and people "killing themselves" with work
    r"\b(?:phone|battery|alarm(?:\s+clock)?|clock|charger|parking\s+meter|meter|car|laptop|wallet|bank\s+account|"
    r"plants?)(?:'s|\s+is|\s+just)?\s+(?:(?:gonna|going\s+to|about\s+to|will|might)\s+die|died|dying)\b|"
    r"\bkill\w*\s+(?:my|him|her|them)sel(?:f|ves)\s+(?:with|at|over)\s+(?:over\s?time|work|worry|stress|extra\s+shifts|"
    r"double\s+shifts|the\s+gym|workouts?|studying|exams?)\b"
)

# ...unless the writer says they mean it (kept though no set needs it: "i want to die, not joking, lol").
NOT_JOKING = re.compile(r"\bnot\s+(?:really\s+|even\s+)?(?:joking|kidding)\b|\bi'?m\s+serious\b|\bseriously\b")


def excused(text: str) -> bool:
    """Whether a reading of risk by meaning is excused: a figure of speech (unless NOT_JOKING takes
    it back), a denial or safety statement, or words of danger about something else."""
    message = normalise(text)
    return bool(FIGURE_OF_SPEECH.search(message) and not NOT_JOKING.search(message)
                or NEGATED_MENTION.search(message) or DENIED_HARM.search(message) or SAFE_NOW.search(message)
                or ORDINARY_CONTEXT.search(message) or SET_PHRASES.search(message))


# "I'm not suicidal", "free of overdoses for two years": a denial, not a disclosure.
NEGATED_MENTION = re.compile(
    r"\b(?:free\s+(?:of|from)|no\s+longer\s+(?:\w+\s+)?|not|never|stopped(?:\s+having)?|without|no)\s+(?:\w+\s+)?"
    r"(?:suicid|overdos)"
)
# "...if i have suicidal thoughts and i said not anymore": no danger now, unless something says it is
# back (a PRESENT_MARKER such as "again" or "tonight").
NO_LONGER = re.compile(r"\bsuicid\w*(?:\s+\w+){0,8}?[\s,]+(?:but\s+)?not\s+any\s?more\b")


@dataclass(frozen=True)
class Detection:
    rule: str
    matched: str
    source: str  # "pattern" or "meaning"
    grade: str = CLEAR

    def as_dict(self) -> Dict[str, str]:
        return {"rule": self.rule, "matched": self.matched, "source": self.source, "grade": self.grade}


class CrisisRules:
    """The curated patterns; pure, so that they can be tested on their own."""

    def __init__(self) -> None:
        self.other_languages: List[Tuple[str, Pattern[str]]] = [
            (p.name, p.regex) for p in PATTERNS["other_languages"]
        ]
        self.strong: List[Tuple[str, Pattern[str]]] = [(p.name, p.regex) for p in PATTERNS["strong"]]
        self.mentions: List[Tuple[str, Pattern[str]]] = [(p.name, p.regex) for p in PATTERNS["mentions"]]

    def detect(self, text: str) -> Optional[Detection]:
        """Whether the patterns find clear risk in a message, and which rule says so; the first step
        that decides wins.

        1. The message is normalised (lower case, one apostrophe, single spaces) and loses any
           DENIED_HARM ("no thoughts of hurting myself") and SET_PHRASES ("suicide doors"); an
           empty one is not a crisis. Then its context is read: PRESENT_DANGER (a disclosure of
           risk now, unless NEGATED_MENTION, SAFE_NOW or a HYPOTHETICAL takes it back), and
           whether it is a story of the past
           (PAST_CONTEXT, with neither present danger nor a PRESENT_MARKER such as "again") or a
           HYPOTHETICAL ("if he ever...") or a question about people in general (GENERAL_SUBJECT).
        2. The `other_languages` entries of crisis_patterns.yml, in file order, on the message
           without accents: the first match is a crisis.
        3. The `strong` entries, in file order: the first match is a crisis, unless the entry
           is `past_history_excused` and the message is a story of the past.
        4. The `mentions` entries (suicide, overdose, self-harm...): with present danger, a
           crisis recorded as `<name>_present`; otherwise a crisis unless the message is
           informational (a story of the past, SAFE_NOW or a RESOURCE_REQUEST), asks a QUESTION, or
           denies (NEGATED_MENTION).
        """
        message = SET_PHRASES.sub(" ", DENIED_HARM.sub(" ", normalise(text))).strip()
        if not message:
            return None
        danger = PRESENT_DANGER.search(message)
        no_longer = NO_LONGER.search(message) and not PRESENT_MARKER.search(message)
        if danger and (NEGATED_MENTION.search(message) or no_longer or SAFE_NOW.search(message)
                       or HYPOTHETICAL.search(message)):
            danger = None
        past = not danger and (bool(PAST_CONTEXT.search(message)) and not PRESENT_MARKER.search(message)
                               or bool(HYPOTHETICAL.search(message))
                               or bool(GENERAL_SUBJECT.search(message) and QUESTION.search(message)))
        plain_letters = without_accents(message)
        for name, pattern in self.other_languages:
            found = pattern.search(plain_letters)
            if found:
                return Detection(name, found.group(0), "pattern")
        for name, pattern in self.strong:
            found = pattern.search(message)
            if found and not (past and name in PAST_EXCUSABLE):
                return Detection(name, found.group(0), "pattern")
        informational = past or bool(SAFE_NOW.search(message) or RESOURCE_REQUEST.search(message))
        for name, pattern in self.mentions:
            found = pattern.search(message)
            if not found:
                continue
            if danger:
                return Detection(f"{name}_present", danger.group(0), "pattern")
            if not (informational or QUESTION.search(message) or NEGATED_MENTION.search(message)):
                return Detection(name, found.group(0), "pattern")
        return None


def risk_reader(config: Dict[Text, Any]) -> LinearReader:
    """Risk read by words and meaning: labels none, possible and clear (components/linear_reader.py)."""
    return LinearReader(config["word_ngrams"], config["char_ngrams"], config["dense_weight"])


def grade_of(intent: Optional[str]) -> str:
    return CLEAR if intent == CRISIS_INTENT else POSSIBLE if intent == DISTRESS_INTENT else NONE


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class CrisisDetector(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Least probability of clear risk that makes a crisis without a pattern (BENCHMARKS.md,
            # crisis by meaning: 0.4 to 0.7 tried on the development sets).
            "clear_threshold": 0.4,
            # ...for a message of a name, a phone number, an e-mail address or times alone (a form's
            # answers), whose unknown words are no sign of risk.
            "details_clear_threshold": 0.9,
            # Least probability of possible or clear risk for a check-in.
            "possible_threshold": 0.4,
            # The risk reader: n-grams and the sentence vector, as the intent classifier reads them.
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "dense_weight": 1.0,
            "C": 30.0,
            "max_iter": 3000,
            "random_state": 42,
            # A next reading below it is a "did you mean"; when the model is loaded, the
            # FallbackClassifier's (create()).
            "fallback_threshold": DEFAULT_NLU_FALLBACK_THRESHOLD,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: Optional[ModelStorage] = None,
                 resource: Optional[Resource] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self.rules = CrisisRules()
        self.fallback_threshold = float(self.config["fallback_threshold"])
        self.reader = risk_reader(self.config)
        self._model_storage, self._resource = model_storage, resource

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "CrisisDetector":
        return cls({**config, "fallback_threshold": fallback_threshold(execution_context)}, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        # Crises written in other languages are learnt too: their words carry them where the encoder,
        # which reads English, does not (BENCHMARKS.md, crisis by meaning).
        examples = [e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)]
        vectors = sentence_vectors(examples)
        if examples and vectors is not None:
            self.reader.fit([normalise_text(e.get(TEXT)) for e in examples], vectors,
                            [grade_of(e.get(INTENT)) for e in examples], float(self.config["C"]),
                            int(self.config["max_iter"]), int(self.config["random_state"]), balanced=False)
            with self._model_storage.write_to(self._resource) as directory:
                self.reader.save(directory, RISK_READER)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "CrisisDetector":
        detector = cls.create(config, model_storage, resource, execution_context)
        try:
            with model_storage.read_from(resource) as directory:
                detector.reader.restore(directory, RISK_READER)
        except (ValueError, FileNotFoundError):
            pass  # trained without sentence vectors: the patterns alone read risk
        return detector

    def risk(self, texts: List[str], vectors: np.ndarray) -> List[Dict[str, float]]:
        """Each text's probabilities of no, possible and clear risk."""
        probabilities = self.reader.probabilities([normalise_text(t) for t in texts], vectors)
        return [dict(zip(self.reader.labels, map(float, row))) for row in probabilities]

    def read_by_meaning(self, message: Message) -> Optional[Detection]:
        """Clear or possible risk in the message, unless it is excused or a request for crisis lines
        (as the classifier reads it), which is answered with them instead."""
        vectors = sentence_vectors([message])
        if not self.reader.labels or vectors is None or not vectors.any():
            return None
        if (message.get(INTENT) or {}).get("name") in READ_BY_THE_CLASSIFIER or excused(message.get(TEXT) or ""):
            return None
        [risk] = self.risk([message.get(TEXT) or ""], vectors)
        details = only_details(message.get(TEXT))
        if risk.get(CLEAR, 0.0) >= float(self.config["details_clear_threshold" if details else "clear_threshold"]):
            return Detection("meaning", f"{risk[CLEAR]:.2f}", "meaning", CLEAR)
        if details:
            return None
        at_risk = risk.get(POSSIBLE, 0.0) + risk.get(CLEAR, 0.0)
        if at_risk >= float(self.config["possible_threshold"]):
            return Detection("meaning", f"{at_risk:.2f}", "meaning", POSSIBLE)
        return None

    def detect(self, message: Message) -> Optional[Detection]:
        # A typed command ("/crisis") is nobody's words about themselves: the patterns alone read it
        # (a crisis written inside a payload is still caught).
        typed_command = bool(message.get(TYPED_COMMAND)) or (message.get(TEXT) or "").lstrip().startswith("/")
        return self.rules.detect(message.get(TEXT) or "") or (None if typed_command else self.read_by_meaning(message))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            detection = self.detect(message)
            if detection is not None:
                intent = CRISIS_INTENT if detection.grade == CLEAR else DISTRESS_INTENT
                override_reading(message, intent, DETECTION_KEY, detection.as_dict())
            elif (message.get(INTENT) or {}).get("name") in RISK_INTENTS:
                # A risk reading this step did not confirm (a typed "/crisis", say).
                hand_back(message, RISK_INTENTS, self.fallback_threshold)
        return messages
