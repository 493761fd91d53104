"""Short button titles for the FAQ topics, used when the assistant suggests topics.

The FAQ topics' titles come from their topic files (topics/<intent>.yml, key `title`), read at
import, in the order of topics/ORDER (one intent per line; topic files it does not list come
last, by name). The non-FAQ titles below are kept here."""

from pathlib import Path
from typing import Dict, List

import yaml

from clinic.paths import PROJECT_ROOT

TOPICS_DIR = PROJECT_ROOT / "topics"
ORDER_FILE = "ORDER"
# yaml's C loader when it is installed: the topic files hold hundreds of lines each.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def topic_order(topics_dir: Path = TOPICS_DIR) -> List[str]:
    """The intents topics/ORDER lists, in its order (`#` starts a comment)."""
    order = topics_dir / ORDER_FILE
    if not order.is_file():
        return []
    names = (line.split("#", 1)[0].strip() for line in order.read_text(encoding="utf-8").splitlines())
    return [name for name in names if name]


def topic_paths(topics_dir: Path = TOPICS_DIR) -> List[Path]:
    """The topic files in the order of topics/ORDER; files it does not list come last, by name."""
    files = {path.stem: path for path in topics_dir.glob("*.yml")}
    ordered = [files.pop(name) for name in topic_order(topics_dir) if name in files]
    return ordered + [files[name] for name in sorted(files)]


def load_titles(topics_dir: Path = TOPICS_DIR) -> Dict[str, str]:
    """intent -> title of every topic file, in topic order."""
    if not topics_dir.is_dir():
        raise FileNotFoundError(f"{topics_dir}: the FAQ topic files (topics/*.yml) are missing; "
                                "they belong in the repository and in the container images")
    titles: Dict[str, str] = {}
    for path in topic_paths(topics_dir):
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
        title = document.get("title") if isinstance(document, dict) else None
        if not isinstance(title, str) or not title.strip():
            raise ValueError(f"topics/{path.name}: give the topic a `title:` (its button title)")
        titles[path.stem] = title.strip()
    return titles


TOPIC_TITLES: Dict[str, str] = {
    **load_titles(),
    "book_appointment": "Book a consultation",
    "request_human": "Talk to staff",
}

# Offered when the classifier has no plausible topic at all.
DEFAULT_SUGGESTIONS = ("ask_what_is_ketamine", "ask_cost", "book_appointment")

# Plain names of the conversation intents (not FAQ topics), for people choosing among them: the
# staff console's review queue offers these, never the intent's internal name.
INTENT_TITLES: Dict[str, str] = {
    "greet": "Hello (a greeting)",
    "goodbye": "Goodbye",
    "thank": "Thanks",
    "affirm": "Yes (agreeing)",
    "deny": "No (declining)",
    "bot_challenge": "Is this a bot?",
    "crisis": "In danger now (crisis)",
    "distress": "Struggling, upset (not in danger now)",
    "crisis_resources": "Asking for a crisis line",
    "help_menu": "Unsure what to ask (help)",
    "tell_me_more": "More on the last answer (tell me more)",
    "out_of_scope": "Not about the clinic",
    "ask_not_covered": "A clinic question the answers do not cover",
    "ask_personal_medical": "A personal medical question",
    "other_language": "Written in another language",
    "cancel": "Stop the request being made",
    "change_booking": "Correct a detail before confirming",
    "booking_status": "Did my request go through? (reference)",
    "change_appointment": "Change or cancel an existing appointment",
}


def plain_title(intent: str) -> str:
    """What an intent is about, in words: a topic's title or a conversation intent's plain name."""
    return TOPIC_TITLES.get(intent) or INTENT_TITLES.get(intent) or intent.replace("_", " ").capitalize()
