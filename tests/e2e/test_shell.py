"""`make shell`: a tryout in the terminal with servers of its own. Typed lines reach the assistant,
answers show their buttons as numbered options as SMS shows them, a typed number picks that option,
and /quit stops both servers and deletes the tryout's conversation store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.project import ROOT
from tools.shell import PROMPT

FAQ_QUESTION = "how much does it cost?"
TIMEOUT = 300.0  # seconds: both servers start (about half a minute), then three turns


def words(text: str) -> str:
    return " ".join(text.split())


def opening(answer: str) -> str:
    """The first words of an answer, before any value the clinic profile fills in."""
    return " ".join(answer.split("{")[0].split()[:6])


def processes_naming(text: str) -> list:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace"):
                found.append(cmdline.parent.name)
        except OSError:
            pass  # the process ended meanwhile
    return found


def test_numbered_options_and_a_typed_number_picks_one(model_path, domain, tmp_path):
    # The tryout's temporary folder goes under tmp_path: afterwards it must be gone, with its servers.
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "tools.shell", str(model_path)], cwd=ROOT, env=env,
                         input=f"hi\n{FAQ_QUESTION}\n1\n/quit\n", capture_output=True, text=True, timeout=TIMEOUT)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    cost = domain["responses"]["utter_ask_cost"][0]
    first = cost["buttons"][0]
    options = "Reply with a number:\n" + "\n".join(f"{n}. {b['title']}" for n, b in enumerate(cost["buttons"], 1))
    assert out.count("Reply with a number:") >= 2, out  # the greeting's options, then the answer's
    answer = out.split(f"{PROMPT}{FAQ_QUESTION}\n", 1)[1].split(f"{PROMPT}1\n", 1)[0]
    assert opening(cost["text"]) in words(answer) and options in answer, out
    picked = out.split(f"{PROMPT}1\n", 1)[1].split(f"{PROMPT}/quit", 1)[0]
    assert picked.startswith(f"→ {first['title']}\n"), out
    expected = domain["responses"][f"utter_{first['payload'].lstrip('/')}"]
    assert any(opening(v["text"]) in words(picked) for v in expected), (first, out)
    assert not list(tmp_path.glob("clinic-shell-*")) and not processes_naming(str(tmp_path))
