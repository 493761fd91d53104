"""The demo clinic web page with the chat widget embedded, as a clinic's own site would embed it.

`make run` serves it on http://127.0.0.1:8080/ next to the assistant; the browser tests serve it
on a free port. The page comes from widget/demo/index.html filled in from the clinic profile.
It deliberately sends no Content-Security-Policy: the browser tests must show that the widget
itself never turns text into HTML, not that a policy caught it."""

from __future__ import annotations

import argparse
import html
import json
import re
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

from clinic.profile import ClinicProfile, current_profile
from clinic.paths import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / "widget" / "demo" / "index.html"
DEMO_PORT = 8080


def render_page(profile: ClinicProfile, server_url: str, init_payload: str = "/greet") -> str:
    config = {"serverUrl": server_url, "initPayload": init_payload}
    values = {
        "clinic_name": html.escape(profile.name),
        "phone": html.escape(profile.phone),
        "phone_link": html.escape(re.sub(r"[^\d+]", "", profile.phone)),
        "address": html.escape(profile.address),
        "hours": html.escape(profile.hours),
        "primary": profile.widget_colours["primary"],
        "demo_notice": "Demo page with sample clinic details" if profile.demo else "Chat widget preview",
        # "</" would end the script element early; JSON allows escaping the slash.
        "widget_config": json.dumps(config).replace("</", "<\\/"),
        "widget_src": html.escape(f"{server_url}/webhooks/socketio/widget.js"),
    }
    return re.sub(r"\{\{(\w+)\}\}", lambda match: values[match.group(1)], TEMPLATE.read_text(encoding="utf-8"))


def make_server(port: int, server_url: str, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    page = render_page(current_profile(), server_url).encode("utf-8")

    class DemoPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path.split("?")[0] not in ("/", "/index.html"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *_: object) -> None:
            pass  # page views are not worth a log line

    return ThreadingHTTPServer((host, port), DemoPage)


@contextmanager
def serving_demo_page(port: int, server_url: str) -> Iterator[str]:
    """The demo page in a background thread; yields its URL."""
    server = make_server(port, server_url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{server.server_address[0]}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=DEMO_PORT)
    parser.add_argument("--server-url", default="http://127.0.0.1:5005")
    args = parser.parse_args()
    server = make_server(args.port, args.server_url)
    print(f"demo page on http://127.0.0.1:{args.port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
