"""One-line JSON logs with the trace id of the message being handled (clinic/logs.py)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from clinic import logs


@pytest.fixture()
def captured():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("test-logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logs.configure({})


def lines(stream: io.StringIO) -> list:
    return stream.getvalue().splitlines()


def test_json_lines_carry_the_trace_id_of_the_message_being_handled(captured):
    logger, stream = captured
    assert logs.configure({"LOG_FORMAT": "json"})
    logger.info("outside any message")
    trace_id = logs.new_trace_id()
    with logs.traced(trace_id):
        logger.info("stored %s request %s", "booking", "BK-ABCD-EFGH")
        try:
            raise ValueError("line one\nline two")
        except ValueError:
            logger.exception("could not store it")
    first, second, third = [json.loads(line) for line in lines(stream)]
    assert "trace_id" not in first and first["level"] == "INFO" and first["logger"] == "test-logs"
    assert second["message"] == "stored booking request BK-ABCD-EFGH" and second["trace_id"] == trace_id
    assert second["time"].endswith("Z")
    assert third["trace_id"] == trace_id and "line two" in third["exception"] and third["level"] == "ERROR"


def test_text_stays_the_default_and_a_wrong_setting_is_refused(captured):
    logger, stream = captured
    assert not logs.configure({})
    logger.info("plain")
    assert lines(stream) == ["plain"]
    with pytest.raises(SystemExit, match="LOG_FORMAT"):
        logs.configure({"LOG_FORMAT": "yaml"})


def test_only_a_well_formed_trace_id_is_taken_from_metadata():
    assert logs.trace_id_of({"trace_id": "0123abcd"}) == "0123abcd"
    for metadata in (None, "x", {}, {"trace_id": 5}, {"trace_id": "has spaces"}, {"trace_id": "a\nb"},
                     {"trace_id": "x" * 65}):
        assert logs.trace_id_of(metadata) == ""
    with logs.traced("not well formed!"):
        assert logs.current_trace_id() == ""
    assert logs.current_trace_id() == ""
