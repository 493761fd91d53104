"""`make shell`: chat with the assistant in the terminal.

It starts its own action server on a free port and points Rasa at it, so it never talks to an
action server it did not start (one left over from `make run` may run older code), and starts Rasa
through the launcher, with the same changes to Rasa's behaviour as `make run` (rasa_patches)."""

from __future__ import annotations

import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from tools.servers import HOST, ROOT, endpoints_for, free_port, start_action_server, stop, wait_until_up


def main() -> None:
    model = Path(sys.argv[1])
    logs = ROOT / "var" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    action_port = free_port()
    with ExitStack() as running:
        action_log = running.enter_context(open(logs / "actions.log", "ab"))
        actions = start_action_server(action_port, action_log, die_with_parent=True)
        running.callback(stop, actions)
        try:
            wait_until_up(f"http://{HOST}:{action_port}/health", actions)
            endpoints = endpoints_for(action_port, running)
            subprocess.run([sys.executable, "-m", "tools.rasa_server", "shell", "--model", str(model),
                            "--endpoints", str(endpoints), "--port", str(free_port())], cwd=ROOT)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
