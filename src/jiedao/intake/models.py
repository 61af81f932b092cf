"""Programmes, applications, their documents and history, and unfinished applications (drafts).

A programme's categories and the documents each needs are rows an administrator edits, not code.
Photos are stored through Django's storage API under random server-made names; the storage has
no public URL, so a photo can only be read through a view that checks who is asking.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import BilingualName, Block, Neighbourhood, Subdistrict
from jiedao.lib.crypto import (
    EncryptedJSONField,
    decrypt,
    encrypt,
    id_hash,
    is_current,
    last4_hash,
)
from jiedao.lib.formatting import format_address
from jiedao.lib.validators import mask_id_number, mask_phone

from .lifecycle import OPEN_STATUSES
from .service_types import DEFAULT_SERVICE_TYPE, service_type_get, service_type_of, service_types


def _in_english() -> bool:
    return (get_language() or "").startswith("en")


class Programme(BilingualName):
    code = models.SlugField(
        _("代码"), max_length=12, unique=True, help_text=_("大写字母，用作受理编号的前缀，例如 JGBK。")
    )
    subdistrict = models.ForeignKey(Subdistrict, on_delete=models.PROTECT, related_name="programmes")
    summary = models.TextField(_("简介"), blank=True)
    summary_en = models.TextField(_("英文简介"), blank=True)
    opens_on = models.DateField(_("受理开始日期"))
    closes_on = models.DateField(_("受理截止日期"))
    neighbourhoods = models.ManyToManyField(Neighbourhood, verbose_name=_("居民区"), related_name="programmes")
    blocks = models.ManyToManyField(Block, verbose_name=_("旧改地块"), related_name="programmes")
    common_documents = models.ManyToManyField(
        "DocumentType",
        verbose_name=_("所有申请人都需提供的材料"),
        related_name="+",
        blank=True,
    )
    review_days = models.PositiveSmallIntegerField(_("承诺审核工作日"), default=10)
    # Which kind of service this is (``service_types``): its questions, lifecycle, texts and figures.
    service_type = models.CharField(_("服务类型"), max_length=40, default=DEFAULT_SERVICE_TYPE)

    class Meta:
        verbose_name = _("帮困项目")
        verbose_name_plural = _("帮困项目")
        ordering = ["-opens_on", "id"]

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.pk and self.applications.exists():
            before = Programme.objects.filter(pk=self.pk).values_list("service_type", flat=True).first()
            if before != self.service_type:
                raise ValidationError({"service_type": _("这个项目已经有申请了，不能再改服务类型。")})
        try:
            service_type_get(self.service_type)
        except LookupError:
            choices = "、".join(t.code for t in service_types())
            raise ValidationError(
                {"service_type": _("没有这种服务类型。可选：%(choices)s。") % {"choices": choices}}
            ) from None

    @property
    def kind(self):
        """The programme's ``ServiceType``."""
        return service_type_of(self)

    @property
    def display_summary(self) -> str:
        return self.summary_en if self.summary_en and _in_english() else self.summary

    def is_open(self, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.opens_on <= on <= self.closes_on


class DocumentType(BilingualName):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="document_types")
    code = models.SlugField(_("代码"), max_length=40)
    hint = models.CharField(_("拍摄提示"), max_length=300, blank=True)
    hint_en = models.CharField(_("英文拍摄提示"), max_length=300, blank=True)
    pages = models.PositiveSmallIntegerField(_("页数"), default=1)
    page_labels = models.CharField(
        _("各页名称"), max_length=200, blank=True, help_text=_("用竖线分隔，例如：正面|反面")
    )
    page_labels_en = models.CharField(_("各页英文名称"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    sms_name = models.CharField(
        _("短信中的名称"),
        max_length=40,
        blank=True,
        help_text=_(
            "短信里显示的材料名称，留空则用上面的名称。会透露病情、残疾或低保身份的材料"
            "（如残疾证、诊断证明、低保证明）请写成通用的名称，例如“证明材料”。"
        ),
    )

    class Meta:
        verbose_name = _("材料")
        verbose_name_plural = _("材料")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="document_code_per_programme")]

    @property
    def display_hint(self) -> str:
        return self.hint_en if self.hint_en and _in_english() else self.hint

    def page_label(self, page: int) -> str:
        raw = self.page_labels_en if self.page_labels_en and _in_english() else self.page_labels
        labels = [label.strip() for label in raw.split("|") if label.strip()]
        if page - 1 < len(labels):
            return labels[page - 1]
        if self.pages == 1:
            return ""
        return _("第%(page)d页") % {"page": page}


