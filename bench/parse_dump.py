"""A speed change must not change a reading: dump the parse result of every message of every round
(tests/rounds/*.yml) and crisis set (tests/crisis/*.yml), and compare two dumps.

    python -m bench.parse_dump dump MODEL before.json
    python -m bench.parse_dump compare before.json after.json"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from pathlib import Path
from typing import Any, Dict, List

import yaml

from tools.ensure_model import ROOT

# Confidences are floats from TensorFlow and numpy: equal readings may differ in the last bits.
TOLERANCE = 1e-6


def round_texts(path: Path) -> List[str]:
    """A round's messages and the messages its follow-ups lean on."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    texts: List[str] = []
    for message in document.get("messages") or []:
        texts.append(str(message["text"]).strip())
        if message.get("after"):
            texts.append(str(message["after"]).strip())
    return texts


def crisis_set_texts(path: Path) -> List[str]:
    groups = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("messages") or {}
    return [str(text) for texts in groups.values() for text in texts]


def all_texts(root: Path = ROOT) -> List[str]:
    rounds = sorted((root / "tests" / "rounds").glob("*.yml"))
    crisis_sets = sorted((root / "tests" / "crisis").glob("*.yml"))
    return [text for path in rounds for text in round_texts(path)] + \
        [text for path in crisis_sets for text in crisis_set_texts(path)]


async def parse_all(model: Path, texts: List[str]) -> List[Dict[str, Any]]:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    return [await agent.parse_message(text) for text in texts]


def differences(before: Any, after: Any, where: str = "") -> List[str]:
    """Where two parse results differ: any key, value or order, floats beyond TOLERANCE."""
    if isinstance(before, dict) and isinstance(after, dict):
        if list(before) != list(after):
            return [f"{where}: keys {list(before)} != {list(after)}"]
        return [d for key in before for d in differences(before[key], after[key], f"{where}.{key}")]
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return [f"{where}: {len(before)} items != {len(after)}"]
        return [d for i, (b, a) in enumerate(zip(before, after)) for d in differences(b, a, f"{where}[{i}]")]
    if isinstance(before, float) and isinstance(after, float):
        return [] if math.isclose(before, after, rel_tol=0, abs_tol=TOLERANCE) else [f"{where}: {before} != {after}"]
    return [] if before == after and type(before) is type(after) else [f"{where}: {before!r} != {after!r}"]


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    dump = commands.add_parser("dump")
    dump.add_argument("model", type=Path)
    dump.add_argument("out", type=Path)
    compare = commands.add_parser("compare")
    compare.add_argument("before", type=Path)
    compare.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "dump":
        texts = all_texts()
        parses = asyncio.run(parse_all(args.model, texts))
        args.out.write_text(json.dumps(parses, indent=1, ensure_ascii=False), encoding="utf-8")
        print(f"{len(parses)} parse results written to {args.out}")
        return 0
    before = json.loads(args.before.read_text(encoding="utf-8"))
    after = json.loads(args.after.read_text(encoding="utf-8"))
    found = differences(before, after)
    for line in found[:50]:
        print(line)
    print(f"{len(before)} messages compared, {len(found)} differences")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
