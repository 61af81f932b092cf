"""jiedao.asgi's handler, in-process: what one request costs in trips between the event loop and
the thread (lane) that runs Django's sync code. Each trip is a hand-over between threads; Django's
own ASGI chain made about ten per request, most of a trivial request's time under a burst."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import SyncToAsync
from asgiref.testing import ApplicationCommunicator

from jiedao.asgi import LanedASGIHandler

pytestmark = pytest.mark.django_db(transaction=True)


def get(handler, path: str) -> tuple[dict, dict]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), (b"accept-language", b"zh-CN")],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }  # fmt: skip

    async def exchange():
        communicator = ApplicationCommunicator(handler, scope)
        await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await communicator.receive_output(10)
        body = await communicator.receive_output(10)
        await communicator.wait(10)
        return start, body

    # A thread of its own: in a worker that ran the browser tests, Playwright's loop is running here.
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, exchange()).result()


def test_a_request_s_middleware_and_view_run_in_one_trip_to_its_lane(monkeypatch):
    trips: list[str] = []
    original = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        trips.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    handler = LanedASGIHandler(lanes=2)
    start, body = get(handler, "/healthz")
    assert start["status"] == 200 and body["body"] == b"ok"
    # The request_started signal's receivers, the whole middleware chain with the view, and
    # closing the response: three trips, the chain in one.
    assert trips.count("BaseHandler.get_response") == 1
    assert len(trips) <= 3, trips


def test_pages_still_get_every_middleware_s_headers():
    start, _body = get(LanedASGIHandler(lanes=1), "/status/")
    headers = {name.decode().lower(): value.decode() for name, value in start["headers"]}
    assert start["status"] == 200
    assert headers["x-frame-options"] == "DENY"  # clickjacking middleware
    assert "content-security-policy" in headers  # CSP middleware
    assert "csrftoken" in headers.get("set-cookie", "")  # CSRF middleware, around the view
