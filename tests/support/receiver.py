"""A real HTTP receiver on 127.0.0.1 standing in for the clinic's booking webhook, and for the
messaging platforms' APIs."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List
from urllib.parse import parse_qs


class Receiver:
    """Records every request; can answer 500 or hang for the first few."""

    def __init__(self, secret: str, port: int = 0, fail_first: int = 0, hang_first: int = 0,
                 hang_seconds: float = 3.0) -> None:
        self.secret = secret
        self.fail_first, self.hang_first, self.hang_seconds = fail_first, hang_first, hang_seconds
        self.requests: List[Dict[str, object]] = []
        self.acknowledged: List[str] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    number = len(receiver.requests)
                if number <= receiver.hang_first:
                    time.sleep(receiver.hang_seconds)
                elif number <= receiver.hang_first + receiver.fail_first:
                    self.send_response(500)
                    self.end_headers()
                    return
                try:
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b'{"ok": true}')
                    with receiver._lock:
                        receiver.acknowledged.append(self.headers.get("Idempotency-Key", ""))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/bookings"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def signature_is_valid(self, request: Dict[str, object]) -> bool:
        expected = hmac.new(self.secret.encode(), request["body"], hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, request["headers"].get("X-Signature-SHA256", ""))

    def sent(self, path_part: str) -> List[dict]:
        """Bodies received on paths containing `path_part`, decoded (JSON or form fields)."""
        with self._lock:
            matching = [r for r in self.requests if path_part in str(r["path"])]
        decoded = []
        for request in matching:
            body = request["body"].decode()
            try:
                decoded.append(json.loads(body))
            except ValueError:
                decoded.append({key: values[0] for key, values in parse_qs(body).items()})
        return decoded

    def payloads(self) -> List[dict]:
        return [json.loads(r["body"]) for r in self.requests]

    def unique_keys(self) -> set:
        return {r["headers"].get("Idempotency-Key") for r in self.requests}


def wait_for(condition, timeout: float = 30.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False
