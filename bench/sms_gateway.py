"""A fake SMS gateway for the notices benchmark: what `JIEDAO_SMS_PROVIDER=http_json` talks to.

Run by bench/run.py as its own process (`python bench/sms_gateway.py`); it prints its port on the
first line of stdout and serves until killed:

- ``POST /sms``: one message, JSON ``{id, phone, sign, template, params, text}`` as
  ``jiedao.notices.providers.HttpJsonProvider`` sends it. Every message is recorded (its id, the
  template, the time it arrived), repeats included, and answered 200 ``{"message_id": ...}``.
- ``GET /sms/<id>``: the provider's status query: 200 ``{"status": "sent"}`` when that id was
  received, 404 when not (so a worker reconciling an unknown outcome does not send twice).
- ``GET /__stats?template=CODE``: ``{received, distinct, first, last}`` for that template
  (all templates without it): the bench reads lost = queued - distinct and
  duplicated = received - distinct from here. ``POST /__reset`` forgets everything.

It checks nothing and never fails a message: the point is to measure Jiedao's outbox, not a
provider's. ThreadingHTTPServer, one thread per connection, as the provider opens one
connection per message.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
MESSAGES: list[tuple[str, str, float]] = []  # (id, template, arrival time)
SEEN: set[str] = set()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: thousands of requests
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        path = urlsplit(self.path).path
        if path == "/__reset":
            with LOCK:
                MESSAGES.clear()
                SEEN.clear()
            return self._answer(200, {"ok": True})
        try:
            message = json.loads(raw.decode("utf-8"))
            message_id = str(message["id"])
        except (ValueError, KeyError, TypeError):
            return self._answer(400, {"error": "bad message"})
        with LOCK:
            MESSAGES.append((message_id, str(message.get("template", "")), time.time()))
            SEEN.add(message_id)
        return self._answer(200, {"message_id": f"fake-{message_id[:12]}"})

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path == "/__stats":
            template = parse_qs(parts.query).get("template", [None])[0]
            with LOCK:
                chosen = [m for m in MESSAGES if template is None or m[1] == template]
            times = [m[2] for m in chosen]
            return self._answer(
                200,
                {
                    "received": len(chosen),
                    "distinct": len({m[0] for m in chosen}),
                    "first": min(times) if times else None,
                    "last": max(times) if times else None,
                },
            )
        message_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
        with LOCK:
            known = message_id in SEEN
        if known:
            return self._answer(200, {"status": "sent", "message_id": f"fake-{message_id[:12]}"})
        return self._answer(404, {"error": "not found"})


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    print(server.server_address[1], flush=True)
    server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main()
