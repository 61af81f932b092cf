"""Enterprise outreach (走访企业): enterprises, visits, the needs heard and followed to the end, and
the supplies ledger the trade union hands masks and sanitiser out from.

One app, because the ledger's handouts name an enterprise and the need they answer: a separate
supplies app would sit above this one and import it for nothing else (the README's architecture
section says so).

- ``Enterprise``: name, unified social credit code (统一社会信用代码, checked with python-stdnum,
  unique), neighbourhood, sector, size, union status (单独建会), contacts; its report link (a
  token with an expiry: no account, tied to the enterprise, no personal data in the address).
- ``Visit``: when, who (several staff), what was learnt, photos (``lib.photos``' clean JPEGs).
- ``Need``: one structured item (kind, what, quantity) with an owner (a member of staff and/or an
  office, and the phone the overdue SMS goes to), a due date, a status from ``NEED_TRANSITIONS``
  and its history (``NeedEvent``).
- ``Item`` and ``LedgerEntry``: the supplies ledger. Entries are append-only (a correction is a
  new entry that names the one it corrects); ``Item.balance`` is the running balance, moved in
  the transaction of each entry under the item's lock, so reading every stock is one small query
  and stock never goes below zero (a check constraint says so too).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import Neighbourhood
from jiedao.lib.validators import mask_phone


class Size(models.TextChoices):
    MICRO = "micro", _("微型")
    SMALL = "small", _("小型")
    MEDIUM = "medium", _("中型")
    LARGE = "large", _("大型")


class Enterprise(models.Model):
    name = models.CharField(_("企业名称"), max_length=120)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("所在居民区")
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    sector = models.CharField(_("行业"), max_length=60, blank=True)
    size = models.CharField(_("规模"), max_length=8, choices=Size.choices, default=Size.SMALL)
    union_separate = models.BooleanField(_("单独建会"), default=False)
    report_token = models.CharField(max_length=16, unique=True, null=True, blank=True, editable=False)
    report_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def primary_contact(self) -> Contact | None:
        contacts = list(self.contacts.all())
        return next((c for c in contacts if c.primary), contacts[0] if contacts else None)


class Contact(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("联系人"), max_length=60)
    phone = models.CharField(_("手机号码"), max_length=11)
    title = models.CharField(_("职务"), max_length=60, blank=True)
    primary = models.BooleanField(_("主要联系人"), default=True)

    class Meta:
        verbose_name = _("企业联系人")
        verbose_name_plural = _("企业联系人")
        ordering = ["-primary", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.masked_phone}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Visit(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="visits")
    visited_on = models.DateField(_("走访日期"))
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("走访人员"))
    visitors = models.CharField(_("其他走访人员"), max_length=200, blank=True, help_text=_("例如：街道党工委书记、工会"))
    notes = models.TextField(_("了解到的情况"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("走访")
        verbose_name_plural = _("走访")
        ordering = ["-visited_on", "-id"]


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    file = models.CharField(max_length=200)  # a name in default_storage, never served publicly
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()


class NeedKind(models.TextChoices):
    SUPPLIES = "supplies", _("防疫物资")
    REOPENING = "reopening", _("复工审批")
    STAFFING = "staffing", _("用工")
    FUNDING = "funding", _("资金")
    POLICY = "policy", _("政策咨询")
    OTHER = "other", _("其他")


class NeedStatus(models.TextChoices):
    OPEN = "open", _("待办理")
    IN_HAND = "in_hand", _("办理中")
    MET = "met", _("已解决")
    REFERRED = "referred", _("已转办")
    CANNOT = "cannot", _("无法解决")


OPEN_NEED = (NeedStatus.OPEN, NeedStatus.IN_HAND)
# The one table of allowed moves (services.need_transition consults it); ending without meeting
# the need needs a reason.
NEED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    NeedStatus.OPEN: (NeedStatus.IN_HAND, NeedStatus.MET, NeedStatus.REFERRED, NeedStatus.CANNOT),
    NeedStatus.IN_HAND: (NeedStatus.MET, NeedStatus.REFERRED, NeedStatus.CANNOT),
}
REASON_REQUIRED = (NeedStatus.REFERRED, NeedStatus.CANNOT)


class Need(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="needs")
    visit = models.ForeignKey(Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="needs")
    kind = models.CharField(_("类别"), max_length=12, choices=NeedKind.choices)
    detail = models.CharField(_("具体诉求"), max_length=300)
    quantity = models.PositiveIntegerField(_("数量"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("负责人")
    )
    owner_office = models.CharField(_("负责部门"), max_length=60, blank=True, help_text=_("例如：街道工会、营商办"))
    owner_phone = models.CharField(_("负责人手机"), max_length=11, blank=True, help_text=_("逾期提醒短信发到这个号码。"))
    due_on = models.DateField(_("办结期限"))
    status = models.CharField(_("状态"), max_length=8, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source = models.CharField(max_length=8, default="visit", editable=False)  # visit, staff, report, partner
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("企业诉求")
        verbose_name_plural = _("企业诉求")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="need_status_due_idx")]

    def __str__(self) -> str:
        return f"{self.reference} {self.detail}"

    @property
    def reference(self) -> str:
        return f"QYSQ{self.pk:05d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_NEED

    def is_overdue(self, today=None) -> bool:
        return self.is_open and self.due_on < (today or timezone.localdate())

    @property
    def owner_label(self) -> str:
        parts = [self.owner.get_full_name() or self.owner.get_username()] if self.owner_id else []
        if self.owner_office:
            parts.append(self.owner_office)
        return " · ".join(parts)


class NeedEvent(models.Model):
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=8, blank=True)
    to_status = models.CharField(max_length=8, choices=NeedStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]


class Item(models.Model):
    name = models.CharField(_("物资名称"), max_length=40, unique=True)
    unit = models.CharField(_("单位"), max_length=8, help_text=_("例如：只、瓶、盒"))
    # The running balance: moved only by ledger.entry_* under this row's lock.
    balance = models.IntegerField(_("库存"), default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("物资")
        verbose_name_plural = _("物资")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="item_balance_not_negative")]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit}）"


class EntryKind(models.TextChoices):
    RECEIPT = "receipt", _("入库")
    HANDOUT = "handout", _("发放")
    CORRECTION = "correction", _("更正")


class LedgerEntry(models.Model):
    """One line of the ledger, never edited or deleted: ``quantity`` is signed (+ in, − out)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("类型"), max_length=10, choices=EntryKind.choices)
    quantity = models.IntegerField(_("数量"))
    balance_after = models.IntegerField()
    source = models.CharField(_("来源"), max_length=100, blank=True)  # a receipt: from whom
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, null=True, blank=True, related_name="handouts")
    need = models.ForeignKey(Need, on_delete=models.PROTECT, null=True, blank=True, related_name="handouts")
    received_by = models.CharField(_("领取人"), max_length=60, blank=True)
    signature = models.CharField(max_length=200, blank=True)  # PNG in default_storage
    signed_list = models.CharField(max_length=200, blank=True)  # JPEG in default_storage
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections")
    note = models.CharField(_("备注"), max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("物资台账")
        verbose_name_plural = _("物资台账")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["item", "at"], name="ledger_item_at_idx")]

    @property
    def reference(self) -> str:
        return f"WZ{self.pk:06d}"
