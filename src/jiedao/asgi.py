"""The server's entry point: Django as an ASGI application, behind uvicorn workers that gunicorn
manages (``make run`` and the container image; deploy/gunicorn.conf.py).

Why ASGI and not gunicorn's threads: a sync worker thread is held from the first byte of a request
to the last, so sixty phones that open a connection and never finish their headers, or thirty slow
photo uploads on weak mobile data, took every thread and froze the site for everyone else. Here
the event loop reads headers and bodies as they trickle in, and a request reaches Django's (sync)
views only once it is complete, so slow clients cost a socket each, not a thread.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiedao.settings")

import django  # noqa: E402
from asgiref.sync import ThreadSensitiveContext, sync_to_async  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402

# What a request holds while Django runs it: its lane, and the context that routes it there.
_lane_taken: contextvars.ContextVar[dict] = contextvars.ContextVar("jiedao_lane_taken")


class LanedASGIHandler(ASGIHandler):
    """Django's ASGI handler, with every request's sync code (middleware, views, the ORM) on one
    of a few threads that live as long as the worker process.

    Django gives each request a thread of its own (a ``ThreadSensitiveContext`` without an
    executor makes a new single-thread executor), and database connections are kept per thread:
    so every request that touched the database opened a new connection and dropped it
    (SQLite: over a millisecond with our PRAGMAs and functions, a tenth of a status lookup;
    PostgreSQL: a new backend process each time), and ``CONN_MAX_AGE`` never applied. Here a
    request takes one of ``lanes`` long-lived single-thread executors, which asgiref lets the
    caller own, so connections are kept and reused; it takes it only once its body has arrived
    (``read_body``), so a slow client still costs a socket, not a thread, and a request that
    finds every lane busy waits in the event loop."""

    def __init__(self, lanes: int):
        super().__init__()
        self.lane_count = lanes
        self._lanes: asyncio.Queue | None = None

    def load_middleware(self, is_async=False):
        """The middleware chain as under WSGI, sync from top to bottom, whatever Django asks for.

        Django's ASGI handler builds an async chain, and every middleware that is sync only, or
        both but written as ``process_request``/``process_response`` (Django's own), is then
        adapted on its own: each boundary between sync and async code in the chain is a trip
        from the event loop to the lane and back, about ten per request here (a profile of a
        worker answering a burst of /healthz spent more time in those trips than in Django).
        Every view here is sync, so the whole chain runs in the lane in one trip
        (``get_response_async``)."""
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)  # refused, as Django refuses it
        taken: dict = {}
        token = _lane_taken.set(taken)
        try:
            # Django's own __call__ is handle() inside a new per-request context: read_body below
            # enters this request's lane context instead.
            await self.handle(scope, receive, send)
        finally:
            if "context" in taken:
                await taken["context"].__aexit__(None, None, None)
            _lane_taken.reset(token)
            if "lane" in taken:
                self._lanes.put_nowait(taken["lane"])

    async def read_body(self, receive):
        body = await super().read_body(receive)
        if self._lanes is None:  # in the worker's event loop, on its first request
            self._lanes = asyncio.Queue()
            for number in range(self.lane_count):
                self._lanes.put_nowait(ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"django-lane-{number}"))
        taken = _lane_taken.get()
        taken["lane"] = await self._lanes.get()
        context = ThreadSensitiveContext(executor=taken["lane"])
        await context.__aenter__()  # left in __call__, in this same task
        taken["context"] = context
        return body


django.setup(set_prefix=False)
# Threads per worker process for Django's code: requests that run at once in one process.
django_application = LanedASGIHandler(lanes=int(os.environ.get("JIEDAO_WEB_THREADS", "8")))

# Django's ASGI handler spools a request body above FILE_UPLOAD_MAX_MEMORY_SIZE with
# tempfile.SpooledTemporaryFile in tempfile's default folder; point that folder at the data
# folder's spool too, so no part of an upload ever lands in the system temp folder.
tempfile.tempdir = str(settings.UPLOAD_SPOOL_DIR)

# Files (WhiteNoise's static files, document photos, exports) are answered with sync iterators,
# which Django's ASGI handler reads in a thread, as it should; its warning about that is noise.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

# gunicorn's access logger (its handlers are set up from deploy/gunicorn.conf.py's accesslog).
access_log = logging.getLogger("gunicorn.access")


async def application(scope, receive, send):
    """Django, with one access-log line per request that leaves the query string out: an SMS
    delivery report may carry its token as ``?token=…`` (uvicorn's own access log is switched off
    in jiedao.server because it prints the query string)."""
    if scope["type"] != "http" or not access_log.handlers:
        return await django_application(scope, receive, send)
    started = time.perf_counter()
    status, size = 0, 0

    async def send_and_count(message):
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            size += len(message.get("body", b""))
        await send(message)

    try:
        await django_application(scope, receive, send_and_count)
    finally:
        client = (scope.get("client") or ("-", 0))[0]
        when = time.strftime("[%d/%b/%Y:%H:%M:%S %z]")
        elapsed = int((time.perf_counter() - started) * 1000)
        protocol = f"HTTP/{scope.get('http_version', '1.1')}"
        access_log.info('%s %s "%s %s %s" %s %s %sms', client, when, scope["method"], scope["path"], protocol, status, size, elapsed)
