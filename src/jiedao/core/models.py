"""Places (the subdistrict, its neighbourhoods 居民区, the renovation blocks 旧改地块), staff roles
with the neighbourhoods they cover, and the append-only audit trail."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class BilingualName(models.Model):
    """Names are data typed by the office, so they carry their English form beside the Chinese."""

    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)

    class Meta:
        abstract = True

    @property
    def display_name(self) -> str:
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name

    def __str__(self) -> str:
        return self.display_name


class Subdistrict(BilingualName):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    district = models.CharField(_("所属区"), max_length=50, blank=True)
    city = models.CharField(_("所属市"), max_length=50, blank=True)
    office_phone = models.CharField(_("办公电话"), max_length=40, blank=True)
    office_address = models.CharField(_("办公地址"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = _("街道")


class Neighbourhood(BilingualName):
    subdistrict = models.ForeignKey(Subdistrict, on_delete=models.PROTECT, related_name="neighbourhoods")
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    committee_phone = models.CharField(_("居委会电话"), max_length=40, blank=True)
    committee_address = models.CharField(_("居委会地址"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("居民区")
        verbose_name_plural = _("居民区")
        ordering = ["id"]


class Block(BilingualName):
    subdistrict = models.ForeignKey(Subdistrict, on_delete=models.PROTECT, related_name="blocks")
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("旧改地块")
        verbose_name_plural = _("旧改地块")
        ordering = ["id"]


class BlockStreet(models.Model):
    """Which doors belong to a renovation block: a road, and optionally a range of lane (弄)
    numbers on it. Most residents do not know their block's name but do know their address, so
    the application form offers the block from these rows. Data an administrator keeps, not code;
    a road with no range covers every lane of it."""

    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="streets", verbose_name=_("旧改地块"))
    road = models.CharField(_("路名"), max_length=100, help_text=_("和居民填写的一样，例如：中兴路"))
    lane_from = models.PositiveIntegerField(_("从几弄"), null=True, blank=True)
    lane_to = models.PositiveIntegerField(_("到几弄"), null=True, blank=True, help_text=_("两个都不填：整条路都属于这个地块。"))

    class Meta:
        verbose_name = _("地块门牌范围")
        verbose_name_plural = _("地块门牌范围")
        ordering = ["block_id", "road", "lane_from", "id"]

    def __str__(self) -> str:
        if self.lane_from is None and self.lane_to is None:
            return self.road
        return f"{self.road} {self.lane_from or ''}–{self.lane_to or ''}"

    def covers(self, lane: int | None) -> bool:
        if self.lane_from is None and self.lane_to is None:
            return True
        if lane is None:
            return False
        return (self.lane_from is None or self.lane_from <= lane) and (self.lane_to is None or lane <= self.lane_to)


class Role(models.TextChoices):
    WORKER = "worker", _("居委会工作人员")
    # Who reviews which service is the service type's to say (the subsidy: 旧改分指挥部).
    REVIEWER = "reviewer", _("审核人员")
    LEADER = "leader", _("街道领导（只读）")
    ADMIN = "admin", _("系统管理员")


class StaffProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    neighbourhoods = models.ManyToManyField(
        Neighbourhood, verbose_name=_("负责的居民区"), blank=True, help_text=_("居委会工作人员只能看到这些居民区的申请。")
    )

    class Meta:
        verbose_name = _("工作人员角色")
        verbose_name_plural = _("工作人员角色")

    def __str__(self) -> str:
        return f"{self.user.get_username()} · {self.get_role_display()}"


class AuditAction(models.TextChoices):
    VIEW_CASE = "view_case", _("查看申请")
    VIEW_DOCUMENT = "view_document", _("查看材料照片")
    SEARCH = "search", _("搜索申请")
    EXPORT = "export", _("导出")
    TRANSITION = "transition", _("办理操作")
    FILE_APPLICATION = "file_application", _("代为录入申请")
    ADD_DOCUMENTS = "add_documents", _("补充材料")
    IMPORT_ROSTER = "import_roster", _("导入在册户名单")
    RESEND_NOTICE = "resend_notice", _("重发短信")
    DISABLE_STAFF = "disable_staff", _("停用工作人员账号")
    RESET_OTP_DEVICE = "reset_otp_device", _("重置两步验证设备")
    DATA_COPY = "data_copy", _("导出本人数据副本")
    RETENTION_RUN = "retention_run", _("到期数据清理")
    AUDIT_PRUNE = "audit_prune", _("清理过期审计记录")


# What each action is called on the audit page. A service adds its own actions with
# ``audit_action_register`` in its AppConfig.ready: the column has no choices, so a new action is
# a line in that service's app, never a migration of core.
AUDIT_ACTION_LABELS: dict[str, object] = dict(AuditAction.choices)


def audit_action_register(value: str, label) -> None:
    if len(value) > 24:
        raise ValueError(f"audit action {value!r} is longer than the column (24)")
    AUDIT_ACTION_LABELS.setdefault(value, label)


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("the audit trail is append-only")

    def delete(self):
        raise PermissionError("the audit trail is append-only")


class AuditEntry(models.Model):
    """Who did what to which case, when and from where. Written once, never changed."""

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("操作人")
    )
    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=24)  # a key of AUDIT_ACTION_LABELS
    reference = models.CharField(_("受理编号"), max_length=32, blank=True, db_index=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["actor", "at"], name="audit_actor_idx")]

    @property
    def action_label(self) -> str:
        return str(AUDIT_ACTION_LABELS.get(self.action, self.action))

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the audit trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit trail is append-only")


class StaffSession(models.Model):
    """One signed-in staff session, so that disabling an account can end every one of its sessions
    whatever the session backend: Django's stores cannot be searched by user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_sessions", verbose_name=_("工作人员")
    )
    session_key = models.CharField(_("会话标识"), max_length=40, unique=True)
    signed_in_at = models.DateTimeField(_("登录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("工作人员会话")
        verbose_name_plural = _("工作人员会话")
