"""SMS providers behind one interface, chosen by ``JIEDAO_SMS_PROVIDER``.

``send(notice) -> SendResult`` says what became of one send: accepted (the provider took it),
temporary (it did not take it, try later: no connection, 5xx, throttling), permanent (it never
will: invalid number, template refused) or unknown (the request may have left and no answer came:
a read timeout, a connection cut mid-answer). Provider send APIs are not idempotent, so an unknown
outcome is never simply retried: ``query(notice) -> QueryResult | None`` asks the provider what it
knows about the message by our id, and ``None`` means this provider cannot tell. A query answers
sent / delivered / failed (the provider has it: never send again), not_found (safe to send) or
unavailable (could not ask now: the worker asks again later rather than guess).

"Never connected" is told apart from "no answer" by connecting first (http_json: ``connect()``
with the connect timeout, then the read timeout for the exchange; Aliyun: the SDK's wrapped
requests error). Aliyun codes: ``isv.*`` rule breaks are permanent except throttling and account
credit (temporary); ``isp.*``, 5xx and throttling are temporary; account/configuration errors
(a wrong key) are temporary too, so messages go out once the office fixes the account.

- ``console``: the demo. Logs the masked phone and the text, and appends a line to a JSON-lines
  file in ``DATA_DIR`` so that ``query`` can answer after a crash.
- ``aliyun``: Alibaba Cloud SMS through its official SDK (``alibabacloud-dysmsapi20170525``):
  sign name, template code, template parameters as JSON, and our id as OutId; queried with
  QuerySendDetails (phone + send date) and matched on OutId.
- ``http_json``: a generic gateway: POST JSON {id, phone, template, params, text, sign} with a
  bearer token; GET {url}/{id} answers the message's status, 404 if the gateway never got it.

Credentials come only from the environment (through settings) and are never logged; phones are
logged masked, and error texts kept on the notice have phone numbers masked too.
"""

from __future__ import annotations

import datetime as dt
import enum
import http.client
import json
import logging
import re
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Outcome(enum.StrEnum):
    ACCEPTED = "accepted"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    provider_message_id: str = ""
    error: str = ""


class Found(enum.StrEnum):
    SENT = "sent"  # the provider has it (waiting for the handset's report)
    DELIVERED = "delivered"
    FAILED = "failed"  # the provider has it and it could not be delivered
    NOT_FOUND = "not_found"  # the provider never got it: safe to send
    UNAVAILABLE = "unavailable"  # could not ask now: ask again later


@dataclass(frozen=True)
class QueryResult:
    state: Found
    provider_message_id: str = ""
    error: str = ""


_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def scrub(text: str, limit: int = 300) -> str:
    """An error text safe to keep and log: phone numbers masked, one line, bounded."""
    text = _MOBILE.sub(r"\1****\3", " ".join(str(text).split()))
    return text[:limit]


class Provider:
    name = ""

    def send(self, notice) -> SendResult:  # pragma: no cover - interface
        raise NotImplementedError

    def query(self, notice) -> QueryResult | None:
        return None


def _timeouts() -> tuple[float, float]:
    return float(settings.JIEDAO_SMS_CONNECT_TIMEOUT), float(settings.JIEDAO_SMS_READ_TIMEOUT)


# Console: the demo provider.


