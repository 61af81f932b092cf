"""Partner API: access tokens, which token submitted which application, and the webhook outbox.

A token is shown once when it is made and stored only as its SHA-256 (a random 256-bit secret
needs no slow hash); ``prefix`` is kept to tell tokens apart on screen. Every token acts through a
service user of its own (``api:<name>``), so audit entries and case histories say who acted; a
reviewer token's user has the reviewer role, a partner token's user is no staff at all.

``WebhookDelivery`` mirrors the SMS outbox (``notices.Notice``): written in the transaction of the
status change, sent later by the worker under a lease, retried with backoff until accepted.
"""

from __future__ import annotations


from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.lib.outbox import OutboxRow


class TokenRole(models.TextChoices):
    PARTNER = "partner", _("合作平台（一网通办、社区事务受理中心）")
    REVIEWER = "reviewer", _("审核人员（旧改分指挥部）")


class ApiToken(models.Model):
    name = models.SlugField(_("名称"), max_length=40, unique=True, help_text=_("英文字母、数字和连字符，例如 yiwangtongban。"))
    role = models.CharField(_("角色"), max_length=16, choices=TokenRole.choices)
    prefix = models.CharField(_("令牌开头"), max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_token", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    webhook_url = models.URLField(
        _("状态变化通知地址（Webhook）"), max_length=500, blank=True, help_text=_("只有合作平台令牌会收到通知。")
    )
    webhook_secret = models.CharField(_("通知签名密钥"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    def clean(self):
        # The admin's form: the same address rule as the API and `jiedao token create` (no
        # loopback, private or metadata addresses), so no door is left open for a typo or a trick.
        super().clean()
        if self.webhook_url:
            from .services import webhook_url_errors

            if errors := webhook_url_errors(self.webhook_url.strip()):
                raise ValidationError({"webhook_url": errors})

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def is_reviewer(self) -> bool:
        return self.role == TokenRole.REVIEWER


class PartnerSubmission(models.Model):
    """The application ``token`` submitted through the API: what a partner token may follow."""

    token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, related_name="submissions")
    application = models.OneToOneField(
        "intake.Application", on_delete=models.CASCADE, related_name="api_submission"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("接口提交的申请")
        verbose_name_plural = _("接口提交的申请")


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已送达")
    FAILED = "failed", _("发送失败")


class WebhookDelivery(OutboxRow):
    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="deliveries")
    application = models.ForeignKey(
        "intake.Application", on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    status = models.CharField(_("申请状态"), max_length=16)
    payload = models.JSONField(default=dict)
    state = models.CharField(_("状态"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.QUEUED)

    class Meta:
        verbose_name = _("状态变化通知")
        verbose_name_plural = _("状态变化通知")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_due_idx"),
            models.Index(fields=["state", "claimed_until"], name="webhook_lease_idx"),
        ]
