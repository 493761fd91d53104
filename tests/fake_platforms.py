"""A stand-in for the messaging platforms' APIs (Twilio, Graph, Telegram, Slack) on 127.0.0.1:
records every request the assistant sends and answers 200."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List
from urllib.parse import parse_qs


class FakePlatforms:
    def __init__(self) -> None:
        self.requests: List[Dict[str, object]] = []
        self._lock = threading.Lock()
        platforms = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with platforms._lock:
                    platforms.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                answer = b'{"ok": true, "sid": "SM0", "message_id": "m0", "result": {}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakePlatforms":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def sent(self, path_part: str) -> List[dict]:
        """Bodies sent to paths containing `path_part`, decoded (JSON or form)."""
        with self._lock:
            matching = [r for r in self.requests if path_part in str(r["path"])]
        decoded = []
        for request in matching:
            body = request["body"].decode()
            try:
                decoded.append(json.loads(body))
            except ValueError:
                decoded.append({k: v[0] for k, v in parse_qs(body).items()})
        return decoded