class ConsoleProvider(Provider):
    name = "console"

    @property
    def path(self) -> Path:
        return Path(settings.JIEDAO_SMS_CONSOLE_FILE)

    def send(self, notice) -> SendResult:
        line = {
            "id": str(notice.id),
            "phone": notice.masked_phone,
            "template": notice.template_code,
            "text": notice.text,
            "at": timezone.now().isoformat(),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        logger.info("SMS (console) to %s: 【%s】%s", notice.masked_phone, settings.JIEDAO_SMS_SIGN_NAME, notice.text)
        return SendResult(Outcome.ACCEPTED, provider_message_id=f"console-{notice.id.hex[:12]}")

    def query(self, notice) -> QueryResult:
        wanted = str(notice.id)
        try:
            with self.path.open(encoding="utf-8") as handle:
                for raw in handle:
                    try:
                        if json.loads(raw).get("id") == wanted:
                            return QueryResult(Found.SENT, provider_message_id=f"console-{notice.id.hex[:12]}")
                    except ValueError:
                        continue  # a line cut short by a crash
        except FileNotFoundError:
            pass
        return QueryResult(Found.NOT_FOUND)


# A generic HTTP JSON gateway.


class _NotSent(Exception):
    """The request never left (no connection): safe to try again."""


class _NoAnswer(Exception):
    """The request may have left but no answer came back."""


def _http(method: str, url: str, *, body: dict | None = None, token: str = "", idempotency_key: str = ""):
    connect_timeout, read_timeout = _timeouts()
    parts = urlsplit(url)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=connect_timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=connect_timeout)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    data = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json; charset=utf-8"
    try:
        try:
            connection.connect()
        except OSError as error:  # refused, unreachable, connect timeout, TLS handshake
            raise _NotSent(f"无法连接短信服务：{type(error).__name__}") from None
        connection.sock.settimeout(read_timeout)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            payload = response.read(65536)
        except (TimeoutError, socket.timeout):
            raise _NoAnswer("等待短信服务应答超时") from None
        except (OSError, http.client.HTTPException) as error:
            raise _NoAnswer(f"短信服务连接中断：{type(error).__name__}") from None
        return response.status, payload
    finally:
        connection.close()


def _json(payload: bytes):
    try:
        return json.loads(payload.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError):
        return None


class HttpJsonProvider(Provider):
    name = "http_json"

    @property
    def url(self) -> str:
        url = settings.JIEDAO_SMS_HTTP_URL
        if not url:
            raise RuntimeError("JIEDAO_SMS_HTTP_URL is not set")
        return url.rstrip("/")

    def send(self, notice) -> SendResult:
        body = {
            "id": str(notice.id),
            "phone": notice.phone,
            "sign": settings.JIEDAO_SMS_SIGN_NAME,
            "template": notice.template_code,
            "params": notice.params,
            "text": notice.text,
        }
        try:
            status, payload = _http(
                "POST", self.url, body=body, token=settings.JIEDAO_SMS_HTTP_TOKEN, idempotency_key=str(notice.id)
            )
        except _NotSent as error:
            return SendResult(Outcome.TEMPORARY, error=str(error))
        except _NoAnswer as error:
            return SendResult(Outcome.UNKNOWN, error=str(error))
        answer = _json(payload)
        detail = scrub(f"HTTP {status} {payload[:200].decode('utf-8', 'replace')}")
        if 200 <= status < 300:
            message_id = str(answer.get("message_id", "")) if isinstance(answer, dict) else ""
            return SendResult(Outcome.ACCEPTED, provider_message_id=message_id[:100])
        if status in (408, 429) or status >= 500:
            return SendResult(Outcome.TEMPORARY, error=detail)
        return SendResult(Outcome.PERMANENT, error=detail)

    def query(self, notice) -> QueryResult:
        try:
            status, payload = _http("GET", f"{self.url}/{quote(str(notice.id))}", token=settings.JIEDAO_SMS_HTTP_TOKEN)
        except (_NotSent, _NoAnswer) as error:
            return QueryResult(Found.UNAVAILABLE, error=str(error))
        if status == 404:
            return QueryResult(Found.NOT_FOUND)
        answer = _json(payload)
        if status != 200 or not isinstance(answer, dict):
            return QueryResult(Found.UNAVAILABLE, error=scrub(f"HTTP {status}"))
        message_id = str(answer.get("message_id", ""))[:100]
        state = str(answer.get("status", "")).lower()
        if state == "delivered":
            return QueryResult(Found.DELIVERED, provider_message_id=message_id)
        if state == "failed":
            return QueryResult(Found.FAILED, provider_message_id=message_id, error=scrub(answer.get("error", "未送达")))
        return QueryResult(Found.SENT, provider_message_id=message_id)


