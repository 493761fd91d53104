"""`make run`: the action server and the Rasa server on their usual local ports until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

import os
import subprocess
from contextlib import ExitStack

from tools.demo_site import DEMO_PORT, serving_demo_page
from tools.servers import HOST, ROOT, start_action_server, start_rasa_server, stop, wait_until_up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model", type=Path)
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--action-port", type=int, default=5055)
    parser.add_argument("--demo-port", type=int, default=DEMO_PORT)
    args = parser.parse_args()
    demo_origins = f"http://{HOST}:{args.demo_port},http://localhost:{args.demo_port}"
    # credentials.yml allows the demo page on its default port; another port must be allowed too.
    rasa_env = {} if args.demo_port == DEMO_PORT or os.environ.get("WIDGET_ALLOWED_ORIGINS") \
        else {"WIDGET_ALLOWED_ORIGINS": demo_origins}

    logs = ROOT / "var" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    actions = rasa = worker = None
    with open(logs / "actions.log", "ab") as action_log, open(logs / "rasa.log", "ab") as rasa_log, \
            open(logs / "delivery.log", "ab") as delivery_log, ExitStack() as demo:
        try:
            actions = start_action_server(args.action_port, action_log)
            rasa = start_rasa_server(args.model, args.port, ROOT / "endpoints.yml", rasa_log, env=rasa_env)
            if os.environ.get("BOOKING_WEBHOOK_URL"):
                worker = subprocess.Popen([sys.executable, "-m", "actions.delivery"], cwd=ROOT,
                                          stdout=delivery_log, stderr=subprocess.STDOUT, start_new_session=True)
            print(f"starting the assistant with {args.model.name} (logs in {logs}) ...", flush=True)
            wait_until_up(f"http://{HOST}:{args.action_port}/health", actions)
            wait_until_up(f"http://{HOST}:{args.port}/webhooks/rest/", rasa)
            url = f"http://{HOST}:{args.port}"
            demo_url = demo.enter_context(serving_demo_page(args.demo_port, url))
            print(
                f"\nThe assistant is running.\n"
                f"  REST:      curl -s -X POST {url}/webhooks/rest/webhook "
                f"-H 'Content-Type: application/json' "
                f"-d '{{\"sender\": \"me\", \"message\": \"how long does an infusion take?\"}}'\n"
                f"  Website:   {demo_url} (demo clinic page with the chat widget)\n"
                f"  Widget:    {url}/webhooks/socketio/widget.js (Socket.IO at {url}/socket.io)\n"
                f"  Terminal:  make shell (in another terminal)\n"
                + (f"  HTTP API:  {url} (enabled by RASA_AUTH_TOKEN; add ?token=...)\n"
                   if os.environ.get("RASA_AUTH_TOKEN", "").strip() else "  HTTP API:  off (set RASA_AUTH_TOKEN to enable it)\n")
                + (f"  Bookings:  delivered to BOOKING_WEBHOOK_URL (log: {logs / 'delivery.log'})\n"
                   if worker else "  Bookings:  kept in the outbox; list them with make bookings\n")
                + "Press Ctrl-C to stop.",
                flush=True,
            )
            while actions.poll() is None and rasa.poll() is None and (worker is None or worker.poll() is None):
                time.sleep(1)
            sys.exit("a server stopped unexpectedly; see the logs in var/logs")
        except KeyboardInterrupt:
            print("\nstopping ...", flush=True)
        finally:
            stop(worker)
            stop(rasa)
            stop(actions)


if __name__ == "__main__":
    main()
