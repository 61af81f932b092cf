"""The construction-site register (工地登记): the elevator project at 光机小区 and the like.

A *site* is a project at a place of a neighbourhood (the committee's scope), with its builder (a
company and its unified social credit code), the site manager, the committee worker responsible,
the hours and a status. Its *workers* are registered by the manager (or register themselves from
the manager's link) and sign the personnel commitment on the phone; the ID number is kept as the
applicants' are: encrypted, found by a keyed hash. The committee approves a *pass* (出入证) for a
worker for a period: its QR code carries a server signature, so it cannot be made without the
server's key; it expires with the period and is revoked at once.

Every scan at the gate is a *gate entry*, keyed by the key the phone made for it
(``crypto.randomUUID``): an offline phone sending the same entry three times writes one row. An
entry refused for fever or a health code that is not green opens a *refusal*: a case the
committee closes with a note. Entries, refusals and the workers' health colour are kept
``JIEDAO_SITES_RETENTION_DAYS`` (28) and then deleted, leaving *daily counts*; the workers' personal
data goes when the project has been finished for the same period.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import Neighbourhood
from jiedao.lib.crypto import SealedIdNumber
from jiedao.lib.links import short_token
from jiedao.lib.validators import mask_id_number, mask_phone


class SiteStatus(models.TextChoices):
    STOPPED = "stopped", _("停工")
    RESUMING = "resuming", _("准备复工")
    WORKING = "working", _("施工中")
    FINISHED = "finished", _("已完工")


def _gate_pin() -> str:
    import secrets

    return "".join(secrets.choice("23456789") for _ in range(8))


class Site(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True, help_text=_("网址里用的代码，例如 guangji-elevator。"))
    name = models.CharField(_("工程名称"), max_length=100, help_text=_("例如：光机小区加装电梯"))
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.PROTECT, verbose_name=_("居民区"))
    place = models.CharField(_("施工地点"), max_length=200, help_text=_("小区和楼号，例如：光机小区1号楼、3号楼"))
    builder_name = models.CharField(_("施工单位"), max_length=100)
    builder_uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    manager_name = models.CharField(_("现场负责人"), max_length=50)
    manager_phone = models.CharField(_("现场负责人手机"), max_length=11)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("负责的居委会工作人员"),
    )  # fmt: skip
    responsible_phone = models.CharField(_("负责人手机（收短信）"), max_length=11)
    committee_phone = models.CharField(_("居委会电话（公示）"), max_length=40, blank=True)
    work_hours = models.CharField(_("施工时间"), max_length=60, help_text=_("例如：周一至周六 8:00—17:00"))
    rules = models.TextField(_("防疫和施工管理要求"), blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=SiteStatus.choices, default=SiteStatus.STOPPED)
    finished_on = models.DateField(_("完工日期"), null=True, blank=True)
    # What the gatekeeper types once on the gate phone (the committee gives it to the site manager).
    gate_pin = models.CharField(_("门岗口令"), max_length=8, default=_gate_pin, editable=False)
    # The link the manager sends to the crew to register themselves (/sites/join/<token>/).
    join_token = models.CharField(max_length=16, unique=True, default=short_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("工地")
        verbose_name_plural = _("工地")
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.name


class HealthCode(models.TextChoices):
    GREEN = "green", _("绿码")
    YELLOW = "yellow", _("黄码")
    RED = "red", _("红码")


class SiteWorker(SealedIdNumber, models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="workers")
    name = models.CharField(_("姓名"), max_length=100)
    id_number_encrypted = models.CharField(max_length=200, blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    phone = models.CharField(_("手机号码"), max_length=11, blank=True)
    trade = models.CharField(_("工种"), max_length=40, blank=True)
    health_code = models.CharField(_("健康码颜色"), max_length=8, choices=HealthCode.choices, blank=True)
    health_code_on = models.DateField(_("健康码日期"), null=True, blank=True)
    # The stored name of the photo (private storage, served only through permission-checked views).
    photo = models.CharField(_("照片"), max_length=100, blank=True, editable=False)
    registered_by = models.CharField(max_length=8, default="manager", editable=False)  # manager, self, staff
    commitment_signed_at = models.DateTimeField(_("签署承诺书时间"), null=True, blank=True)
    commitment_signature = models.CharField(_("签名"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    forgotten_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("施工人员")
        verbose_name_plural = _("施工人员")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "id_number_hash"], condition=~models.Q(id_number_hash=""), name="one_worker_per_id_per_site"
            )
        ]

    def __str__(self) -> str:
        return f"{self.site.code} #{self.pk}"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number) if self.id_number_encrypted else ""

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""

    @property
    def label(self) -> str:
        """How lists name a worker to staff who may not see names: the crew number and trade."""
        return f"#{self.pk} {self.trade}".strip()


class PassStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("有效")
    REVOKED = "revoked", _("已收回")


def _pass_number() -> str:
    import secrets

    alphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read out and typed at a gate
    return "".join(secrets.choice(alphabet) for _ in range(8))


class SitePass(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="passes")
    worker = models.ForeignKey(SiteWorker, on_delete=models.CASCADE, related_name="passes")
    number = models.CharField(_("出入证号"), max_length=8, unique=True, default=_pass_number, editable=False)
    # The worker's own link to the pass on their phone (sent by SMS when it is approved).
    token = models.CharField(max_length=16, unique=True, default=short_token, editable=False)
    valid_from = models.DateField(_("有效期自"))
    valid_until = models.DateField(_("有效期至"))
    status = models.CharField(_("状态"), max_length=10, choices=PassStatus.choices, default=PassStatus.REQUESTED)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("出入证")
        verbose_name_plural = _("出入证")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.number[:4]}-{self.number[4:]}"


class Direction(models.TextChoices):
    IN = "in", _("进场")
    OUT = "out", _("出场")


class Outcome(models.TextChoices):
    ADMITTED = "admitted", _("放行")
    REFUSED = "refused", _("拒绝进场")
    REJECTED = "rejected", _("出入证无效")


class Source(models.TextChoices):
    PAGE = "page", _("门岗页面")
    OFFLINE = "offline", _("离线补传")
    API = "api", _("门岗设备接口")


class GateEntry(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="entries")
    # The phone's own key for this entry: the same entry sent again is found by it, never doubled.
    key = models.UUIDField(unique=True, default=uuid.uuid4)
    site_pass = models.ForeignKey(SitePass, on_delete=models.SET_NULL, null=True, blank=True, related_name="entries")
    worker = models.ForeignKey(SiteWorker, on_delete=models.SET_NULL, null=True, blank=True, related_name="entries")
    direction = models.CharField(_("进出"), max_length=3, choices=Direction.choices)
    temperature = models.DecimalField(_("体温"), max_digits=3, decimal_places=1, null=True, blank=True)
    health_code = models.CharField(_("健康码颜色"), max_length=8, choices=HealthCode.choices, blank=True)
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=24, blank=True)  # fever, health_code, forged, expired, …
    # Server time decides (``at``); the phone's own clock is kept for the record.
    at = models.DateTimeField(_("时间"), db_index=True)
    phone_at = models.DateTimeField(_("手机上的时间"), null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.PAGE)
    gate = models.CharField(_("门岗"), max_length=40, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("进出记录")
        verbose_name_plural = _("进出记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["site", "at"], name="gate_entry_site_at_idx")]


class Refusal(models.Model):
    """An entry refused for health: the committee follows it up and closes it with a note."""

    entry = models.OneToOneField(GateEntry, on_delete=models.CASCADE, related_name="refusal")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="refusals")
    reason = models.CharField(max_length=24)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.TextField(_("处理情况"), blank=True)

    class Meta:
        verbose_name = _("拒绝进场")
        verbose_name_plural = _("拒绝进场")
        ordering = ["-opened_at", "-id"]

    @property
    def reference(self) -> str:
        return f"{self.site.code}-R{self.pk}"


class DailyCount(models.Model):
    """What stays of a day at a site once its entries are deleted (and what the report sends)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="daily_counts")
    day = models.DateField()
    people = models.PositiveIntegerField(default=0)  # workers admitted at least once
    entries = models.PositiveIntegerField(default=0)
    exits = models.PositiveIntegerField(default=0)
    refusals = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    missed_checks = models.PositiveIntegerField(default=0)
    reported_at = models.DateTimeField(null=True, blank=True)  # the 18:00 SMS, once

    class Meta:
        verbose_name = _("每日统计")
        verbose_name_plural = _("每日统计")
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["site", "day"], name="one_count_per_site_day")]


class CommitmentKind(models.TextChoices):
    CONSTRUCTION = "construction", _("加装电梯施工管理承诺书")
    PERSONNEL = "personnel", _("加装电梯施工人员管理承诺书")
    OTHER = "other", _("其他承诺书或制度")


class Commitment(models.Model):
    """A signed commitment (承诺书) attached to the site: a PDF or photo, who signed it and when."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="commitments")
    kind = models.CharField(_("类型"), max_length=16, choices=CommitmentKind.choices)
    signed_by = models.CharField(_("签署方"), max_length=200, help_text=_("例如：居委会、业委会、物业、施工单位"))
    signed_on = models.DateField(_("签署日期"))
    file = models.FileField(_("文件"), upload_to="sites/commitments/", blank=True)
    content_type = models.CharField(max_length=40, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("承诺书")
        verbose_name_plural = _("承诺书")
        ordering = ["signed_on", "id"]