# Alibaba Cloud SMS (阿里云短信服务).

# Codes that mean the message itself can never be sent as it is: stop and show it to staff.
ALIYUN_PERMANENT = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.SMS_SIGN_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "isv.INVALID_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.SMS_CONTENT_ILLEGAL",
        "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
        "isv.EXTEND_CODE_ERROR",
        "isv.SMS_SIGNATURE_SCENE_ILLEGAL",
    }
)
# Codes that mean "not now": throttling per number or per account, the account out of credit.
ALIYUN_TEMPORARY = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isv.OUT_OF_SERVICE",
        "isv.AMOUNT_NOT_ENOUGH",
        "isv.SYSTEM_ERROR",
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "ServiceUnavailable",
        "InternalError",
    }
)


def aliyun_outcome(code: str | None, status: int | None = None) -> Outcome:
    code = code or ""
    if code == "OK":
        return Outcome.ACCEPTED
    if code in ALIYUN_PERMANENT:
        return Outcome.PERMANENT
    if code in ALIYUN_TEMPORARY or code.startswith(("isp.", "Throttling")) or (status or 0) >= 500 or status == 429:
        return Outcome.TEMPORARY
    if code.startswith("isv."):
        return Outcome.PERMANENT  # any other rule the message itself breaks
    # Account and configuration problems (a wrong key, a missing permission): the message is fine
    # and will go out once the office fixes the account, within the retry window.
    return Outcome.TEMPORARY


def _transport_outcome(error: Exception) -> tuple[Outcome, str]:
    """The SDK wraps requests' errors into one exception with a message: tell "never connected"
    (safe to retry) from "no answer" (the request may have arrived)."""
    inner = getattr(error, "inner_exception", None)
    text = str(getattr(inner, "message", "") or inner or error)
    if "Read timed out" in text:
        return Outcome.UNKNOWN, "等待短信服务应答超时"
    if any(
        marker in text
        for marker in ("NewConnectionError", "Connection refused", "ConnectTimeout", "Failed to establish", "NameResolution")
    ):
        return Outcome.TEMPORARY, "无法连接短信服务"
    return Outcome.UNKNOWN, scrub(f"短信服务连接中断：{type(inner or error).__name__}")


