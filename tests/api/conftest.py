"""Tokens of both roles, a multipart submission as a partner platform sends it, and a real local
webhook receiver on 127.0.0.1 that checks nothing itself: it records every request (headers and
raw body) and answers with whatever status the test sets."""

from __future__ import annotations

import functools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.api.models import ApiToken
from jiedao.api.services import token_issue
from jiedao.intake.selectors import required_documents
from tests.conftest import photo_bytes
from tests.factories import valid_id_number


class Issued:
    def __init__(self, token: ApiToken, raw: str):
        self.token, self.raw = token, raw

    @property
    def headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.raw}"}


def issue(name, role, **fields) -> Issued:
    token = ApiToken(name=name, role=role, **fields)
    raw = token_issue(token)
    return Issued(token, raw)


@pytest.fixture
def partner(programme):
    return issue("yiwangtongban", "partner")


@pytest.fixture
def other_partner(programme):
    return issue("shequ-shouli", "partner")


@pytest.fixture
def reviewer_token(programme):
    return issue("fenzhihuibu", "reviewer")


@functools.cache
def _photo(seed: int) -> bytes:
    return photo_bytes(seed=seed, size=(640, 400))


def photo_upload(code: str, page: int = 1) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{code}-{page}.jpg", _photo(page), content_type="image/jpeg")


def form(prog, serial=1, categories=("disabled",), **overrides) -> dict:
    """A complete partner submission: fields plus ``doc_<code>`` files for every required page."""
    data = {
        "programme": "JGBK",
        "name": "张志远",
        "id_number": valid_id_number("19500101", serial),
        "phone": "13812345678",
        "address": "中兴路1021弄7号201室",
        "neighbourhood": "zhijiangxincun",
        "block": "yuqun-west",
        "categories": list(categories),
        "consent": "true",
    }
    for doc in required_documents(prog, categories):
        data[f"doc_{doc.code}"] = [photo_upload(doc.code, page) for page in range(1, doc.pages + 1)]
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def submit(client, issued, prog, *, headers=None, **overrides):
    return client.post(
        "/api/v1/applications", form(prog, **overrides), **issued.headers, **(headers or {})
    )


class Receiver:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.status = 200
        self.port = 0
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        self.server = server
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/jiedao"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    status = receiver.status
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        return Handler

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()
