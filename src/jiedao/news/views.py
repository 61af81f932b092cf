"""Community news pages: the public list, an article, the Atom feed (``feeds.py``), a month's
printable issue (期) in the newsletter's layout, photos; the staff's write, submit and publish.
Thin: the rules are ``services``', the reads ``selectors``'."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiedao.core.audit import client_ip
from jiedao.core.staff import staff_context, staff_required
from jiedao.lib.errors import DomainError, ValidationFailed
from jiedao.lib.http import no_store

from . import selectors, services
from .forms import OFFICES, ArticleForm, PhotoForm
from .models import ArticlePhoto, ArticleStatus


def _add_errors(form, failed: ValidationFailed) -> None:
    for field, errors in failed.errors.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


# --- public --------------------------------------------------------------------------------------


def public_list(request):
    articles = selectors.published().order_by("-dated", "-pk")[:40]
    return render(request, "news/list.html", {"articles": articles, "months": selectors.issue_months()})


def public_detail(request, pk):
    article = get_object_or_404(selectors.published(), pk=pk)
    return render(request, "news/detail.html", {"article": article})


def issue_page(request, year, month):
    try:
        first = dt.date(year, month, 1)
    except ValueError:
        raise Http404 from None
    issue = selectors.issue(first)
    if issue is None:
        raise Http404
    return render(request, "news/issue.html", {"issue": issue})


def photo_file(request, photo_id):
    photo = get_object_or_404(ArticlePhoto.objects.select_related("article"), pk=photo_id)
    if photo.article.status != ArticleStatus.PUBLISHED and not services.may_write(request.user):
        raise Http404
    response = FileResponse(default_storage.open(photo.image.name), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- staff ---------------------------------------------------------------------------------------


def _article(user, pk):
    article = selectors.articles_for_staff(user).filter(pk=pk).first()
    if article is None:
        raise Http404
    return article


@staff_required
def staff_list(request):
    return no_store(
        render(
            request,
            "news/staff_list.html",
            {
                "articles": selectors.articles_for_staff(request.user)[:200],
                "may_write": services.may_write(request.user),
                "may_publish": services.may_publish(request.user),
                **staff_context(request),
            },
        )
    )


@staff_required
def staff_edit(request, pk=None):
    if not services.may_write(request.user):
        raise Http404
    article = _article(request.user, pk) if pk else None
    initial = {"dated": timezone.localdate()}
    if article is not None:
        initial = {name: getattr(article, name) for name in ("title", "subtitle", "dated", "office", "body")}
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            article = services.article_save(author=request.user, fields=form.cleaned_data, article=article)
        except ValidationFailed as failed:
            _add_errors(form, failed)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("文章已保存。"))
            return redirect("news_staff:detail", pk=article.pk)
    return no_store(
        render(request, "news/staff_edit.html", {"form": form, "article": article, "offices": OFFICES, **staff_context(request)})
    )


@staff_required
def staff_detail(request, pk):
    article = _article(request.user, pk)
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.photo_add(article=article, upload=form.cleaned_data["image"], caption=form.cleaned_data["caption"])
        except ValidationFailed as failed:
            _add_errors(form, failed)
        except DomainError as error:
            form.add_error("image", error.message)
        else:
            messages.success(request, _("图片已添加。"))
            return redirect("news_staff:detail", pk=pk)
    return no_store(
        render(
            request,
            "news/staff_detail.html",
            {"article": article, "form": form, "may_publish": services.may_publish(request.user), **staff_context(request)},
        )
    )


@staff_required
@require_POST
def staff_action(request, pk, action):
    article = _article(request.user, pk)
    try:
        if action == "submit":
            services.article_submit(article=article, actor=request.user)
            messages.success(request, _("已提交，等编辑审核发布。"))
        elif action == "publish":
            services.article_publish(article=article, actor=request.user, ip=client_ip(request))
            messages.success(request, _("文章已发布。"))
        elif action == "return":
            services.article_return(article=article, actor=request.user, ip=client_ip(request))
            messages.success(request, _("文章已退回给撰稿人。"))
        else:
            raise Http404
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("news_staff:detail", pk=pk)