class Category(BilingualName):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="categories")
    code = models.SlugField(_("代码"), max_length=40)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    description_en = models.CharField(_("英文说明"), max_length=300, blank=True)
    documents = models.ManyToManyField(DocumentType, verbose_name=_("需要的材料"), blank=True, related_name="+")
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("特殊对象类别")
        verbose_name_plural = _("特殊对象类别")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="category_code_per_programme")]

    @property
    def display_description(self) -> str:
        return self.description_en if self.description_en and _in_english() else self.description


# How a case came in, once: each channel with its two wordings, the application's (how it was
# filed, in lists and the case page) and the history's (terse, beside each step of the timeline).
_CHANNELS = (
    ("ONLINE", "online", _("本人线上申请"), _("网上")),
    ("PROXY", "proxy", _("家属代办"), _("家属代办")),
    ("PHONE", "phone", _("电话指导申请"), _("电话指导")),
    ("HOME_VISIT", "home_visit", _("上门协助申请"), _("上门")),
    ("COUNTER", "counter", _("窗口受理"), _("窗口")),
    ("PARTNER", "partner", _("一网通办"), _("一网通办")),
)

Channel = models.TextChoices("Channel", [(name, (value, label)) for name, value, label, _step in _CHANNELS])
Channel.__doc__ = "How an application came in."

# Where a step in a case's history came from: an intake channel, or the back office.
Via = models.TextChoices(
    "Via",
    [(name, (value, step)) for name, value, _label, step in _CHANNELS]
    + [("BACK_OFFICE", ("back_office", _("工作人员后台")))],
)


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("银行卡转账")
    CASH = "cash", _("现金")
    OTHER = "other", _("其他")


