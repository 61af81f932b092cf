"""The shapes of the partner API, as they appear in the OpenAPI description."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, WithJsonSchema

# No NUL (PostgreSQL cannot store it); the server refuses it, so the description says so.
TEXT = r"^[^\u0000]*$"
ACTIONS = Literal["start_review", "request_more", "approve", "reject", "record_payment", "withdraw"]
STATUSES = Literal["submitted", "in_review", "needs_more", "resubmitted", "approved", "rejected", "paid", "withdrawn"]


class Message(Schema):
    """An error in the caller's language (``Accept-Language``), with a stable ``code``."""

    code: str
    message: str


class Errors(Schema):
    """Input to correct: field → messages in the caller's language."""

    code: str = "invalid"
    errors: dict[str, list[str]]


class Duplicate(Schema):
    """The person already has an open application. ``reference`` only when the caller may know the
    case: the partner token that submitted it, or a reviewer token whose scope holds it."""

    code: str = "duplicate_application"
    message: str
    reference: str | None = None


class Conflict(Schema):
    """A transition the case's status does not allow now."""

    code: str
    message: str
    status: str | None = None


class ActivityGroupOut(Schema):
    id: int
    name: str
    task: str
    place: str
    leader: str


class ActivityOut(Schema):
    code: str
    title: str
    kind: Literal["party_day", "volunteer", "blood", "other"]
    organiser: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    free: int = Field(description="places left; 0 means a sign-up joins the waitlist (if asked for)")
    waitlisted: int
    groups: list[ActivityGroupOut]
    url: str = Field(description="the public sign-up page")


class SignupIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100, pattern=TEXT)
    phone: str = Field(max_length=20, pattern=TEXT)
    unit: str = Field(default="", max_length=100, pattern=TEXT, description="branch or unit, where the activity asks for it")
    group: int | None = Field(default=None, description="a group's id, where the activity has groups")
    waitlist: bool = Field(default=False, description="join the waitlist when full (otherwise 409 activity_full)")


class SignupOut(Schema):
    activity: str
    status: Literal["confirmed", "waitlisted"]
    waitlist_position: int | None = None
    link: str = Field(description="the person's own page (also sent by SMS): to cancel or change")


class Named(Schema):
    code: str
    name: str
    name_en: str


class DocumentTypeOut(Named):
    pages: int
    page_labels: list[str]


class CategoryOut(Named):
    documents: list[DocumentTypeOut] = Field(description="every document an applicant of this category sends")


class ProgrammeOut(Named):
    open: bool
    opens_on: dt.date
    closes_on: dt.date
    categories: list[CategoryOut]
    neighbourhoods: list[Named]
    blocks: list[Named]


class HistoryEntry(Schema):
    status: str = Field(description="lifecycle code: submitted, in_review, needs_more, resubmitted, approved, rejected, paid, withdrawn")
    status_label: str
    at: dt.datetime
    note: str


class DocumentOut(Schema):
    id: int
    code: str
    page: int
    supplement: bool
    url: str = Field(description="the stored (processed) photo, for the submitting partner and reviewer tokens")


class ApplicationOut(Schema):
    reference: str
    programme: str
    status: str = Field(description="lifecycle code: submitted, in_review, needs_more, resubmitted, approved, rejected, paid, withdrawn")
    status_label: str
    channel: str
    submitted_at: dt.datetime
    history: list[HistoryEntry]
    missing_documents: list[Annotated[str, Field(min_length=1, max_length=64, pattern=TEXT)]] = Field(description="codes of requested documents not yet (fully) sent in")
    documents: list[DocumentOut]
    paid_amount: Decimal | None = None
    paid_on: dt.date | None = None


class TransitionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    action: ACTIONS = Field(description="start_review, request_more, approve, reject, record_payment or withdraw")
    note: str = Field(default="", max_length=2000, pattern=TEXT)
    missing_documents: list[Annotated[str, Field(min_length=1, max_length=64, pattern=TEXT)]] = Field(
        default_factory=list, max_length=50, description="document codes, for request_more"
    )
    amount: str | float | None = Field(default=None, description="yuan, for record_payment")
    paid_on: dt.date | None = Field(default=None, description="YYYY-MM-DD, for record_payment")
    method: Literal["bank_transfer", "cash", "other"] | None = Field(
        default=None, description="bank_transfer (default), cash or other"
    )
    expected_status: STATUSES | None = Field(
        default=None, description="refuse with 409 unless the case is still in this status"
    )


