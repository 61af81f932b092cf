"""A real local SMS gateway on 127.0.0.1 (real sockets), playing both the generic HTTP JSON
gateway and Alibaba Cloud's SMS API, and cases submitted through the real services.

The gateway records every message it accepted (so a test can count duplicates) and can be told
to answer 503, to throttle, to refuse a number as invalid, to hang past the client's read timeout
*after* recording the message (the outcome is then unknown to the sender), or to stop listening
for a while (connections refused).
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from jiedao.core.models import Role
from jiedao.notices import worker
from jiedao.notices.models import Notice
from tests.conftest import CaseMaker
from tests.factories import make_staff

GATEWAY_TOKEN = "gateway-token-for-tests"
RECEIPT_TOKEN = "receipt-token-for-tests"
ALIYUN_KEY_ID = "test-key-id"
ALIYUN_KEY_SECRET = "test-key-secret-do-not-log"


class Gateway:
    def __init__(self):
        self.lock = threading.Lock()
        self.accepted: list[dict] = []  # every message taken, in order
        self.requests: list[dict] = []  # every request seen: method, path, action, headers
        self.mode = "ok"  # ok | unavailable | throttle
        self.invalid_phones: set[str] = set()
        self.hang = 0.0  # seconds to wait after recording a message, before answering
        self.delay = 0.0  # seconds to wait before answering at all (a slow gateway)
        self.delivered = True  # what the status query says about accepted messages
        self.port = 0
        self._server: ThreadingHTTPServer | None = None

    # Control.

    def start(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop_listening(self):
        """Close the listening socket: connections are refused until ``start`` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms"

    def ids(self) -> collections.Counter:
        with self.lock:
            return collections.Counter(message["id"] for message in self.accepted)

    def texts(self) -> list[str]:
        with self.lock:
            return [message["text"] for message in self.accepted]

    def find(self, notice_id: str) -> dict | None:
        with self.lock:
            return next((m for m in self.accepted if m["id"] == notice_id), None)

    # What the gateway does with one message.

    def take(self, message: dict) -> tuple[str, str]:
        """('accepted' | 'unavailable' | 'throttle' | 'invalid', message id)."""
        if self.delay:
            time.sleep(self.delay)
        if self.mode == "unavailable":
            return "unavailable", ""
        if self.mode == "throttle":
            return "throttle", ""
        if message["phone"] in self.invalid_phones:
            return "invalid", ""
        with self.lock:
            self.accepted.append(message)
            number = len(self.accepted)
        if self.hang:
            time.sleep(self.hang)
        return "accepted", f"gw-{number}"


