"""slow_clients_p95_ratio: an ordinary page's p95 with 200 slow connections attached, over its p95
without them.

Phones on failing mobile links start requests and trickle them; a server that gives each one a
worker (or a thread) stops answering everyone else. Half the slow connections send headers that
never end, half announce a 20 MB upload and send a byte a second; meanwhile 8 ordinary visitors
fetch GET /status/ (the lookup form), in rounds A,B,A,B without and with the slow ones. A ratio near
1 means the slow clients cost the others nothing.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time

from .load import merge_phases, timed_loadgen
from .server import makefile_run_settings
from .stats import ratio

SLOW_CLIENTS = 200  # half that never finish their headers, half that send a 20 MB upload a byte a second
SLOW_PAGE_CLIENTS = 8  # ordinary visitors measured meanwhile


class SlowClients:
    """Connections that start a request and trickle it: headers that never end, or an upload
    announced as 20 MB of which a byte a second arrives (a phone on a failing mobile link). They
    are kept alive by a thread and all closed on exit; loopback only, bounded by the phase."""

    def __init__(self, port: int, count: int):
        self.port, self.count, self.sockets, self.stop = port, count, [], threading.Event()
        self.opened = self.dropped = 0

    def __enter__(self):
        for n in range(self.count):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            if n % 2:
                s.sendall(b"POST /status/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                          b"Content-Length: 20000000\r\n\r\nreference=")  # fmt: skip
            else:
                s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.sockets.append(s)
        self.opened = len(self.sockets)
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()
        return self

    def _trickle(self) -> None:
        while not self.stop.wait(1.0):
            for s in list(self.sockets):
                try:
                    s.sendall(b"X")  # a header line's next letter, or the body's next byte
                except OSError:
                    self.sockets.remove(s)
                    self.dropped += 1

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)
        for s in self.sockets:
            s.close()


def slow_clients_rows(server: subprocess.Popen, port: int, demo: dict, profile: dict) -> list[dict]:
    """p95 of an ordinary page (GET /status/, the lookup form) with SLOW_CLIENTS slow connections
    attached over its p95 without them, in rounds A,B,A,B."""
    half = profile["http_seconds"] / 2
    spec = {"port": port, "kind": "form", "clients": SLOW_PAGE_CLIENTS, "warmup": profile["http_warmup"],
            "duration": half, "pairs": demo["pairs"]}  # fmt: skip
    without, with_slow, still_attached = [], [], []
    for _round in range(2):
        without.append(timed_loadgen(server, spec))
        with SlowClients(port, SLOW_CLIENTS) as slow:
            time.sleep(1)
            with_slow.append(timed_loadgen(server, spec))
            still_attached.append(len(slow.sockets))
    a, b = merge_phases(without), merge_phases(with_slow)
    workers, _threads = makefile_run_settings()
    return [
        {
            "database": demo["vendor"],
            "dataset_size": len(demo["pairs"]),
            "name": "slow_clients_p95_ratio",
            "value": round(b["p95"], 1),
            "unit": "ms",
            "baseline_name": "ordinary_page_p95_ms",
            "baseline_value": round(a["p95"], 1),
            "ratio": ratio(b["p95"], a["p95"]),
            "notes": f"GET /status/ (the lookup form) by {SLOW_PAGE_CLIENTS} keep-alive clients, {half:g} s per "
            f"phase in rounds A,B,A,B: without, then with {SLOW_CLIENTS} slow connections attached (half send "
            f"headers that never end, half a 20 MB upload; each gets one more byte a second; still attached at "
            f"the end of the phases: {still_attached}). gunicorn with {workers} uvicorn workers as `make run`. "
            f"Requests: {a['requests']} without (errors {a['errors']}), {b['requests']} with (errors {b['errors']}, "
            f"{b['error_kinds']}); rps {a['rps']:.0f} -> {b['rps']:.0f}; p50 {a['p50']:.1f} -> {b['p50']:.1f} ms.",
        }
    ]
