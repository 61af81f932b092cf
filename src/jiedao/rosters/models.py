"""Duty rosters (值守排班): posts that need people at set hours, and the volunteers who cover them.

A post (岗点) is a compound gate, a rubbish room or a street section of a neighbourhood, with the
headcount each shift needs. Shift patterns recur (07:00–11:00 every day, weekends only, …) and
are turned into dated shifts for a period, holidays left out. Volunteers (party members and
others) are people of the neighbourhood, kept once with their phone; each has a private link
(``token``) to their own page: the shifts they took, the open ones, swaps, a calendar feed. An
assignment is one volunteer on one shift, with its check-in and check-out.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import Neighbourhood
from jiedao.lib.links import short_token
from jiedao.lib.validators import mask_phone


class PostKind(models.TextChoices):
    GATE = "gate", _("小区门岗")
    RUBBISH = "rubbish", _("垃圾箱房")
    STREET = "street", _("街面")
    OTHER = "other", _("其他岗点")


class Post(models.Model):
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.PROTECT, related_name="posts", verbose_name=_("居民区"))
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("岗点名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=PostKind.choices, default=PostKind.GATE)
    headcount = models.PositiveSmallIntegerField(_("每班人数"), default=2)
    organiser_phone = models.CharField(
        _("排班负责人手机"), max_length=11, blank=True, help_text=_("班次缺人时，提前48小时短信提醒这个号码。")
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("岗点")
        verbose_name_plural = _("岗点")
        ordering = ["neighbourhood_id", "name"]

    def __str__(self) -> str:
        return self.name


class Shift(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    headcount = models.PositiveSmallIntegerField(_("需要人数"))
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # When the post's organiser was told the shift is still short (48 hours ahead), once.
    short_alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("班次")
        verbose_name_plural = _("班次")
        ordering = ["starts_at", "post_id"]
        constraints = [models.UniqueConstraint(fields=["post", "starts_at"], name="one_shift_per_post_and_start")]
        indexes = [models.Index(fields=["starts_at", "post"], name="shift_time_idx")]

    def __str__(self) -> str:
        return f"{self.post.name} {timezone.localtime(self.starts_at):%m-%d %H:%M}"




class Volunteer(models.Model):
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.PROTECT, related_name="volunteers", verbose_name=_("居民区"))
    name = models.CharField(_("姓名"), max_length=100)
    phone = models.CharField(_("手机号码"), max_length=11)
    party_member = models.BooleanField(_("党员"), default=False)
    # The private link of the volunteer's own page (sent by SMS): no account, no password.
    token = models.CharField(max_length=16, unique=True, default=short_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        ordering = ["neighbourhood_id", "name"]
        constraints = [models.UniqueConstraint(fields=["neighbourhood", "phone"], name="one_volunteer_per_phone")]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Assignment(models.Model):
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="assignments")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="assignments")
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Offered for a swap: anyone of the neighbourhood may take it over until it starts.
    offered_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("值守安排")
        verbose_name_plural = _("值守安排")
        ordering = ["shift__starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "volunteer"], condition=Q(cancelled_at__isnull=True), name="one_assignment_per_shift"
            )
        ]
