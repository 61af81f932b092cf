"""Public notices (公示) and the objections to them.

A notice (``Bulletin``; the name ``notices`` is the SMS outbox's) is posted for a period: its
start and end dates are the objection period. It concerns neighbourhoods or blocks, names the
office responsible and its phone, and is either free text or a list made from a service's data
(``lib.public_lists``): the list is taken once, at publication, checked cell by cell, and kept as
it was shown (``list_rows``), so the notice says for good what the public saw.

An objection (``Objection``, 异议) is a case for the office: it has a due date and is answered in
writing; the objector gets the answer by SMS. An objection may name a row of a list (``person_key``,
the row's key, never shown): while it is open, that person's payment is held
(``lib.payment_holds``, registered in ``apps.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import Block, Neighbourhood
from jiedao.lib.links import short_token
from jiedao.lib.validators import mask_phone


class BulletinKind(models.TextChoices):
    TEXT = "text", _("文字公示")
    LIST = "list", _("名单公示（由业务数据生成）")


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤下")


class Bulletin(models.Model):
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("正文"), blank=True)
    kind = models.CharField(_("公示类型"), max_length=8, choices=BulletinKind.choices, default=BulletinKind.TEXT)
    list_source = models.CharField(_("名单来源"), max_length=40, blank=True)
    list_period = models.CharField(_("名单期间"), max_length=20, blank=True)
    list_columns = models.JSONField(default=list, blank=True, editable=False)
    # [{"key": ..., "cells": [...]}]: the list as published; the key is never shown.
    list_rows = models.JSONField(default=list, blank=True, editable=False)
    neighbourhoods = models.ManyToManyField(Neighbourhood, verbose_name=_("涉及的居民区"), blank=True, related_name="+")
    blocks = models.ManyToManyField(Block, verbose_name=_("涉及的地块"), blank=True, related_name="+")
    starts_on = models.DateField(_("公示开始日期"))
    ends_on = models.DateField(_("公示结束日期"))
    office = models.CharField(_("负责部门"), max_length=60)
    office_phone = models.CharField(_("联系电话"), max_length=20)
    sms_push = models.BooleanField(_("发布时短信通知涉及的居民"), default=False)
    pushed_at = models.DateTimeField(null=True, blank=True, editable=False)
    pushed_count = models.PositiveIntegerField(default=0, editable=False)
    status = models.CharField(_("状态"), max_length=12, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["status", "ends_on", "starts_on"], name="bulletin_public_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == BulletinStatus.PUBLISHED

    def period_open(self, today) -> bool:
        return self.is_published and self.starts_on <= today <= self.ends_on

    def days_left(self, today) -> int:
        """Days after today still in the period (0: today is the last day)."""
        return (self.ends_on - today).days


class Attachment(models.Model):
    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(max_length=200)
    name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["pk"]

    @property
    def is_photo(self) -> bool:
        return self.content_type.startswith("image/")


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("处理中")
    ANSWERED = "answered", _("已答复")


class ObjectionOutcome(models.TextChoices):
    UPHELD = "upheld", _("异议成立")
    PARTLY = "partly", _("部分成立")
    DISMISSED = "dismissed", _("异议不成立")


class Objection(models.Model):
    bulletin = models.ForeignKey(Bulletin, on_delete=models.PROTECT, related_name="objections")
    reference = models.CharField(_("异议编号"), max_length=20, unique=True)
    # The objector's own link (in the SMS): the objection's progress and the written answer.
    token = models.CharField(max_length=16, unique=True, default=short_token, editable=False)
    name = models.CharField(_("姓名"), max_length=100)
    phone = models.CharField(_("手机号码"), max_length=11)
    # The row of a list the objection is about (its key, never shown) and how the page showed it.
    person_key = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    person_label = models.CharField(_("涉及的人"), max_length=100, blank=True)
    what = models.CharField(_("对什么有异议"), max_length=200)
    why = models.TextField(_("理由"))
    photo = models.FileField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    due_on = models.DateField(_("答复期限"))
    status = models.CharField(_("状态"), max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN)
    outcome = models.CharField(_("处理结果"), max_length=10, choices=ObjectionOutcome.choices, blank=True)
    answer = models.TextField(_("书面答复"), blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "person_key"], name="objection_open_idx")]

    def __str__(self) -> str:
        return self.reference

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def overdue(self, today) -> bool:
        return self.status == ObjectionStatus.OPEN and self.due_on < today
