"""Request limits enforced before the body is read.

Django itself refuses too many files or too many form fields only while parsing the body (raising
in whatever reads ``request.POST`` first, usually the CSRF check), and has no limit on a whole
multipart body at all: files are spooled to disk however large. This middleware refuses a body
whose declared ``Content-Length`` exceeds ``JIEDAO_MAX_REQUEST_BYTES`` before anything reads it,
and answers with the same clear message as the other limits (``core.views.request_refused``).
"""

from __future__ import annotations

from django.conf import settings

from .views import request_refused, request_too_large_message

# Beyond this many times the limit a body is not even drained: the connection is simply closed.
_DRAIN_FACTOR = 2
_CHUNK = 64 * 1024


def declared_length(request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def discard_body(request, *, limit: int) -> None:
    """Read what is left of the body in small chunks and throw it away (at most ``limit`` bytes).

    Why read at all: a server that answers and closes while the browser is still sending makes
    the browser report "connection reset" instead of showing our answer. Nothing is kept, so
    memory stays flat whatever the size.
    """
    stream = getattr(request, "_stream", None)
    if stream is None:
        return
    read = 0
    try:
        while read < limit:
            chunk = stream.read(min(_CHUNK, limit - read))
            if not chunk:
                break
            read += len(chunk)
    except OSError:
        pass  # the client went away; nothing to answer to


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = int(settings.JIEDAO_MAX_REQUEST_BYTES)
        length = declared_length(request)
        if length is not None and length > limit:
            if length <= _DRAIN_FACTOR * limit:
                discard_body(request, limit=length)
            # No "Connection: close" here: WSGI leaves hop-by-hop headers to the server.
            return request_refused(
                request, status=413, code="too_large", message=request_too_large_message(request, limit)
            )
        return self.get_response(request)
