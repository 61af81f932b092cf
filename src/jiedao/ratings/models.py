"""Service ratings (政务服务"好差评", 国办发〔2019〕51号): one rating per case of any service.

- ``Invitation``: a case that ended (``lib.case_endings.CaseEnded``), one per (service, case_key),
  with what a rating needs to know of it (事项名称, 办件编号, the handler, the office, the phone
  the link went to). The link's token is kept only as a hash: a database copy cannot rate.
- ``Rating``: one per invitation (一事一评): the level (非常满意 … 非常不满意), the five online
  indicators (1–5), a comment, and the channel — the SMS link, or taken face to face by staff
  at a home visit (上门当面). An upheld appeal excludes it from the figures; it is kept.
- ``Rectification``: what a bad rating (不满意, 非常不满意) opens for the case's handler (or the
  office): due a number of working days after the rating, the follow-up call and its outcome,
  the answer sent to the rater by SMS, and whether its owner was told it is overdue.
- ``Appeal``: staff asking that a mistaken or malicious rating be excluded; a reviewer or the
  leadership decides.
- ``CalendarDay``: holidays and adjusted workdays for years the calendar package does not know.
- ``StaffContact``, ``OfficeContact``: where an overdue rectification's SMS goes (staff accounts
  carry no phone of their own).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import Neighbourhood
from jiedao.lib.validators import mask_phone


class Level(models.IntegerChoices):
    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    FAIRLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


# Counted as satisfied in the share (满意率): 非常满意, 满意, 基本满意.
SATISFIED_LEVELS = frozenset({Level.VERY_SATISFIED, Level.SATISFIED, Level.FAIRLY_SATISFIED})
# A rating at these levels opens a rectification (差评整改).
BAD_LEVELS = frozenset({Level.DISSATISFIED, Level.VERY_DISSATISFIED})

# The five online indicators of the national platform, each scored 1–5: field → label.
INDICATORS: dict[str, object] = {
    "overall": _("整体满意度"),
    "efficiency": _("办事效率"),
    "guide_accuracy": _("办事指南精确度"),
    "convenience": _("办事便捷度"),
    "platform": _("平台操作性"),
}


class Channel(models.TextChoices):
    ONLINE = "online", _("短信链接（线上）")
    FACE_TO_FACE = "face_to_face", _("上门当面")


class Invitation(models.Model):
    service = models.CharField(_("服务"), max_length=40)
    service_label = models.CharField(_("事项名称"), max_length=100)
    case_key = models.CharField(_("办件编号"), max_length=64)
    outcome = models.CharField(_("办理结果"), max_length=100, blank=True)
    phone = models.CharField(_("手机号码"), max_length=11, blank=True)
    person_name = models.CharField(_("姓名"), max_length=100, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("经办人")
    )
    office = models.CharField(_("责任部门"), max_length=100, blank=True)
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    ended_at = models.DateTimeField(_("办结时间"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("链接有效期至"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评价邀请")
        verbose_name_plural = _("评价邀请")
        ordering = ["-ended_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["service", "case_key"], name="ratings_one_invitation_per_case")]

    def __str__(self) -> str:
        return f"{self.service_label} {self.case_key}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""


class Rating(models.Model):
    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="rating")
    level = models.PositiveSmallIntegerField(_("评价等级"), choices=Level.choices)
    overall = models.PositiveSmallIntegerField(_("整体满意度"), null=True, blank=True)
    efficiency = models.PositiveSmallIntegerField(_("办事效率"), null=True, blank=True)
    guide_accuracy = models.PositiveSmallIntegerField(_("办事指南精确度"), null=True, blank=True)
    convenience = models.PositiveSmallIntegerField(_("办事便捷度"), null=True, blank=True)
    platform = models.PositiveSmallIntegerField(_("平台操作性"), null=True, blank=True)
    comment = models.TextField(_("意见和建议"), blank=True)
    channel = models.CharField(_("评价渠道"), max_length=16, choices=Channel.choices)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("当面记录人")
    )
    rated_at = models.DateTimeField(_("评价时间"))
    # An upheld appeal: kept for the record, left out of every figure and export total.
    excluded = models.BooleanField(_("不计入统计"), default=False)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        ordering = ["-rated_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="ratings_level_1_to_5"),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 1, f"{name}__lte": 5}),
                    name=f"ratings_{name}_1_to_5",
                )
                for name in INDICATORS
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invitation} · {self.get_level_display()}"

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS

    def indicator_values(self) -> list[tuple[object, int | None]]:
        return [(label, getattr(self, name)) for name, label in INDICATORS.items()]


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    ANSWERED = "answered", _("已答复")


class Rectification(models.Model):
    rating = models.OneToOneField(Rating, on_delete=models.CASCADE, related_name="rectification")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("责任人")
    )
    office = models.CharField(_("责任部门"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=RectificationStatus.choices, default=RectificationStatus.OPEN)
    opened_at = models.DateTimeField(_("开始时间"))
    due_on = models.DateField(_("整改期限"))
    # The due date's year was not on the official calendar when it was computed: Monday–Friday
    # was assumed, and staff are warned to check it.
    due_year_unknown = models.BooleanField(_("期限所在年份节假日未知"), default=False)
    called_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    call_outcome = models.TextField(_("回访情况"), blank=True)
    answer = models.TextField(_("整改情况"), blank=True, help_text=_("答复评价人的内容，会以短信发给评价人。"))
    answered_at = models.DateTimeField(_("整改时间"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("差评整改")
        verbose_name_plural = _("差评整改")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return str(self.rating.invitation)

    def is_overdue(self, today) -> bool:
        return self.status == RectificationStatus.OPEN and self.due_on < today


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    UPHELD = "upheld", _("申诉成立（不计入统计）")
    DISMISSED = "dismissed", _("申诉不成立")


class Appeal(models.Model):
    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="appeals")
    reason = models.TextField(_("申诉理由"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("申诉时间"))
    status = models.CharField(_("状态"), max_length=16, choices=AppealStatus.choices, default=AppealStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_note = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("评价申诉")
        verbose_name_plural = _("评价申诉")
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rating"], condition=Q(status="pending"), name="ratings_one_pending_appeal_per_rating"
            )
        ]


class CalendarDay(models.Model):
    date = models.DateField(_("日期"), unique=True)
    workday = models.BooleanField(
        _("是工作日"), help_text=_("勾选：这天上班（调休的周末）；不勾选：这天放假。")
    )
    note = models.CharField(_("说明"), max_length=100, blank=True, help_text=_("例如：春节、国庆节调休上班"))

    class Meta:
        verbose_name = _("节假日和调休")
        verbose_name_plural = _("节假日和调休（日历包尚未收录的年份）")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.note}"


class StaffContact(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("工作人员"))
    phone = models.CharField(_("手机号码"), max_length=11)

    class Meta:
        verbose_name = _("工作人员手机（整改提醒）")
        verbose_name_plural = _("工作人员手机（整改提醒）")


class OfficeContact(models.Model):
    office = models.CharField(_("部门"), max_length=100, unique=True)
    phone = models.CharField(_("手机号码"), max_length=11)

    class Meta:
        verbose_name = _("部门手机（整改提醒）")
        verbose_name_plural = _("部门手机（整改提醒）")