def _handler(gateway: Gateway):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, status: int, payload) -> None:
            body = json.dumps(payload, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up waiting (read timeout)

        def _record(self):
            with gateway.lock:
                gateway.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "action": self.headers.get("x-acs-action", ""),
                        "authorization": self.headers.get("Authorization", ""),
                    }
                )

        def do_GET(self):
            self._record()
            if self.headers.get("Authorization") != f"Bearer {GATEWAY_TOKEN}":
                return self._answer(401, {"error": "unauthorised"})
            notice_id = urlsplit(self.path).path.rstrip("/").rsplit("/", 1)[-1]
            if gateway.find(notice_id) is None:
                return self._answer(404, {"error": "not found"})
            return self._answer(200, {"id": notice_id, "status": "delivered" if gateway.delivered else "sent"})

        def do_POST(self):
            self._record()
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            action = self.headers.get("x-acs-action")
            if action == "SendSms":
                return self._aliyun_send()
            if action == "QuerySendDetails":
                return self._aliyun_query()
            if self.headers.get("Authorization") != f"Bearer {GATEWAY_TOKEN}":
                return self._answer(401, {"error": "unauthorised"})
            data = json.loads(raw)
            outcome, message_id = gateway.take({**data, "via": "http_json"})
            if outcome == "accepted":
                return self._answer(200, {"message_id": message_id})
            if outcome == "unavailable":
                return self._answer(503, {"error": "service unavailable"})
            if outcome == "throttle":
                return self._answer(429, {"error": "too many messages to this number"})
            return self._answer(400, {"error": f"invalid number {data['phone']}"})

        # Alibaba Cloud's RPC API: parameters in the query string, the action in a header.

        def _query(self) -> dict[str, str]:
            return {key: values[0] for key, values in parse_qs(urlsplit(self.path).query).items()}

        def _aliyun_send(self):
            query = self._query()
            message = {
                "id": query.get("OutId", ""),
                "phone": query.get("PhoneNumbers", ""),
                "sign": query.get("SignName", ""),
                "template": query.get("TemplateCode", ""),
                "params": json.loads(query.get("TemplateParam") or "{}"),
                "text": "",
                "via": "aliyun",
                "sent_at": timezone.now(),
            }
            outcome, message_id = gateway.take(message)
            if outcome == "accepted":
                return self._answer(200, {"Code": "OK", "Message": "OK", "BizId": message_id, "RequestId": "r"})
            if outcome == "unavailable":
                return self._answer(503, {"Code": "ServiceUnavailable", "Message": "busy", "RequestId": "r"})
            if outcome == "throttle":
                return self._answer(200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控", "RequestId": "r"})
            return self._answer(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": "r"})

        def _aliyun_query(self):
            query = self._query()
            with gateway.lock:
                mine = [m for m in gateway.accepted if m["via"] == "aliyun" and m["phone"] == query.get("PhoneNumber")]
            details = [
                {
                    "OutId": m["id"],
                    "PhoneNum": m["phone"],
                    "SendStatus": 3 if gateway.delivered else 1,
                    "ErrCode": "DELIVERED" if gateway.delivered else "",
                    "TemplateCode": m["template"],
                    "SendDate": timezone.localtime(m["sent_at"]).strftime("%Y-%m-%d %H:%M:%S"),
                }
                for m in mine
            ]
            return self._answer(
                200,
                {"Code": "OK", "Message": "OK", "RequestId": "r", "TotalCount": len(details),
                 "SmsSendDetailDTOs": {"SmsSendDetailDTO": details}},
            )

    return Handler


@pytest.fixture
def gateway():
    gateway = Gateway()
    gateway.start()
    yield gateway
    gateway.stop_listening()


@pytest.fixture
def sms(settings, gateway, tmp_path):
    """Settings that send through the local gateway (HTTP JSON unless a test picks Aliyun)."""
    settings.JIEDAO_SMS_PROVIDER = "http_json"
    settings.JIEDAO_SMS_HTTP_URL = gateway.url
    settings.JIEDAO_SMS_HTTP_TOKEN = GATEWAY_TOKEN
    settings.JIEDAO_SMS_ALIYUN_ENDPOINT = f"127.0.0.1:{gateway.port}"
    settings.JIEDAO_SMS_ALIYUN_PROTOCOL = "http"
    settings.JIEDAO_SMS_ALIYUN_ACCESS_KEY_ID = ALIYUN_KEY_ID
    settings.JIEDAO_SMS_ALIYUN_ACCESS_KEY_SECRET = ALIYUN_KEY_SECRET
    settings.JIEDAO_SMS_CONNECT_TIMEOUT = 1
    settings.JIEDAO_SMS_READ_TIMEOUT = 0.5
    settings.JIEDAO_SMS_RECEIPT_TOKEN = RECEIPT_TOKEN
    settings.JIEDAO_SMS_CONSOLE_FILE = tmp_path / "sms-console.jsonl"
    settings.JIEDAO_SMS_SITE = "https://jd.example.cn/status/"
    settings.JIEDAO_SMS_PER_NUMBER_LIMITS = [(60, 1), (3600, 5), (86400, 10)]
    return settings


class PhoneCaseMaker(CaseMaker):
    """Cases through ``application_submit``, each with its own phone unless told otherwise, so that
    per-number limits only come into play where a test wants them."""

    def __call__(self, **overrides):
        if "phone" not in overrides:
            overrides["phone"] = f"139{self.serial + 1:08d}"
        return super().__call__(**overrides)


@pytest.fixture
def make_case(programme):
    return PhoneCaseMaker(programme)


@pytest.fixture
def yt_worker(programme):
    """A committee worker of 永太 (``reviewer``, ``zj_worker`` and ``leader``: tests/conftest.py)."""
    return make_staff("worker_yt", Role.WORKER, ["yongtai"])


@pytest.fixture
def t0():
    """The worker's clock: a few seconds from now, so everything the test queues is due."""
    return timezone.now() + dt.timedelta(seconds=5)


def drain(now):
    return worker.drain(now=now)


def statuses() -> collections.Counter:
    return collections.Counter(Notice.objects.values_list("status", flat=True))


def later(now, seconds):
    return now + dt.timedelta(seconds=seconds)


def database_url() -> str:
    """The test database, for a worker started as a separate process."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"
