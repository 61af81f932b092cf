"""Community news (社区要闻): the subdistrict's newsletter, online and printable.

An article has a title, its date, a body, photos with captions and the office that wrote it (the
newsletter closes each article with it: "（社区党建办）"). Staff of the offices write and submit;
an editor publishes (``services``). The articles of a month make one issue (期) of the printed
newsletter (``selectors.issue``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    PUBLISHED = "published", _("已发布")


class Article(models.Model):
    title = models.CharField(_("标题"), max_length=120)
    subtitle = models.CharField(_("副标题"), max_length=160, blank=True)
    dated = models.DateField(_("日期"), default=timezone.localdate)
    office = models.CharField(_("撰稿部门"), max_length=40, help_text=_("例如：社区党建办、街道旧改办、社区自治办。"))
    body = models.TextField(_("正文"), help_text=_("空一行分段。"))
    status = models.CharField(_("状态"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("社区要闻")
        verbose_name_plural = _("社区要闻")
        ordering = ["-dated", "-pk"]
        permissions = [("publish_article", _("可以发布社区要闻（编辑）"))]
        indexes = [models.Index(fields=["status", "dated"], name="article_public_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.replace("\r\n", "\n").split("\n") if p.strip()]


class ArticlePhoto(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(max_length=200)
    caption = models.CharField(_("图片说明"), max_length=120)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("图片")
        verbose_name_plural = _("图片")
        ordering = ["order", "pk"]