class AliyunProvider(Provider):
    name = "aliyun"

    def __init__(self):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi import models as open_api_models

        if not (settings.JIEDAO_SMS_ALIYUN_ACCESS_KEY_ID and settings.JIEDAO_SMS_ALIYUN_ACCESS_KEY_SECRET):
            # Without them the SDK would go looking for credentials elsewhere (files, instance metadata).
            raise RuntimeError("JIEDAO_SMS_ALIYUN_ACCESS_KEY_ID and JIEDAO_SMS_ALIYUN_ACCESS_KEY_SECRET must be set")
        self._client = Client(
            open_api_models.Config(
                access_key_id=settings.JIEDAO_SMS_ALIYUN_ACCESS_KEY_ID or None,
                access_key_secret=settings.JIEDAO_SMS_ALIYUN_ACCESS_KEY_SECRET or None,
                endpoint=settings.JIEDAO_SMS_ALIYUN_ENDPOINT,
                protocol=settings.JIEDAO_SMS_ALIYUN_PROTOCOL,
            )
        )

    def _runtime(self):
        from darabonba.runtime import RuntimeOptions

        connect_timeout, read_timeout = _timeouts()
        # autoretry off: the SDK must never resend on its own (a send is not idempotent).
        return RuntimeOptions(
            connect_timeout=int(connect_timeout * 1000), read_timeout=int(read_timeout * 1000), autoretry=False
        )

    def send(self, notice) -> SendResult:
        from alibabacloud_dysmsapi20170525 import models
        from darabonba.exceptions import (
            RequiredArgumentException,
            ResponseException,
            ValidateException,
        )

        request = models.SendSmsRequest(
            phone_numbers=notice.phone,
            sign_name=settings.JIEDAO_SMS_SIGN_NAME,
            template_code=notice.template_code,
            template_param=json.dumps(notice.params, ensure_ascii=False),
            out_id=str(notice.id),
        )
        try:
            response = self._client.send_sms_with_options(request, self._runtime())
        except ResponseException as error:  # an HTTP 4xx/5xx answer with an error code
            outcome = aliyun_outcome(error.code, error.status_code)
            return SendResult(outcome, error=scrub(f"{error.code} (HTTP {error.status_code})"))
        except (ValidateException, RequiredArgumentException) as error:  # refused before sending
            return SendResult(Outcome.PERMANENT, error=scrub(f"短信参数不符合要求：{error}"))
        except Exception as error:  # noqa: BLE001 - the SDK's transport errors have no finer type
            outcome, text = _transport_outcome(error)
            return SendResult(outcome, error=text)
        body = response.body
        outcome = aliyun_outcome(body.code, response.status_code)
        if outcome == Outcome.ACCEPTED:
            return SendResult(outcome, provider_message_id=(body.biz_id or "")[:100])
        return SendResult(outcome, error=scrub(f"{body.code}: {body.message or ''}"))

    def query(self, notice) -> QueryResult:
        from alibabacloud_dysmsapi20170525 import models
        from darabonba.exceptions import ResponseException

        wanted = str(notice.id)
        # The send date in Beijing time; a send just before midnight may be filed under either day.
        days = []
        for moment in (notice.last_attempt_at or notice.created_at, timezone.now()):
            if (day := shanghai_day(moment)) not in days:
                days.append(day)
        for day in days:
            page = 1
            while True:
                request = models.QuerySendDetailsRequest(
                    phone_number=notice.phone, send_date=day, current_page=page, page_size=50
                )
                try:
                    response = self._client.query_send_details_with_options(request, self._runtime())
                except ResponseException as error:
                    return QueryResult(Found.UNAVAILABLE, error=scrub(f"{error.code} (HTTP {error.status_code})"))
                except Exception as error:  # noqa: BLE001
                    return QueryResult(Found.UNAVAILABLE, error=_transport_outcome(error)[1])
                body = response.body
                if body.code != "OK":
                    return QueryResult(Found.UNAVAILABLE, error=scrub(f"{body.code}: {body.message or ''}"))
                details = body.sms_send_detail_dtos.sms_send_detail_dto if body.sms_send_detail_dtos else []
                for detail in details or []:
                    if detail.out_id == wanted:
                        return _aliyun_found(detail)
                if page * 50 >= int(body.total_count or 0) or page >= 10:
                    break
                page += 1
        return QueryResult(Found.NOT_FOUND)


def _aliyun_found(detail) -> QueryResult:
    # SendStatus: 1 waiting for the handset's report, 2 failed, 3 delivered.
    status = int(detail.send_status or 1)
    if status == 3:
        return QueryResult(Found.DELIVERED)
    if status == 2:
        return QueryResult(Found.FAILED, error=scrub(f"运营商回执：{detail.err_code or '未送达'}"))
    return QueryResult(Found.SENT)


PROVIDERS: dict[str, type[Provider]] = {
    ConsoleProvider.name: ConsoleProvider,
    AliyunProvider.name: AliyunProvider,
    HttpJsonProvider.name: HttpJsonProvider,
}


def get_provider(name: str | None = None) -> Provider:
    name = name or settings.JIEDAO_SMS_PROVIDER
    try:
        return PROVIDERS[name]()
    except KeyError:
        raise RuntimeError(f"unknown SMS provider {name!r}; choose one of {', '.join(PROVIDERS)}") from None


def shanghai_day(moment: dt.datetime) -> str:
    return timezone.localtime(moment, SHANGHAI).strftime("%Y%m%d")
