"""`make shell`: chat with the assistant in the terminal (reuses a running action server)."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

from tools.servers import BIN, HOST, ROOT, start_action_server, stop, wait_until_up

ACTION_PORT = 5055


def action_server_running() -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{ACTION_PORT}/health", timeout=2):
            return True
    except OSError:
        return False


def main() -> None:
    model = Path(sys.argv[1])
    actions = None
    logs = ROOT / "var" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "actions.log", "ab") as action_log:
        try:
            if not action_server_running():
                actions = start_action_server(ACTION_PORT, action_log)
                wait_until_up(f"http://{HOST}:{ACTION_PORT}/health", actions)
            subprocess.run(
                [str(BIN / "rasa"), "shell", "--model", str(model),
                 "--endpoints", str(ROOT / "endpoints.yml"), "--port", "5006"],
                cwd=ROOT,
            )
        except KeyboardInterrupt:
            pass
        finally:
            stop(actions)


if __name__ == "__main__":
    main()
