"""The SMS outbox: one row per message to one phone, written in the transaction of the event.

A ``Notice`` is persisted first and sent later by the worker (GOV.UK Notify's "persist, then
send"). Its UUID is the id the provider is given (Aliyun's OutId), so a delivery report or a status
query can always be matched to the row, and an unknown outcome can be reconciled before any retry.

Lifecycle: queued → sending (claimed by one worker under a lease) → sent (the provider accepted
it) → delivered | failed. ``outcome_unknown`` is committed True *before* the provider is called
and cleared when its answer is recorded, so a crash in between is visible to the next worker.

Beyond the outbox basics: ``recipient`` (applicant or proxy, shown to staff), ``last_attempt_at``
(what the per-number limits count, and the send date a status query needs), and ``resend_of``
(a resend is a new message with a new id, linked to the failed one, which then leaves the failed
list).
"""

from __future__ import annotations


from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.lib.outbox import OutboxRow
from jiedao.lib.validators import mask_phone


class Event(models.TextChoices):
    """The changes of a case that matter to the resident, each with its own SMS template."""

    RECEIVED = "received", _("申请已受理")
    NEEDS_MORE = "needs_more", _("需补充材料")
    APPROVED = "approved", _("审核已通过")
    REJECTED = "rejected", _("审核未通过")
    PAID = "paid", _("补助已发放")
    WITHDRAWN = "withdrawn", _("申请已撤回")
    # Not a change of the case: the code a resident asked for to open its details (AccessCode).
    ACCESS_CODE = "access_code", _("验证码")
    # Not a change either: someone tried to apply again with the ID number of an open case; its
    # reference goes to the case's own phones instead of being shown to whoever typed the number.
    REFERENCE_REMINDER = "ref_reminder", _("受理编号提醒")


class NoticeStatus(models.TextChoices):
    QUEUED = "queued", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已提交运营商")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("发送失败")


class Recipient(models.TextChoices):
    APPLICANT = "applicant", _("申请人")
    PROXY = "proxy", _("代办人")
    # The person a notice of another service goes to (a volunteer who signed up, …).
    PERSON = "person", _("本人")


FINAL_STATUSES = frozenset({NoticeStatus.DELIVERED, NoticeStatus.FAILED})


class Notice(OutboxRow):
    # The case it is about; empty for another service's notice, which names what it is about in
    # ``subject``. ``neighbourhood`` is whose staff see it (the case's, or the service's).
    application = models.ForeignKey(
        "intake.Application", on_delete=models.CASCADE, related_name="notices", verbose_name=_("申请"),
        null=True, blank=True,
    )  # fmt: skip
    subject = models.CharField(_("事由"), max_length=60, blank=True)
    neighbourhood = models.ForeignKey(
        "core.Neighbourhood", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("居民区")
    )
    recipient = models.CharField(_("接收人"), max_length=16, choices=Recipient.choices, default=Recipient.APPLICANT)
    phone = models.CharField(_("手机号码"), max_length=11)
    # An ``Event`` or an event a service registered with its template (``templates.sms_template_register``).
    event = models.CharField(_("事项"), max_length=16)
    template_code = models.CharField(_("模板代码"), max_length=64)
    params = models.JSONField(_("模板参数"), default=dict)
    text = models.TextField(_("短信内容"))
    status = models.CharField(_("状态"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.QUEUED)
    outcome_unknown = models.BooleanField(_("结果待核实"), default=False)
    provider = models.CharField(_("短信服务"), max_length=20, blank=True)
    provider_message_id = models.CharField(_("运营商回执编号"), max_length=100, blank=True)
    resend_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="resends", verbose_name=_("重发自")
    )
    # sent_at is when the provider accepted it (OutboxRow's "sent"); then the delivery report.
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信通知")
        verbose_name_plural = _("短信通知")
        ordering = ["created_at", "id"]
        indexes = [
            # The worker's claim: queued and due, or sending with an expired lease.
            models.Index(fields=["status", "next_attempt_at"], name="notice_due_idx"),
            models.Index(fields=["status", "claimed_until"], name="notice_lease_idx"),
            # The per-number limit: recent attempts to one phone.
            models.Index(fields=["phone", "last_attempt_at"], name="notice_phone_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_label} → {self.masked_phone}"

    @property
    def about(self) -> str:
        """What the notice is about, for staff: the case's reference, or the other service's subject."""
        return self.application.reference if self.application_id else self.subject

    @property
    def event_label(self) -> str:
        from .templates import event_label  # templates imports this module for Event

        return event_label(self.event)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class AccessCode(models.Model):
    """A 6-digit code sent by SMS to a phone of a case; typed back, it opens the case's details
    and the upload of requested documents in that browser.

    Only a keyed hash of the code is kept (``code_hash``, bound to the case and the phone); the
    SMS row that carries the plain code is masked once sent, failed or expired. Valid for
    ``JIEDAO_ACCESS_CODE_TTL_SECONDS``, once (``used_at``), and dead after
    ``JIEDAO_ACCESS_CODE_MAX_ATTEMPTS`` wrong tries (``attempts``)."""

    application = models.ForeignKey(
        "intake.Application", on_delete=models.CASCADE, related_name="access_codes", verbose_name=_("申请")
    )
    phone = models.CharField(_("手机号码"), max_length=11)
    code_hash = models.CharField(max_length=64, editable=False)
    notice = models.OneToOneField(
        Notice, on_delete=models.SET_NULL, null=True, blank=True, related_name="access_code", verbose_name=_("短信通知")
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("输错次数"), default=0)

    class Meta:
        verbose_name = _("验证码")
        verbose_name_plural = _("验证码")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["application", "phone", "created_at"], name="access_code_case_idx")]

    def __str__(self) -> str:
        return f"{self.application_id} → {mask_phone(self.phone)}"
