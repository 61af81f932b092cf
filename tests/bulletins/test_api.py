"""The partner API's read of public notices and news: what a partner platform may show."""

import pytest

from tests.api.conftest import issue
from tests.factories import ArticleFactory, BulletinFactory


@pytest.mark.django_db
def test_a_partner_lists_the_current_notices_and_the_news(client, programme):
    partner = issue("yiwangtongban", "partner")
    bulletin = BulletinFactory()
    BulletinFactory(status="draft", title="草稿")
    ArticleFactory(title="为爱举手 热血助力")
    [listed] = client.get("/api/v1/bulletins", **partner.headers).json()
    assert listed["title"] == bulletin.title and listed["days_left"] == 3
    assert listed["url"].endswith(f"/notices/{bulletin.pk}/")
    [article] = client.get("/api/v1/news", **partner.headers).json()
    assert article["title"] == "为爱举手 热血助力" and article["office"] == "社区党建办"
    assert client.get("/api/v1/bulletins").status_code == 401
