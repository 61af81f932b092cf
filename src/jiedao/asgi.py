"""The server's entry point: Django as an ASGI application, behind uvicorn workers that gunicorn
manages (``make run`` and the container image; deploy/gunicorn.conf.py).

Why ASGI and not gunicorn's threads: a sync worker thread is held from the first byte of a request
to the last, so sixty phones that open a connection and never finish their headers, or thirty slow
photo uploads on weak mobile data, took every thread and froze the site for everyone else. Here
the event loop reads headers and bodies as they trickle in, and a request reaches Django's (sync)
views only once it is complete, so slow clients cost a socket each, not a thread.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import warnings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiedao.settings")

from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_application = get_asgi_application()

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
