"""Community news: an office's staff write and submit, an editor publishes; the public list, an
article with its photos and captions and the office in brackets, the Atom feed, and the month's
printable issue (期) in the newsletter's layout."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from jiedao.core.models import AuditEntry, Role
from jiedao.news import services
from jiedao.news.models import Article, ArticleStatus
from tests.conftest import next_url, sign_in
from tests.factories import ArticleFactory, make_staff


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 50), (30, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def _article_form(**overrides):
    data = {
        "title": "战疫情 想周到 助力企业复工复产",
        "subtitle": "",
        "dated": timezone.localdate().isoformat(),
        "office": "党群工作办",
        "body": "街道总工会走访慰问复工企业。\n\n为近30家单独建会企业提供口罩、免洗洗手液、消毒片剂等防疫物资。",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_an_office_writes_and_submits_and_the_editor_publishes(client, programme):
    writer = make_staff("dangqun", Role.WORKER, ["yongtai"])
    sign_in(client, writer)
    url = next_url(client.post("/staff/news/new/", _article_form()))
    article = Article.objects.get()
    assert url == f"/staff/news/{article.pk}/" and article.status == ArticleStatus.DRAFT and article.author == writer
    client.post(url, {"image": SimpleUploadedFile("企业.jpg", jpeg()), "caption": "街道总工会为企业送去防疫物资"})
    refused = client.post(url, {"image": SimpleUploadedFile("x.pdf", b"%PDF-1.4 x"), "caption": "不是照片"})
    assert "这里只能上传照片" in refused.content.decode()
    assert [p.caption for p in article.photos.all()] == ["街道总工会为企业送去防疫物资"]
    assert client.get(f"/news/{article.pk}/").status_code == 404  # not public yet

    client.post(f"{url}submit/")
    article.refresh_from_db()
    assert article.status == ArticleStatus.SUBMITTED
    client.post(f"{url}publish/")  # a writer cannot publish
    article.refresh_from_db()
    assert article.status == ArticleStatus.SUBMITTED

    editor = make_staff("editor", Role.REVIEWER)
    editor.user_permissions.add(Permission.objects.get(codename="publish_article"))
    sign_in(client, editor)
    assert "战疫情 想周到" in client.get("/staff/news/").content.decode()
    client.post(f"{url}publish/")
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED and article.published_by == editor
    assert AuditEntry.objects.filter(action=services.AUDIT_PUBLISH).exists()

    page = client.get(f"/news/{article.pk}/").content.decode()
    assert "战疫情 想周到 助力企业复工复产" in page and "（党群工作办）" in page
    photo = article.photos.get()
    assert f'src="/news/photos/{photo.pk}/"' in page and "<figcaption>街道总工会为企业送去防疫物资</figcaption>" in page
    assert client.get(f"/news/photos/{photo.pk}/").status_code == 200


@pytest.mark.django_db
def test_a_writer_sees_only_her_own_articles(client, programme):
    ArticleFactory(title="别人的文章", status=ArticleStatus.DRAFT)
    sign_in(client, make_staff("w", Role.WORKER, ["yongtai"]))
    assert "别人的文章" not in client.get("/staff/news/").content.decode()


@pytest.mark.django_db
def test_the_public_list_and_the_atom_feed_show_published_articles_only(client):
    ArticleFactory(title="为爱举手 热血助力", office="社区发展办")
    ArticleFactory(title="还没发布的文章", status=ArticleStatus.SUBMITTED)
    page = client.get("/news/").content.decode()
    assert "为爱举手 热血助力" in page and "还没发布的文章" not in page
    feed = client.get("/news/feed/")
    assert feed["Content-Type"].startswith("application/atom+xml")
    body = feed.content.decode()
    assert "<feed" in body and "为爱举手 热血助力" in body and "还没发布的文章" not in body and "社区发展办" in body


@pytest.mark.django_db
def test_the_printable_issue_gathers_the_month_in_the_newsletters_layout(client):
    ArticleFactory(title="党心如初 使命在肩", dated=dt.date(2020, 4, 1))
    ArticleFactory(title="疫情期间不“打烊” 线上申请帮侬忙", office="街道旧改办", dated=dt.date(2020, 4, 3))
    ArticleFactory(title="三月的文章", dated=dt.date(2020, 3, 20))
    ArticleFactory(title="五月没发布的", dated=dt.date(2020, 5, 2), status=ArticleStatus.DRAFT)
    page = client.get("/news/issue/2020-4/").content.decode()
    assert "2020年第2期（4月）" in page
    assert page.index("党心如初") < page.index("线上申请帮侬忙") and "三月的文章" not in page
    assert "（街道旧改办）" in page and 'class="newsletter"' in page
    assert "2020年第1期（3月）" in client.get("/news/issue/2020-03/").content.decode()
    assert client.get("/news/issue/2020-05/").status_code == 404
    assert client.get("/news/issue/2020-13/").status_code == 404
    assert "/news/issue/2020-4/" in client.get("/news/").content.decode()
