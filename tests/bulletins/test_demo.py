"""The demo's notices and news come from the newsletter: the elevator project's commitments, the
subsidy's approved list (masked), a past notice with its answered objection, and the five
articles of spring 2020 as one printable issue; loading twice duplicates nothing."""

import pytest
from django.core.management import call_command

from jiedao.bulletins.models import Bulletin, Objection
from jiedao.news.models import Article, ArticlePhoto


@pytest.mark.django_db
def test_the_demo_posts_the_newsletters_notices_and_articles_once(client, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("demo", "load")
    call_command("demo", "load")
    titles = set(Bulletin.objects.values_list("title", flat=True))
    assert "光机小区加装电梯施工管理承诺书公示" in titles
    results = Bulletin.objects.get(kind="list")
    assert results.list_rows and all("*" in row["cells"][0] for row in results.list_rows)
    assert Objection.objects.count() == 1 and Bulletin.objects.count() == 3
    page = client.get("/notices/").content.decode()
    assert "加装电梯施工管理承诺书" in page and "公示期还有 3 天" in page and "往期公示" in page

    assert Article.objects.count() == 5 and ArticlePhoto.objects.count() == 2
    assert set(Article.objects.values_list("office", flat=True)) == {"社区党建办", "党群工作办", "街道旧改办", "社区自治办", "社区发展办"}
    issue = client.get("/news/issue/2020-4/").content.decode()
    assert "疫情期间不“打烊” 线上申请帮依忙" in issue and "光机小区加装电梯工程复工场景" in issue and "（街道旧改办）" in issue
