"""The partner REST API (django-ninja), mounted at /api/v1/ outside the language prefix.

Thin by design: each operation checks the token's rights, translates the partner's shape into the
services' arguments and back, and calls the same services as the web pages
(``intake.services.application_submit_uploads``, ``intake.transitions.application_transition`` and
``application_add_documents``, ``reports.selectors.programme_stats``). Domain errors are mapped to
HTTP answers once, in the exception handlers below.

Rights: a partner token sees and acts on the applications it submitted and nothing else (another
partner's case answers 404, like one that does not exist); it may withdraw them, never decide. A
reviewer token acts as a programme reviewer through its service user, with ``intake.access``.
Messages follow ``Accept-Language`` (Chinese by default), activated before authentication.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated

from django.conf import settings
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query
from ninja import Status as HttpStatus
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from pydantic import WithJsonSchema

from jiedao.activities import selectors as activity_selectors
from jiedao.activities import services as activity_services
from jiedao.activities.models import Activity, SignupStatus
from jiedao.ratings import selectors as rating_selectors
from jiedao.bulletins import selectors as bulletin_selectors
from jiedao.enterprises import services as enterprise_services
from jiedao.enterprises.models import Enterprise
from jiedao.core.audit import audit_record, client_ip
from jiedao.core.models import AuditAction
from jiedao.intake import access
from jiedao.intake.forms import RELATIONSHIPS
from jiedao.intake.lifecycle import Action
from jiedao.intake.models import Application, Channel, Programme, Via
from jiedao.intake.photos import PhotoRejected, process_photo
from jiedao.intake.selectors import required_documents
from jiedao.intake.transitions import (
    IllegalTransition,
    Payment,
    application_add_documents,
    application_transition,
    outstanding_pages,
)
from jiedao.intake.wizard import photo_rejection_message
from jiedao.lib.errors import (
    DomainError,
    DuplicateApplication,
    ProgrammeClosed,
    StorageUnavailable,
    ValidationFailed,
)
from jiedao.lib.normalize import normalize_reference
from jiedao.news import selectors as news_selectors
from jiedao.reports.selectors import programme_stats
from jiedao.sites import services as site_services
from jiedao.sites.models import Source

from . import schemas
from .models import ApiToken
from .services import partner_answers, partner_submit, renamed, webhook_register


class Forbidden(DomainError):
    code = "forbidden"


def activate_language(request: HttpRequest) -> None:
    """The API is outside i18n_patterns: the language comes from Accept-Language alone."""
    translation.activate(translation.get_language_from_request(request, check_path=False))
    request.LANGUAGE_CODE = translation.get_language()


def refuse_nul_characters(request: HttpRequest) -> None:
    """PostgreSQL cannot store or even compare text holding U+0000; say so instead of failing with a 500."""
    # ``doc_<code>`` parts are photos: read from request.FILES only, never stored as text; one sent
    # without a file name lands in POST as bytes that may well hold NUL, and is ignored.
    fields = [key for source in (request.GET, request.POST) for key, values in source.lists()
              if "\x00" in key or (not (source is request.POST and key.startswith("doc_"))
                                    and any("\x00" in value for value in values))]
    if "\x00" in request.path:
        fields.append("path")
    if request.content_type == "application/json" and b"\\u0000" in request.body:
        fields.append("body")
    if fields:
        raise ValidationFailed({field.replace("\x00", ""): [_("不能包含空字符（U+0000）。")] for field in fields})


class BearerToken(HttpBearer):
    def __call__(self, request):
        activate_language(request)
        token = super().__call__(request)
        if token is not None:
            refuse_nul_characters(request)
        return token

    def authenticate(self, request, token: str) -> ApiToken | None:
        from .services import token_authenticate

        return token_authenticate(token)


api = NinjaAPI(
    title="Jiedao 街道 partner API",
    version="1",
    description=(
        "For the city's one-network service platform (一网通办) and the community affairs acceptance "
        "centre: submit and follow applications. `Authorization: Bearer <token>`; tokens are made by an "
        "administrator (`jiedao token create`). Messages follow `Accept-Language` (zh-hans default, en). "
        "Webhooks: `PUT /webhook` registers an address; each status change of your applications is "
        "POSTed there as JSON `{id, event, reference, status, previous_status, at, note}`, signed "
        "`X-Jiedao-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with the secret returned by "
        "`PUT /webhook`, with `X-Jiedao-Delivery: <id>` to drop repeats; retried with backoff until a 2xx."
    ),
    urls_namespace="api",
    auth=BearerToken(),
)

ERRORS = {400: schemas.Message, 401: schemas.Message, 403: schemas.Message, 404: schemas.Message, 422: schemas.Errors}


# Errors, mapped once.


def _message(request, http_status: int, code: str, message, **extra):
    return api.create_response(request, {"code": code, "message": str(message), **extra}, status=http_status)


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    response = _message(request, 401, "unauthorized", _("缺少接口令牌，或者令牌不正确、已停用。"))
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # Ninja's own 400: a body that is not JSON.
    return _message(request, exc.status_code, "unreadable", _("请求内容无法读取，请发送 JSON。"))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _message(request, 404, "not_found", _("没有找到。"))


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc):
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "payload")]
        errors.setdefault(".".join(location) or "body", []).append(_("格式不正确。"))
    return api.create_response(request, {"code": "invalid", "errors": errors}, status=422)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    if isinstance(exc, ValidationFailed):
        errors = {field: [str(m) for m in messages] for field, messages in exc.errors.items()}
        return api.create_response(request, {"code": "invalid", "errors": errors}, status=422)
    if isinstance(exc, DuplicateApplication):
        # Knowing an ID number must not reveal that someone applied: the reference goes only to
        # the partner that filed the existing case, or to a reviewer token whose scope holds it.
        if _may_know(request.auth, exc.application):
            message = _("这位申请人已有一份正在办理的申请，受理编号 %(reference)s，不需要重复申请。") % {"reference": exc.reference}
            return _message(request, 409, exc.code, message, reference=exc.reference)
        return _message(request, 409, exc.code, exc.message)
    if isinstance(exc, ProgrammeClosed):
        return api.create_response(request, {"code": exc.code, "errors": {"programme": [str(exc.message)]}}, status=422)
    if isinstance(exc, Forbidden):
        return _message(request, 403, exc.code, exc.message)
    if isinstance(exc, StorageUnavailable):
        return _message(request, 503, exc.code, exc.message)
    status = exc.context.get("status")
    return _message(request, 409, exc.code, exc.message, status=status)


# Rights.


def _token(request) -> ApiToken:
    return request.auth


def _applications(token: ApiToken):
    if token.is_reviewer:
        return access.applications_for_staff(token.user)
    return Application.objects.filter(api_submission__token=token)


def _may_know(token: ApiToken | None, application: Application | None) -> bool:
    if token is None or application is None:
        return False
    return _applications(token).filter(pk=application.pk).exists()


def _case(token: ApiToken, reference: str) -> Application:
    application = (
        _applications(token).select_related("programme").filter(reference=normalize_reference(reference)).first()
    )
    if application is None:
        raise Http404
    return application


# Shapes out.


def _named(thing) -> dict:
    return {"code": thing.code, "name": thing.name, "name_en": thing.name_en}


def _document_type(doc) -> dict:
    return {**_named(doc), "pages": doc.pages, "page_labels": [doc.page_label(page) for page in range(1, doc.pages + 1)]}


def _application_out(request, application: Application) -> dict:
    missing = list(dict.fromkeys(gap.document_type.code for gap in outstanding_pages(application)))
    return {
        "reference": application.reference,
        "programme": application.programme.code,
        "status": application.status,
        "status_label": str(application.status_label),
        "channel": application.channel,
        "submitted_at": application.submitted_at,
        "history": [
            {"status": e.to_status, "status_label": str(e.to_status_label), "at": e.at, "note": e.note}
            for e in application.events.order_by("at", "id")
        ],
        "missing_documents": missing,
        "documents": [
            {
                "id": d.pk,
                "code": d.document_type.code,
                "page": d.page,
                "supplement": d.supplement,
                "url": request.build_absolute_uri(reverse("api:document_photo", args=[d.pk])),
            }
            for d in application.documents.select_related("document_type")
        ],
        "paid_amount": application.paid_amount,
        "paid_on": application.paid_on,
    }


# Uploads: ``doc_<code>`` fields, repeated for the pages of a document, in page order.


def _uploads(request) -> tuple[list, dict[str, list[str]]]:
    uploads, errors = [], {}
    for field in request.FILES:
        if not field.startswith("doc_"):
            continue
        code = field[4:]
        for page, upload in enumerate(request.FILES.getlist(field), start=1):
            try:
                uploads.append((code, page, process_photo(upload)))
            except PhotoRejected as rejected:
                errors.setdefault(field, []).append(photo_rejection_message(rejected))
    return uploads, errors


# The channels that make sense without a staff member: the resident or a relative online, or the
# platform's own.
PARTNER_CHANNELS = (Channel.ONLINE.value, Channel.PROXY.value, Channel.PARTNER.value)

_STRING = {"type": "string", "pattern": r"^[^\u0000]*$"}
_FILES = {"type": "array", "minItems": 1, "maxItems": 20, "items": {"type": "string", "format": "binary"}}
_DOC_FIELDS = {"^doc_[A-Za-z0-9_-]{1,64}$": {**_FILES, "description": "doc_<document code>: one file per page"}}


def _text(max_length: int, min_length: int = 1, **extra) -> dict:
    return {"type": "string", "minLength": min_length, "maxLength": max_length, "pattern": r"^[^\u0000]*\S[^\u0000]*$", **extra}


# Phones and ID numbers go through the shared normaliser (spaces, +86, full-width digits): the
# patterns say which characters may appear, the server checks the digits themselves.
_PHONE = {"type": "string", "minLength": 11, "maxLength": 24, "pattern": r"^[0-9０-９+＋ \-－]+$"}
_ID_NUMBER = {"type": "string", "minLength": 18, "maxLength": 30, "pattern": r"^[0-9０-９XxＸｘ \-－]+$"}

SUBMIT_OPENAPI = {
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "description": "the same key (per token) answers the first submission again, without a second application",
            "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[!-~]+$"},
        }
    ],
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["programme", "name", "id_number", "phone", "address", "neighbourhood", "block", "categories", "consent"],
                    "properties": {
                        "programme": _text(32, description="programme code, e.g. JGBK (GET /programmes)"),
                        "name": _text(50),
                        "id_number": {**_ID_NUMBER, "description": "18-character resident ID number"},
                        "phone": {**_PHONE, "description": "mainland mobile number"},
                        "address": _text(200, description="road, lane (弄), number (号), room (室): 中兴路1021弄7号201室"),
                        "neighbourhood": _text(64, description="neighbourhood code (GET /programmes)"),
                        "block": _text(64, description="renovation block code (GET /programmes)"),
                        "categories": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 10,
                            "items": _text(64),
                            "description": "category codes, repeated",
                        },
                        "household_note": {**_STRING, "maxLength": 500},
                        "channel": {
                            "type": "string",
                            "enum": list(PARTNER_CHANNELS),
                            "default": Channel.PARTNER.value,
                            "description": "staff channels (counter, home_visit, phone) are filed in the back office",
                        },
                        "proxy_name": {**_STRING, "maxLength": 50},
                        "proxy_phone": {**_PHONE, "minLength": 0},
                        "proxy_relationship": {
                            "type": "string",
                            "enum": [code for code, _label in RELATIONSHIPS],  # the form's own list
                        },
                        "consent": {"type": "boolean", "enum": [True], "description": "both consents (personal and sensitive data) given on the platform"},
                    },
                    "patternProperties": _DOC_FIELDS,
                    "additionalProperties": False,
                }
            }
        },
    },
}

DOCUMENTS_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "minProperties": 1,
                    "patternProperties": _DOC_FIELDS,
                    "additionalProperties": False,
                }
            }
        },
    }
}


# Operations.


@api.get("/programmes", response={200: list[schemas.ProgrammeOut], 401: schemas.Message}, summary="Programmes and what they ask for")
def programmes(request):
    out = []
    for programme in Programme.objects.prefetch_related("neighbourhoods", "blocks", "categories"):
        out.append(
            {
                **_named(programme),
                "open": programme.is_open(),
                "opens_on": programme.opens_on,
                "closes_on": programme.closes_on,
                "categories": [
                    {**_named(c), "documents": [_document_type(d) for d in required_documents(programme, [c.code])]}
                    for c in programme.categories.all()
                ],
                "neighbourhoods": [_named(n) for n in programme.neighbourhoods.all()],
                "blocks": [_named(b) for b in programme.blocks.all()],
            }
        )
    return out


@api.post(
    "/applications",
    response={201: schemas.ApplicationOut, 409: schemas.Duplicate, **ERRORS},
    openapi_extra=SUBMIT_OPENAPI,
    summary="Submit an application (multipart)",
)
def submit(request):
    token = _token(request)
    data = request.POST
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 64:
        raise ValidationFailed({"Idempotency-Key": [_("Idempotency-Key 不能超过64个字符。")]})
    programme = Programme.objects.filter(code__iexact=(data.get("programme") or "").strip()).first()
    if programme is None:
        raise ValidationFailed({"programme": [_("没有这个项目。")]})
    answers, errors, renames = partner_answers(data, programme)
    uploads, photo_errors = _uploads(request)
    errors.update(photo_errors)
    if errors:
        from jiedao.intake.forms import clean_answers

        # Report every problem at once: the service's field rules too, not only ours.
        _cleaned, rule_errors = clean_answers(programme, answers)
        raise ValidationFailed({**renamed(rule_errors, renames), **errors})
    channel = (data.get("channel") or Channel.PARTNER).strip()
    if channel not in PARTNER_CHANNELS:
        # Counter, home visit and phone are staff channels: they count as committee work and name
        # the staff member who filed, which a token cannot be (staff file those in the back office).
        raise ValidationFailed({"channel": [_("合作平台只能使用这些渠道：%(channels)s。") % {"channels": "、".join(PARTNER_CHANNELS)}]})
    try:
        application = partner_submit(
            token=token, programme=programme, answers=answers, uploads=uploads, channel=channel,
            idempotency_key=key, ip=client_ip(request),
        )  # fmt: skip
    except ValidationFailed as failed:
        raise ValidationFailed(renamed(failed.errors, renames)) from None
    return HttpStatus(201, _application_out(request, application))


@api.get("/applications/{reference}", response={200: schemas.ApplicationOut, **ERRORS}, summary="An application's state")
def application_detail(request, reference: str):
    token = _token(request)
    application = _case(token, reference)
    audit_record(actor=token.user, action=AuditAction.VIEW_CASE, reference=application.reference, ip=client_ip(request))
    return _application_out(request, application)


@api.post(
    "/applications/{reference}/documents",
    response={200: schemas.ApplicationOut, 409: schemas.Conflict, **ERRORS},
    openapi_extra=DOCUMENTS_OPENAPI,
    summary="Send in requested documents (multipart doc_<code>)",
)
def add_documents(request, reference: str):
    token = _token(request)
    application = _case(token, reference)
    if token.is_reviewer and not access.may_take(token.user, Action.RESUBMIT, application):
        raise Forbidden(_("这个令牌不能做这个操作。"))
    uploads, errors = _uploads(request)
    if errors:
        raise ValidationFailed(errors)
    application = application_add_documents(
        application=application,
        uploads=uploads,
        actor=token.user,
        via=Via.BACK_OFFICE if token.is_reviewer else Via.PARTNER,
        ip=client_ip(request),
    )
    return _application_out(request, application)


PUBLIC_ACTIONS = (
    Action.START_REVIEW,
    Action.REQUEST_MORE,
    Action.APPROVE,
    Action.REJECT,
    Action.RECORD_PAYMENT,
    Action.WITHDRAW,
)


def _payment(body: schemas.TransitionIn) -> Payment:
    amount = None
    if body.amount not in (None, ""):
        try:
            amount = Decimal(str(body.amount)).quantize(Decimal("0.01"))
            if not amount.is_finite() or amount >= Decimal("100000000"):
                amount = None
        except (InvalidOperation, ValueError):
            amount = None
    return Payment(amount=amount, paid_on=body.paid_on, method=body.method or Payment.method)


@api.post(
    "/applications/{reference}/transitions",
    response={200: schemas.ApplicationOut, 409: schemas.Conflict, **ERRORS},
    summary="Move a case on: start_review, request_more, approve, reject, record_payment, withdraw",
)
def transition(request, reference: str, body: schemas.TransitionIn):
    token = _token(request)
    application = _case(token, reference)
    if body.action not in PUBLIC_ACTIONS:  # the schema's enum already says so
        raise ValidationFailed({"action": [_("没有这种操作。")]})
    allowed = access.may_take(token.user, body.action, application) if token.is_reviewer else body.action == Action.WITHDRAW
    if not allowed:
        raise Forbidden(_("这个令牌不能做这个操作。"))
    if body.expected_status and body.expected_status not in application.lifecycle.statuses:
        raise ValidationFailed({"expected_status": [_("状态不正确。")]})
    try:
        case = application_transition(
            application=application,
            action=body.action,
            actor=token.user,
            via=Via.BACK_OFFICE if token.is_reviewer else Via.PARTNER,
            note=body.note,
            missing_document_codes=body.missing_documents,
            payment=_payment(body) if body.action == Action.RECORD_PAYMENT else None,
            expected_status=body.expected_status,
            ip=client_ip(request),
        )
    except IllegalTransition as refused:
        application.refresh_from_db(fields=["status"])
        refused.context["status"] = application.status
        raise
    return _application_out(request, case)


@api.get(
    "/documents/{document_id}",
    response=ERRORS,
    openapi_extra={
        "responses": {200: {"description": "the stored photo", "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}}
    },
    summary="A document photo (JPEG, as stored after processing)",
)
def document_photo(request, document_id: int):
    token = _token(request)
    document = access.document_among(_applications(token), document_id)
    return access.document_photo_response(document, actor=token.user, ip=client_ip(request))


AS_OF_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


@api.get("/stats", response={200: schemas.StatsOut, **ERRORS}, summary="The dashboard's figures (reviewer tokens)")
def stats(
    request,
    programme: str = Query(..., min_length=1, max_length=32, pattern=r"^[^\u0000]+$", description="programme code, e.g. JGBK"),
    as_of: Annotated[dt.date, WithJsonSchema({"type": "string", "format": "date", "pattern": AS_OF_PATTERN})] | None = Query(
        None, description="YYYY-MM-DD between 2000-01-01 and 2099-12-31; today by default"
    ),
):
    token = _token(request)
    if not token.is_reviewer:
        raise Forbidden(_("这个令牌不能查看统计。"))
    found = Programme.objects.filter(code__iexact=programme.strip()).first()
    if found is None:  # an unknown code names nothing to count: like an unknown reference
        raise Http404
    if as_of is not None and not dt.date(2000, 1, 1) <= as_of <= dt.date(2099, 12, 31):
        raise ValidationFailed({"as_of": [_("日期超出范围。")]})
    figures = programme_stats(token.user, found, as_of)

    def by_code(breakdown, codes) -> dict[str, int]:
        return {code: count for code, (_label, count) in zip(codes, breakdown.rows, strict=True)}

    return {
        "programme": found.code,
        "as_of": figures.as_of,
        "total": figures.total,
        "by_status": by_code(figures.by_status, list(found.kind.lifecycle.statuses)),
        "by_neighbourhood": by_code(figures.by_neighbourhood, [n.code for n in found.neighbourhoods.all()]),
        "by_block": by_code(figures.by_block, [b.code for b in found.blocks.all()]),
        "by_category": by_code(figures.by_category, [c.code for c in found.categories.all()]),
        "by_channel": by_code(figures.by_channel, Channel.values),
        "by_day": [{"date": d.day, "count": d.count, "cumulative": d.cumulative} for d in figures.by_day],
        "median_days_to_decision": figures.median_days_to_decision,
    }


@api.get("/ratings", response={200: schemas.RatingsOut, **ERRORS}, summary="Ratings (好差评) in the provincial platforms' fields (reviewer tokens)")
def ratings(
    request,
    month: str | None = Query(None, pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM; every month by default"),
):
    token = _token(request)
    if not token.is_reviewer:
        raise Forbidden(_("这个令牌不能查看统计。"))
    audit_record(actor=token.user, action=AuditAction.EXPORT, reference=month or "", ip=client_ip(request), what="ratings.api")
    records = [dict(zip(rating_selectors.EXPORT_KEYS, row, strict=True)) for row in rating_selectors.export_records(token.user, month=month or "")]
    return {"count": len(records), "records": records}


@api.put("/webhook", response={200: schemas.WebhookOut, **ERRORS}, summary="Register the address for status-change notifications (partner tokens)")
def webhook(request, body: schemas.WebhookIn):
    token = _token(request)
    if token.is_reviewer:
        raise Forbidden(_("只有合作平台的令牌可以登记通知地址。"))
    token = webhook_register(token, url=body.url)
    return {"url": token.webhook_url, "secret": token.webhook_secret}


# Activities (party days, volunteering, the blood drive): the same rules and answers as the page.


def _activity_out(request, activity, counts) -> dict:
    return {
        "code": activity.code,
        "title": activity.title,
        "kind": activity.kind,
        "organiser": activity.organiser,
        "place": activity.place,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "capacity": activity.capacity,
        "free": counts.free,
        "waitlisted": counts.waitlisted,
        "groups": [
            {"id": g.pk, "name": g.name, "task": g.task, "place": g.place, "leader": g.leader} for g in activity.groups.all()
        ],
        "url": request.build_absolute_uri(reverse("activities:detail", args=[activity.code])),
    }


@api.get("/activities", response={200: list[schemas.ActivityOut], **ERRORS}, summary="Open activities, with their free places")
def activities(request):
    return [
        _activity_out(request, activity, activity_selectors.Counts(activity.capacity, activity.confirmed, activity.waitlisted, activity.attended))
        for activity in activity_selectors.open_activities()
    ]


@api.post(
    "/activities/{code}/signups",
    response={201: schemas.SignupOut, 409: schemas.Message, **ERRORS},
    summary="Sign a person up (201; 409 activity_full, already_signed_up or activity_closed; 422 with messages)",
)
def activity_signup(request, code: str, body: schemas.SignupIn):
    activity = Activity.objects.filter(code=code.strip()).first()
    if activity is None:
        raise Http404
    if activity.screens_donors:
        # The donor's health questions need their own consent, given on the page itself.
        raise ValidationFailed({"activity": [_("献血报名要先回答几个健康问题，请在报名页面报名。")]})
    group = activity.groups.filter(pk=body.group).first() if body.group is not None else None
    signup = activity_services.signup_create(
        activity=activity, name=body.name, phone=body.phone, unit=body.unit, group=group, channel="partner",
        waitlist=body.waitlist,
    )  # fmt: skip
    waiting = signup.status == SignupStatus.WAITLISTED
    return HttpStatus(
        201,
        {
            "activity": activity.code,
            "status": signup.status,
            "waitlist_position": activity_services.waitlist_position(signup) if waiting else None,
            "link": request.build_absolute_uri(reverse("activities:signup", args=[signup.token])),
        },
    )


# Public notices (公示) and community news: what a partner platform may show beside its own pages.


@api.get("/bulletins", response={200: list[schemas.BulletinOut], **ERRORS}, summary="Public notices in their objection period")
def bulletins(request):
    today = timezone.localdate()
    return [
        {
            "id": b.pk, "title": b.title, "office": b.office, "office_phone": b.office_phone, "starts_on": b.starts_on,
            "ends_on": b.ends_on, "days_left": b.days_left(today),
            "url": request.build_absolute_uri(reverse("bulletins:detail", args=[b.pk])),
        }  # fmt: skip
        for b in bulletin_selectors.current_bulletins(today)
    ]


@api.get("/news", response={200: list[schemas.ArticleOut], **ERRORS}, summary="The latest published community news")
def news(request):
    return [
        {"id": a.pk, "title": a.title, "dated": a.dated, "office": a.office,
         "url": request.build_absolute_uri(reverse("news:detail", args=[a.pk]))}  # fmt: skip
        for a in news_selectors.published().order_by("-dated", "-pk")[:30]
    ]
# Construction sites: a gate device records scans with the site's device key (shown to the
# committee on the site's staff page), not a partner token; the same rules as the gate page.


class GateDeviceKey(HttpBearer):
    def __call__(self, request):
        activate_language(request)
        site = super().__call__(request)
        if site is not None:
            refuse_nul_characters(request)
        return site

    def authenticate(self, request, token: str):
        return site_services.device_site(token)


@api.post(
    "/sites/{code}/entries",
    auth=GateDeviceKey(),
    response={200: schemas.GateEntriesOut, **ERRORS},
    summary="Record a gate device's scans, each once by its key (Authorization: Bearer <the site's device key>)",
)
def site_entries(request, code: str, body: schemas.GateEntriesIn):
    site = request.auth
    if site.code != code.strip():
        raise Forbidden(_("这个设备密钥不属于这个工地。"))
    items = [entry.model_dump(by_alias=True) for entry in body.entries]
    return {
        "results": [
            site_services.gate_record_one(site, item, source=Source.API, actor=None, gate=body.gate) for item in items
        ]
    }
# Enterprise outreach: the district's enterprise service platform reads an enterprise's needs and
# passes on the ones reported to it; the same rules as the back office (enterprises.services).


def _enterprise(uscc: str) -> Enterprise:
    enterprise = Enterprise.objects.filter(uscc=(uscc or "").strip().upper()).first()
    if enterprise is None:
        raise Http404
    return enterprise


def _need_out(need) -> dict:
    return {
        "reference": need.reference, "kind": need.kind, "detail": need.detail, "quantity": need.quantity,
        "status": need.status, "reason": need.reason, "due_on": need.due_on, "overdue": need.is_overdue(),
        "owner_office": need.owner_office, "created_at": need.created_at, "closed_at": need.closed_at,
    }  # fmt: skip


@api.get("/enterprises/{uscc}/needs", response={200: schemas.EnterpriseNeedsOut, **ERRORS}, summary="An enterprise's needs and where each stands")
def enterprise_needs(request, uscc: str):
    enterprise = _enterprise(uscc)
    return {"uscc": enterprise.uscc, "name": enterprise.name, "needs": [_need_out(n) for n in enterprise.needs.order_by("created_at", "id")]}


@api.post(
    "/enterprises/{uscc}/needs",
    response={201: schemas.EnterpriseNeedOut, **ERRORS},
    summary="Pass on a need the enterprise reported (201; 404 for an enterprise not registered here; 422 with messages)",
)
def enterprise_need_add(request, uscc: str, body: schemas.EnterpriseNeedIn):
    enterprise = _enterprise(uscc)
    need = enterprise_services.need_add(
        enterprise=enterprise, source="partner",
        need=enterprise_services.NeedIn(kind=body.kind, detail=body.detail, quantity=body.quantity, due_on=body.due_on,
                                        owner_office=settings.JIEDAO_ENTERPRISE_OFFICE),
    )  # fmt: skip
    return HttpStatus(201, _need_out(need))
