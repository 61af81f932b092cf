"""Activities people sign up for: party days (主题党日), volunteering, the blood drive (献血).

An activity belongs to an organiser's neighbourhood (or to the whole subdistrict: no
neighbourhood), which is what scopes its staff pages as the subsidy's cases are scoped. It may be
split into groups (the "6 groups" of 24 March, each with a task, a place and a leader). A sign-up
is a person (name, mobile, branch or unit) for an activity, optionally a group: confirmed while
places last, waitlisted after, cancelled by the person from the link in their SMS. Attendance is
the time the person was ticked or checked in.

The blood drive's screening answers are sensitive (health): kept encrypted, with their own
consent, never in an SMS, and removed once the drive is over (``services.screening_forget``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import Neighbourhood
from jiedao.lib.crypto import EncryptedJSONField
from jiedao.lib.links import short_token
from jiedao.lib.validators import mask_phone


class Kind(models.TextChoices):
    PARTY_DAY = "party_day", _("主题党日")
    VOLUNTEER = "volunteer", _("志愿服务")
    BLOOD = "blood", _("献血")
    OTHER = "other", _("其他活动")


class Audience(models.TextChoices):
    RESIDENTS = "residents", _("居民")
    PARTY_MEMBERS = "party_members", _("党员")
    STAFF = "staff", _("机关和社区工作人员")


class Activity(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True, help_text=_("网址里用的代码，例如 2026-03-23-zjxc。"))
    title = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.VOLUNTEER)
    description = models.TextField(_("说明"), blank=True)
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("组织的居民区"),
        help_text=_("留空表示由街道组织。"),
    )  # fmt: skip
    organiser = models.CharField(_("组织方"), max_length=100, help_text=_("例如：芷江新村居民区党总支"))
    place = models.CharField(_("地点"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("名额"), help_text=_("报满后的报名进入候补名单。"))
    # How many are on the waitlist now, for the position in a new waiter's SMS: kept under the
    # activity's lock by the services that put people on it and take them off (sign-up, cancel,
    # promotion), because counting the waitlist there cost more than the rest of a sign-up once
    # thousands were waiting. Pages count the rows themselves.
    waitlist_length = models.PositiveIntegerField(default=0, editable=False)
    audience = models.CharField(_("谁可以报名"), max_length=16, choices=Audience.choices, default=Audience.RESIDENTS)
    unit_label = models.CharField(
        _("单位一栏的名称"), max_length=40, blank=True, help_text=_("例如“所在党支部”；留空则不问。")
    )
    units = models.TextField(
        _("只限这些单位或党支部"),
        blank=True,
        help_text=_("每行一个。填了，报名时只能从中选择（例如只请这几个党支部的党员）；留空则自己填写。"),
    )
    # The organiser's own words in the SMS: the texts themselves are the provider-approved templates
    # (notices.templates), so an activity adds one sentence to them rather than writing its own.
    sms_note = models.CharField(
        _("短信附言"),
        max_length=30,
        blank=True,
        help_text=_("加在报名成功、候补转正和活动前一天提醒短信里的一句话，例如“请带好党员证”。不要写网址、电话号码或个人信息。"),
    )
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["-starts_at", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def is_open(self, now=None) -> bool:
        """Sign-ups are taken until the activity starts, unless it was cancelled."""
        return not self.is_cancelled and (now or timezone.now()) < self.starts_at

    @property
    def unit_choices(self) -> list[str]:
        return [line.strip() for line in self.units.splitlines() if line.strip()]

    @property
    def starts_text(self) -> str:
        """When it starts, as an SMS says it: 3月23日09:00."""
        start = timezone.localtime(self.starts_at)
        return f"{start.month}月{start.day}日{start:%H:%M}"

    @property
    def sms_note_sentence(self) -> str:
        """The note as it reads inside an SMS: a sentence of its own, or nothing."""
        note = self.sms_note.strip()
        if note and note[-1] not in "。！？!?.":
            note += "。"
        return note

    @property
    def screens_donors(self) -> bool:
        return self.kind == Kind.BLOOD


class ActivityGroup(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("小组名称"), max_length=60)
    task = models.CharField(_("任务"), max_length=200, blank=True)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    leader = models.CharField(_("组长"), max_length=60, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("活动小组")
        verbose_name_plural = _("活动小组")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class SignupStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("已报名")
    WAITLISTED = "waitlisted", _("候补")
    CANCELLED = "cancelled", _("已取消")


ACTIVE_SIGNUP = (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)




class Signup(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups")
    group = models.ForeignKey(ActivityGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="signups")
    name = models.CharField(_("姓名"), max_length=100)
    phone = models.CharField(_("手机号码"), max_length=11)
    unit = models.CharField(_("单位或党支部"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=SignupStatus.choices)
    # What the link in the person's SMS carries: their sign-up, to cancel or change it.
    token = models.CharField(max_length=16, unique=True, default=short_token, editable=False)
    channel = models.CharField(max_length=16, default="online", editable=False)  # online, staff, partner
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    attended_at = models.DateTimeField(_("到场时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        ordering = ["created_at", "id"]
        constraints = [
            # One active sign-up per phone per activity, even for two taps at once.
            models.UniqueConstraint(
                fields=["activity", "phone"], condition=Q(status__in=ACTIVE_SIGNUP), name="one_signup_per_phone"
            )
        ]
        indexes = [
            models.Index(fields=["activity", "status", "created_at"], name="signup_queue_idx"),
            # Check-in at the venue finds a person's sign-up by phone.
            models.Index(fields=["activity", "phone"], name="signup_phone_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.activity.code} · {self.masked_phone}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def reference(self) -> str:
        """How staff and the SMS outbox name this sign-up."""
        return f"{self.activity.code}#{self.pk}"


class DonorScreening(models.Model):
    """A blood-drive sign-up's answers (age, weight, recent illness, last donation): health data,
    so encrypted, with its own consent, never in an SMS, and deleted once the drive is over."""

    signup = models.OneToOneField(Signup, on_delete=models.CASCADE, related_name="screening")
    answers = EncryptedJSONField(default=dict)
    sensitive_consent_at = models.DateTimeField()

    SEALED_FIELDS = ("answers",)

    def reseal(self) -> bool:
        return True  # the field encrypts with the current key on save
