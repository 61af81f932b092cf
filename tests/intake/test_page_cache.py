"""The home page is served from the cache, per language and text size, and shows an edit at once."""

import pytest
from django.core.cache import cache

from jiedao.intake.models import Programme


@pytest.fixture(autouse=True)
def empty_cache(db):
    cache.clear()
    yield
    cache.clear()


def test_the_home_page_shows_a_programme_edit_at_once(client, programme, django_capture_on_commit_callbacks):
    first = client.get("/").content.decode()
    assert programme.display_name in first
    programme.name = "旧改特殊对象帮困补助（第二批）"
    with django_capture_on_commit_callbacks(execute=True):  # the admin's save, committed
        programme.save()
    programme.refresh_from_db()
    assert programme.display_name in client.get("/").content.decode()


def test_a_second_visitor_gets_the_same_page_without_a_query(client, programme, django_assert_max_num_queries):
    first = client.get("/")
    with django_assert_max_num_queries(1):  # the cache's own read (the database cache table)
        second = client.get("/")
    assert second.content == first.content


def test_languages_and_text_sizes_are_cached_apart(client, programme):
    chinese = client.get("/").content.decode()
    english = client.get("/en/").content.decode()
    client.cookies["jiedao_large_text"] = "1"
    large = client.get("/").content.decode()
    assert 'lang="zh-CN"' in chinese and 'lang="en"' in english
    assert 'class="large-text"' in large and 'class="large-text"' not in chinese
    assert "标准版" in large and "长辈版 大字" in chinese


def test_a_cached_page_carries_nothing_of_one_visitor(client, programme):
    client.get("/")
    response = client.get("/")
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert not response.cookies
    assert "Set-Cookie" not in response.headers


def test_a_visitor_with_a_session_gets_a_fresh_page(client, programme):
    client.get("/")
    Programme.objects.filter(pk=programme.pk).update(name="改名但没有通过模型保存")  # no signal: the cache is stale
    assert "改名但没有通过模型保存" not in client.get("/").content.decode()
    client.cookies["sessionid"] = "x"
    assert "改名但没有通过模型保存" in client.get("/").content.decode()