class WebhookIn(Schema):
    model_config = ConfigDict(extra="forbid")

    # The pattern is in the description only: the server's own check gives the clearer message.
    url: Annotated[
        str,
        WithJsonSchema(
            {
                "type": "string",
                "maxLength": 500,
                "pattern": r"^(https?://[^\s\u0000]+)?$",
                "description": "http(s) address of a public host; empty to stop the notifications",
            }
        ),
    ]


class WebhookOut(Schema):
    url: str
    secret: str = Field(description="HMAC-SHA256 key of X-Jiedao-Signature; shown on every registration")


class DayOut(Schema):
    date: dt.date
    count: int
    cumulative: int


class RatingsOut(Schema):
    """Ratings (好差评) in the provincial rating platforms' fields, one record each: 办件编号, 事项名称,
    评价渠道, 评价时间, 评价等级, 整体满意度, 办事效率, 办事指南精确度, 办事便捷度, 平台操作性, 整改情况, 整改时间."""

    count: int
    records: list[dict[str, str | int | None]]


class StatsOut(Schema):
    programme: str
    as_of: dt.date
    total: int
    by_status: dict[str, int]
    by_neighbourhood: dict[str, int]
    by_block: dict[str, int]
    by_category: dict[str, int]
    by_channel: dict[str, int]
    by_day: list[DayOut]
    median_days_to_decision: float | None


class BulletinOut(Schema):
    id: int
    title: str
    office: str
    office_phone: str
    starts_on: dt.date
    ends_on: dt.date = Field(description="the last day objections are taken")
    days_left: int = Field(description="days after today still in the period (0: today is the last day)")
    url: str = Field(description="the public page, where anyone may object")


class ArticleOut(Schema):
    id: int
    title: str
    dated: dt.date
    office: str
    url: str
class GateEntryIn(Schema):
    """One scan at a construction site's gate, as the device recorded it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    key: str = Field(max_length=36, description="the device's own UUID for this entry: the same key again is recorded once")
    pass_: str = Field(alias="pass", max_length=400, pattern=TEXT, description="the scanned QR code's text, or the 8-character pass number")
    direction: Literal["in", "out"]
    temperature: str | float | None = Field(default=None, description="°C; required to enter, 34–43")
    health_code: Literal["green", "yellow", "red"] = "green"
    phone_at: dt.datetime | None = Field(default=None, description="the device's own clock when recorded, kept for the record")
    elapsed_s: float = Field(default=0, ge=0, description="seconds the entry waited on the device: the server's clock less these decides the time")


class GateEntriesIn(Schema):
    model_config = ConfigDict(extra="forbid")

    entries: list[GateEntryIn] = Field(max_length=200)
    gate: str = Field(default="", max_length=40, pattern=TEXT, description="which gate, as staff read it")


class GateEntryResult(Schema):
    key: str | None
    status: Literal["ok", "invalid", "conflict"]
    created: bool | None = Field(default=None, description="false: this key was recorded before; the first answer is repeated")
    outcome: Literal["admitted", "refused", "rejected"] | None = None
    reason: str | None = Field(default=None, description="fever, health_code; or why the pass was rejected: forged, unknown, other_site, revoked, not_approved, expired, not_yet")
    message: str | None = Field(default=None, description="what to tell the worker, in the caller's language")
    at: dt.datetime | None = None
    worker: str | None = Field(default=None, description="the worker's name, for the gatekeeper to compare")
    code: str | None = None
    errors: dict[str, list[str]] | None = None


class GateEntriesOut(Schema):
    results: list[GateEntryResult]
# Enterprise outreach: the district's enterprise service platform reads and adds an enterprise's needs.


class EnterpriseNeedOut(Schema):
    reference: str = Field(description="the need's number, as the enterprise's SMS names it")
    kind: Literal["supplies", "reopening", "staffing", "funding", "policy", "other"]
    detail: str
    quantity: int | None = None
    status: Literal["open", "in_hand", "met", "referred", "cannot"]
    reason: str = Field(description="why it was referred or cannot be met")
    due_on: dt.date
    overdue: bool
    owner_office: str
    created_at: dt.datetime
    closed_at: dt.datetime | None = None


class EnterpriseNeedsOut(Schema):
    uscc: str
    name: str
    needs: list[EnterpriseNeedOut]


class EnterpriseNeedIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["supplies", "reopening", "staffing", "funding", "policy", "other"]
    detail: str = Field(max_length=300, pattern=TEXT)
    quantity: int | None = Field(default=None, ge=1)
    due_on: dt.date | None = Field(default=None, description="when it is due; by default in JIEDAO_ENTERPRISE_NEED_DAYS days")
