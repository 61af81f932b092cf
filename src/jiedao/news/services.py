"""The writes of community news: writing, photos, submitting, publishing.

An office's staff write an article and submit it; an editor (an administrator, or anyone given
the ``news.publish_article`` permission in the admin) publishes it or sends it back. A published
article is not edited by its writer any more: what the public read stays.
"""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.core.audit import audit_record
from jiedao.core.models import Role
from jiedao.core.staff import staff_role
from jiedao.lib.errors import DomainError, ValidationFailed
from jiedao.lib.uploads import check_public_file

from .models import Article, ArticlePhoto, ArticleStatus

AUDIT_PUBLISH = "article_publish"
AUDIT_RETURN = "article_return"

WRITERS = frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN})
PHOTOS_PER_ARTICLE = 8


class ArticleNotEditable(DomainError):
    code = "article_not_editable"


def may_write(user) -> bool:
    return staff_role(user) in WRITERS or may_publish(user)


def may_publish(user) -> bool:
    return staff_role(user) == Role.ADMIN or (staff_role(user) is not None and user.has_perm("news.publish_article"))


def article_save(*, author, fields: dict, article: Article | None = None) -> Article:
    errors = {}
    for name, message in (("title", _("请填写标题。")), ("office", _("请填写撰稿部门。")), ("body", _("请填写正文。"))):
        if not (fields.get(name) or "").strip():
            errors[name] = [message]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        if article is None:
            article = Article(author=author)
        else:
            article = Article.objects.select_for_update().get(pk=article.pk)
            if article.status == ArticleStatus.PUBLISHED and not may_publish(author):
                raise ArticleNotEditable(_("文章已经发布，只有编辑可以修改。"))
        for name in ("title", "subtitle", "dated", "office", "body"):
            if name in fields:
                setattr(article, name, (fields[name].strip() if isinstance(fields[name], str) else fields[name]))
        article.save()
    return article


def photo_add(*, article: Article, upload, caption: str) -> ArticlePhoto:
    caption = (caption or "").strip()
    if not caption:
        raise ValidationFailed({"caption": [_("请写一句图片说明。")]})
    if article.photos.count() >= PHOTOS_PER_ARTICLE:
        raise ArticleNotEditable(_("一篇文章最多%(count)d张图片。") % {"count": PHOTOS_PER_ARTICLE})
    checked = check_public_file(upload, allow_pdf=False)
    path = default_storage.save(f"news/{uuid.uuid4().hex}.jpg", ContentFile(checked.content))
    try:
        return ArticlePhoto.objects.create(article=article, image=path, caption=caption[:120], order=article.photos.count())
    except Exception:
        default_storage.delete(path)
        raise


def article_submit(*, article: Article, actor, now=None) -> Article:
    if article.status != ArticleStatus.DRAFT:
        raise ArticleNotEditable(_("这篇文章已经提交过了。"))
    Article.objects.filter(pk=article.pk).update(status=ArticleStatus.SUBMITTED, submitted_at=now or timezone.now())
    article.refresh_from_db()
    return article


def article_publish(*, article: Article, actor, ip: str | None = None, now=None) -> Article:
    if not may_publish(actor):
        raise ArticleNotEditable(_("只有编辑可以发布文章。"))
    if article.status == ArticleStatus.PUBLISHED:
        raise ArticleNotEditable(_("这篇文章已经发布了。"))
    with transaction.atomic():
        Article.objects.filter(pk=article.pk).update(
            status=ArticleStatus.PUBLISHED, published_at=now or timezone.now(), published_by=actor
        )
        audit_record(actor=actor, action=AUDIT_PUBLISH, reference=f"XW-{article.pk}", ip=ip)
    article.refresh_from_db()
    return article


def article_return(*, article: Article, actor, ip: str | None = None) -> Article:
    """The editor sends a submitted (or published) article back to its writer as a draft."""
    if not may_publish(actor):
        raise ArticleNotEditable(_("只有编辑可以退回文章。"))
    with transaction.atomic():
        Article.objects.filter(pk=article.pk).update(status=ArticleStatus.DRAFT, published_at=None, published_by=None)
        audit_record(actor=actor, action=AUDIT_RETURN, reference=f"XW-{article.pk}", ip=ip)
    article.refresh_from_db()
    return article
