"""tools/env_file.py: the `.env` lines `make run` understands, and which settings it applies."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import ROOT
from tools.env_file import EnvFileError, apply_settings, load_env_file, parse_env_text


def test_comments_blank_lines_export_and_quotes() -> None:
    text = (
        "# a comment\n"
        "\n"
        "PLAIN=value\n"
        "export EXPORTED=yes\n"
        "  SPACED = around  \n"
        "DOUBLE=\"two words\"\n"
        "SINGLE='it is # not a comment'\n"
        "TRAILING=value # a comment after it\n"
        "HASH=a#b\n"
        "EQUALS=a=b=c\n"
    )
    assert parse_env_text(text) == {
        "PLAIN": "value",
        "EXPORTED": "yes",
        "SPACED": "around",
        "DOUBLE": "two words",
        "SINGLE": "it is # not a comment",
        "TRAILING": "value",
        "HASH": "a#b",
        "EQUALS": "a=b=c",
    }


def test_nothing_is_expanded() -> None:
    assert parse_env_text("A=$HOME/${USER}\nB='$HOME'\n") == {"A": "$HOME/${USER}", "B": "$HOME"}


def test_empty_values_are_kept_by_the_parser_but_never_applied() -> None:
    settings = parse_env_text("EMPTY=\nQUOTED_EMPTY=\"\"\nSET=1\n")
    assert settings == {"EMPTY": "", "QUOTED_EMPTY": "", "SET": "1"}
    environ: dict = {}
    assert apply_settings(settings, environ) == ["SET"]
    assert environ == {"SET": "1"}


def test_the_environment_wins() -> None:
    environ = {"CLINIC_PROFILE": "clinic/mine.yml", "BLANK": ""}
    applied = apply_settings({"CLINIC_PROFILE": "clinic/demo.yml", "BLANK": "filled", "NEW": "x"}, environ)
    # A variable set to "" counts as unset, as everywhere in the project.
    assert applied == ["BLANK", "NEW"]
    assert environ == {"CLINIC_PROFILE": "clinic/mine.yml", "BLANK": "filled", "NEW": "x"}


@pytest.mark.parametrize("line", ["JUST_A_NAME", "1BAD=x", "BAD NAME=x", "A=\"unclosed", "A='x' trailing"])
def test_malformed_lines_name_their_line_number(line: str) -> None:
    with pytest.raises(EnvFileError, match=r"settings\.env, line 2"):
        parse_env_text(f"OK=1\n{line}\n", "settings.env")


def test_a_missing_file_changes_nothing(tmp_path: Path) -> None:
    environ: dict = {}
    assert load_env_file(tmp_path / ".env", environ) is None
    assert environ == {}


def test_load_env_file_applies_the_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("export A='1'\nB=\nC=3\n", encoding="utf-8")
    environ = {"C": "already"}
    assert load_env_file(env_file, environ) == ["A"]
    assert environ == {"A": "1", "C": "already"}


def test_env_example_is_a_valid_env_file_that_enables_nothing() -> None:
    """A copy of .env.example parses; its secrets and webhook stay unset, so it switches nothing on."""
    settings = parse_env_text((ROOT / ".env.example").read_text(encoding="utf-8"), ".env.example")
    assert settings["CLINIC_PROFILE"] == "clinic/demo.yml"
    environ: dict = {}
    applied = apply_settings(settings, environ)
    assert not {"RASA_AUTH_TOKEN", "BOOKING_WEBHOOK_URL", "TRACKER_STORE_URL", "OUTBOX_DB_URL"} & set(applied)
