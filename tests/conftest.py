"""Shared fixtures: project data loaded once, the trained model, and real servers."""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from tests.support.project import ROOT, read_yaml
from tools.nlu_eval import load_examples

@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def domain() -> dict:
    return read_yaml(ROOT / "domain.yml")


@pytest.fixture(scope="session")
def topic_contract() -> Dict[str, List[str]]:
    """Intent names from the intent contract (docs/INTENTS.md), by table."""
    contract = ROOT / "docs" / "INTENTS.md"
    tables: Dict[str, List[str]] = {"## FAQ intents": [], "## Conversation intents": []}
    section = None
    for line in contract.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line.strip()
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if section not in tables or not line.startswith("|") or cells[0] == "intent" or set(cells[0]) <= {"-"}:
            continue
        tables[section].extend(n.strip().strip("`") for n in cells[0].split(","))
    faq, conversation = tables["## FAQ intents"], tables["## Conversation intents"]
    assert len(faq) >= 20 and conversation, f"{contract}: the FAQ and conversation intent tables were not found"
    return {"faq": faq, "conversation": conversation}


@pytest.fixture(scope="session")
def faq_intents(domain) -> List[str]:
    return [i for i in domain["intents"] if i.startswith("ask_") and i != "ask_not_covered"]


@pytest.fixture(scope="session")
def training_examples() -> List[Tuple[str, str, str]]:
    """(text, intent, file) for every NLU training example."""
    rows = []
    for path in sorted(glob.glob(str(ROOT / "data" / "nlu" / "*.yml"))):
        rows += [(text, intent, os.path.relpath(path, ROOT)) for text, intent in load_examples(Path(path))]
    return rows


@pytest.fixture(scope="session")
def model_path() -> Path:
    model = os.environ.get("ASSISTANT_MODEL")
    if model:
        return Path(model)
    from tools.ensure_model import ensure_model

    return ensure_model(ROOT / "config.yml", ROOT / "models")


@pytest.fixture(scope="session")
def parse(model_path):
    """The trained model's whole NLU pipeline, loaded once: texts -> parse results."""
    import asyncio
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model_path))

    def run(texts: List[str]) -> List[dict]:
        async def all_of_them():
            return [await agent.parse_message(t) for t in texts]

        return asyncio.run(all_of_them())

    return run


@pytest.fixture(scope="session")
def demo_port() -> int:
    """The port of the demo web page: chosen before the servers start, so they allow its origin."""
    from tools.servers import free_port

    return free_port()


@pytest.fixture(scope="session")
def assistant(model_path, tmp_path_factory, demo_port):
    """The real action server and Rasa server, on free loopback ports."""
    from tools.servers import HOST, running_assistant

    env = {"WIDGET_ALLOWED_ORIGINS": f"http://{HOST}:{demo_port}"}
    with running_assistant(model_path, tmp_path_factory.mktemp("assistant"), env=env) as running:
        yield running


@pytest.fixture(scope="session")
def demo_page(assistant, demo_port) -> str:
    """The demo clinic page with the chat widget, talking to the session's assistant."""
    from tools.demo_site import serving_demo_page

    with serving_demo_page(demo_port, assistant.rasa_url) as url:
        yield url
