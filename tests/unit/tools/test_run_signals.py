"""The stop handler of `make run` when a second signal lands inside it.

A SIGTERM to make's process group reaches tools.run twice, directly and forwarded by make, so the
second handler call can start between any two lines of the first. Each case below replays that at
one line (a trace function calls the handler again there) and expects one clean stop, never a hang.
"""
import gc
import signal
import sys
import threading
from typing import Optional

import pytest

from tools import run

HANG_TIMEOUT = 5.0


@pytest.fixture(autouse=True)
def fresh_stop_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "_stop_reasons", [])
    monkeypatch.setattr(run, "_lost_parent", [])


def handle_sigterm(second_signal_at_line: Optional[int]) -> dict:
    """Calls the handler on a thread; returns its raised exceptions, traced line count and whether it ended."""
    outcome: dict = {"raised": [], "lines": 0}

    def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
        if event == "line":
            outcome["lines"] += 1
            if outcome["lines"] == second_signal_at_line:
                run._request_stop(signal.SIGTERM, None)  # tracing is off inside a tracer: not traced again
        return tracer

    def handle() -> None:
        # No cyclic garbage collection while traced: a collection's weakref callbacks would add lines that
        # are not the handler's, at a different count in each run (CI once saw the second signal land there).
        gc.collect()
        gc.disable()
        sys.settrace(tracer)
        try:
            run._request_stop(signal.SIGTERM, None)
        except run.StopRequested as stop:
            outcome["raised"].append(stop)
        finally:
            sys.settrace(None)
            gc.enable()

    thread = threading.Thread(target=handle, daemon=True)  # a hang must fail the test, not block pytest
    thread.start()
    thread.join(HANG_TIMEOUT)
    outcome["ended"] = not thread.is_alive()
    return outcome


def test_the_first_signal_interrupts_and_later_ones_do_not() -> None:
    with pytest.raises(run.StopRequested, match="SIGTERM received"):
        run._request_stop(signal.SIGTERM, None)
    assert run._request_stop(signal.SIGTERM, None) is None
    assert run._request_stop(signal.SIGINT, None) is None


def test_a_second_signal_at_any_line_of_the_handler_still_stops_once() -> None:
    lines = handle_sigterm(second_signal_at_line=None)["lines"]
    assert lines >= 3, "the trace saw too little of the handler to test anything"
    for line in range(1, lines + 1):
        run._stop_reasons.clear()
        outcome = handle_sigterm(second_signal_at_line=line)
        assert outcome["ended"], f"the handler waited for itself when a second signal came at line {line} of {lines}"
        assert [str(stop) for stop in outcome["raised"]] == ["SIGTERM received"], f"second signal at line {line}"
