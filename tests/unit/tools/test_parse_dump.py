"""Two dumps of parse results compare equal only when every key, value and order is the same."""

from __future__ import annotations

from pathlib import Path

from bench.parse_dump import TOLERANCE, all_texts, differences


def parse(confidence: float, name: str = "ask_cost") -> dict:
    return {"text": "price?", "intent": {"name": name, "confidence": confidence},
            "entities": [], "intent_ranking": [{"name": name, "confidence": confidence}]}


def test_the_same_readings_within_the_tolerance_compare_equal():
    assert differences([parse(0.5)], [parse(0.5 + TOLERANCE / 2)]) == []


def test_a_confidence_beyond_the_tolerance_a_name_or_a_key_is_a_difference():
    assert differences([parse(0.5)], [parse(0.5 + 10 * TOLERANCE)])
    assert differences([parse(0.5)], [parse(0.5, "ask_insurance")])
    assert differences([parse(0.5)], [{**parse(0.5), "crisis_detection": {"rule": "x"}}])
    assert differences([parse(0.5)], [parse(0.5), parse(0.5)])


def test_every_round_and_crisis_set_message_is_read(tmp_path: Path):
    (tmp_path / "tests" / "rounds").mkdir(parents=True)
    (tmp_path / "tests" / "crisis").mkdir()
    (tmp_path / "tests" / "rounds" / "a.yml").write_text(
        "messages:\n- text: ' and for teens? '\n  expect: x\n  after: how much is it\n", encoding="utf-8")
    (tmp_path / "tests" / "crisis" / "b.yml").write_text("messages:\n  g:\n  - i want to die\n", encoding="utf-8")
    assert all_texts(tmp_path) == ["and for teens?", "how much is it", "i want to die"]