class Application(models.Model):
    reference = models.CharField(_("受理编号"), max_length=32, unique=True)
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="applications")
    # A status of the programme's lifecycle (``status_label`` names it).
    status = models.CharField(_("状态"), max_length=16, default="submitted")

    applicant_name = models.CharField(_("申请人姓名"), max_length=100)
    name_pinyin = models.CharField(max_length=300, blank=True, editable=False)
    name_initials = models.CharField(max_length=100, blank=True, editable=False)
    # The ID number is never stored in plain text (PIPL, see lib.crypto): a Fernet token, and
    # keyed hashes for equality and for the staff search by the last four characters. Read and
    # write it through the ``id_number`` property; ``clear_id_number`` removes it for good.
    id_number_encrypted = models.CharField(max_length=200, blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    id_last4_hash = models.CharField(max_length=64, blank=True, editable=False)
    phone = models.CharField(_("手机号码"), max_length=11)

    # Asked by the service types that need an address (the subsidy); blank otherwise.
    address_road = models.CharField(_("路"), max_length=100, blank=True)
    address_lane = models.CharField(_("弄"), max_length=20, blank=True)
    address_number = models.CharField(_("号"), max_length=20, blank=True)
    address_room = models.CharField(_("室"), max_length=20, blank=True)
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.PROTECT, verbose_name=_("居民区"))
    # Only for service types that need a block (``ServiceType.needs_block``).
    block = models.ForeignKey(Block, on_delete=models.PROTECT, verbose_name=_("旧改地块"), null=True, blank=True)
    categories = models.ManyToManyField(Category, verbose_name=_("特殊对象类别"))
    household_note = models.TextField(_("家庭情况说明"), blank=True)
    # The answers to a service type's own questions, those without a column here (forms.OWN_COLUMNS);
    # one Fernet token at rest, like a draft's answers.
    extra_answers = EncryptedJSONField(default=dict, blank=True)
    missing_documents = models.ManyToManyField(
        DocumentType, verbose_name=_("需补充的材料"), blank=True, related_name="+"
    )

    channel = models.CharField(_("申请渠道"), max_length=16, choices=Channel.choices)
    proxy_name = models.CharField(_("代办人姓名"), max_length=100, blank=True)
    proxy_phone = models.CharField(_("代办人手机"), max_length=11, blank=True)
    proxy_relationship = models.CharField(_("与申请人关系"), max_length=30, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="filed_applications",
        verbose_name=_("代为录入的工作人员"),
    )

    consent_version = models.CharField(_("同意书版本"), max_length=32)
    consent_at = models.DateTimeField(_("同意时间"))
    # Only where the service type asks for sensitive personal information (PIPL art. 29).
    sensitive_consent_at = models.DateTimeField(_("敏感个人信息同意时间"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True, editable=False)

    submitted_at = models.DateTimeField(_("受理时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    decided_at = models.DateTimeField(_("审核决定时间"), null=True, blank=True)

    paid_amount = models.DecimalField(_("发放金额（元）"), max_digits=10, decimal_places=2, null=True, blank=True)
    paid_on = models.DateField(_("发放日期"), null=True, blank=True)
    payment_method = models.CharField(_("发放方式"), max_length=16, choices=PaymentMethod.choices, blank=True)

    class Meta:
        verbose_name = _("申请")
        verbose_name_plural = _("申请")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # Race-proof "one open application per person per programme": a second submit that
            # slips past the service's check still fails here, and is turned into a clear answer.
            # Only when an ID number is given: some service types do not ask for one.
            models.UniqueConstraint(
                fields=["programme", "id_number_hash"],
                condition=Q(status__in=sorted(OPEN_STATUSES)) & ~Q(id_number_hash=""),
                name="one_open_application_per_person",
            )
        ]
        indexes = [
            models.Index(fields=["programme", "status", "submitted_at"], name="app_queue_idx"),
            models.Index(fields=["neighbourhood", "submitted_at"], name="app_neighbourhood_idx"),
            models.Index(fields=["name_initials"], name="app_initials_idx"),
            models.Index(fields=["name_pinyin"], name="app_pinyin_idx"),
            models.Index(fields=["id_number_hash"], name="app_id_hash_idx"),
            models.Index(fields=["id_last4_hash"], name="app_id_last4_idx"),
            models.Index(fields=["phone"], name="app_phone_idx"),
            # The queue's orders, so that a page is read from an index instead of sorting every
            # application first: the newest first (for all, or one status), the longest waiting.
            models.Index(fields=["submitted_at", "id"], name="app_newest_idx"),
            models.Index(fields=["status", "submitted_at", "id"], name="app_status_newest_idx"),
            models.Index(fields=["updated_at", "id"], name="app_waiting_idx"),
            # A phone search matches the applicant's or the proxy's: both need an index for the OR.
            models.Index(fields=["proxy_phone"], name="app_proxy_phone_idx"),
            # Prefix searches (name, pinyin, initials) need indexes the LIKE can use, which differ
            # per database: see migration 0007_search_prefix_indexes (raw SQL, not declared here).
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def address(self) -> str:
        return format_address(self.address_road, self.address_lane, self.address_number, self.address_room)

    @property
    def id_number(self) -> str:
        """The plain ID number, decrypted on first use (once per token, not per read)."""
        token = self.id_number_encrypted
        if not token:
            return ""
        cached = self.__dict__.get("_id_number_plain")
        if cached is None or cached[0] != token:
            cached = (token, decrypt(token))
            self.__dict__["_id_number_plain"] = cached
        return cached[1]

    @id_number.setter
    def id_number(self, number: str) -> None:
        # Also what ``Application(id_number=...)`` and ``objects.create(id_number=...)`` call.
        if not number:
            self.clear_id_number()
            return
        self.id_number_encrypted = encrypt(number)
        self.id_number_hash = id_hash(number)
        self.id_last4_hash = last4_hash(number[-4:])
        self.__dict__["_id_number_plain"] = (self.id_number_encrypted, number)

    def clear_id_number(self) -> None:
        """Forget the ID number (anonymisation): the token and both hashes; save() to persist."""
        self.id_number_encrypted = self.id_number_hash = self.id_last4_hash = ""
        self.__dict__.pop("_id_number_plain", None)

    ID_NUMBER_FIELDS = ("id_number_encrypted", "id_number_hash", "id_last4_hash")
    SEALED_FIELDS = (*ID_NUMBER_FIELDS, "extra_answers")  # what `jiedao keys rotate` rewrites

    def reseal(self) -> bool:
        """Bring the token to the current key and the hashes to the current hash key (`jiedao keys
        rotate`); False when both already are and there are no extra answers, so a second run
        changes nothing. Extra answers are always rewritten: their field encrypts with the current
        key on save, and only service types other than the subsidy have them."""
        changed = bool(self.extra_answers)
        if not self.id_number_encrypted:
            return changed
        number = self.id_number
        if (
            is_current(self.id_number_encrypted)
            and self.id_number_hash == id_hash(number)
            and self.id_last4_hash == last4_hash(number[-4:])
        ):
            return changed
        self.id_number = number
        return True

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_proxy_phone(self) -> str:
        return mask_phone(self.proxy_phone) if self.proxy_phone else ""

    @property
    def lifecycle(self):
        return service_type_of(self.programme).lifecycle

    @property
    def is_open(self) -> bool:
        return self.status in self.lifecycle.open_statuses

    @property
    def status_label(self) -> str:
        return self.lifecycle.status_label(self.status)


class ApplicationEvent(models.Model):
    """One line of a case's history: who moved it, when, through which channel, and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    channel = models.CharField(max_length=16, choices=Via.choices)
    note = models.TextField(blank=True, help_text=_("写给申请人看的说明"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")

    @property
    def to_status_label(self) -> str:
        return self.application.lifecycle.status_label(self.to_status)


class Document(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT)
    page = models.PositiveSmallIntegerField(default=1)
    file = models.FileField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    # Sent in after staff asked for more material: shown as new on the case page.
    supplement = models.BooleanField(_("补充材料"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["document_type__order", "document_type_id", "page", "id"]
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")

    @property
    def page_label(self) -> str:
        return self.document_type.page_label(self.page)


class ReferenceCounter(models.Model):
    """The last sequence number handed out per programme and (Shanghai) year."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["programme", "year"], name="one_counter_per_year")]


class Draft(models.Model):
    """An unfinished application: answers and processed photos kept server-side between steps."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE)
    # Name, ID number, phone, address, household note: one Fernet token at rest (lib.crypto).
    answers = EncryptedJSONField(default=dict)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True)
    application = models.OneToOneField(Application, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["updated_at"], name="draft_updated_idx")]

    SEALED_FIELDS = ("answers",)

    def reseal(self) -> bool:
        # The field decrypts on load and encrypts on save with the current key: saving is the
        # rotation. Drafts live three days, so rewriting every one is cheap.
        return True


class DraftPhoto(models.Model):
    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="photos")
    document_type = models.ForeignKey(DocumentType, on_delete=models.CASCADE)
    page = models.PositiveSmallIntegerField(default=1)
    file = models.FileField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["draft", "document_type", "page"], name="one_photo_per_draft_page")
        ]


# Tallies: running counts kept in the same transaction as each submission and transition, so
# that the dashboard reads a few hundred small rows instead of scanning every application.


class SubmissionTally(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE)
    day = models.DateField()
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.CASCADE)
    block = models.ForeignKey(Block, on_delete=models.CASCADE, null=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "day", "neighbourhood", "block", "channel"], name="submission_tally")
        ]


class CategoryTally(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE)
    day = models.DateField()
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.CASCADE)
    category = models.ForeignKey(Category, on_delete=models.CASCADE)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "day", "neighbourhood", "category"], name="category_tally")
        ]


class StatusTally(models.Model):
    """The net change, on ``day``, of the number of cases in ``status``: +1 in, −1 out."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE)
    day = models.DateField()
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.CASCADE)
    status = models.CharField(max_length=16)
    delta = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "day", "neighbourhood", "status"], name="status_tally")
        ]


class DecisionTally(models.Model):
    """Decisions (approve or reject) on ``day``, by whole hours from submission to decision."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE)
    day = models.DateField()
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.CASCADE)
    hours = models.PositiveIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "day", "neighbourhood", "hours"], name="decision_tally")
        ]
