"""lib.page_cache: a page the same for everyone is rendered once, and never served once its owner
has forgotten it, even when it was rendered from rows that a write changed meanwhile."""

import pytest
from django.core.cache import cache
from django.http import HttpResponse

from jiedao.lib.page_cache import cached_page, shared_pages_forget


@pytest.fixture(autouse=True)
def empty_cache(db):
    cache.clear()
    yield
    cache.clear()


def visit(rf, render, **cookies):
    request = rf.get("/")
    request.COOKIES.update(cookies)
    return cached_page(request, "page", render).content.decode()


def test_a_page_is_rendered_once_and_again_after_its_owner_forgets_it(rf, django_capture_on_commit_callbacks):
    assert visit(rf, lambda: HttpResponse("first")) == "first"
    assert visit(rf, lambda: HttpResponse("second")) == "first"
    with django_capture_on_commit_callbacks(execute=True):
        shared_pages_forget(["page"])
    assert visit(rf, lambda: HttpResponse("third")) == "third"


def test_a_page_rendered_while_a_write_committed_is_not_served_again(rf, django_capture_on_commit_callbacks):
    def render_from_the_old_rows():
        with django_capture_on_commit_callbacks(execute=True):  # another process's write commits
            shared_pages_forget(["page"])
        return HttpResponse("old")

    assert visit(rf, render_from_the_old_rows) == "old"
    assert visit(rf, lambda: HttpResponse("new")) == "new"
    assert visit(rf, lambda: HttpResponse("newer")) == "new"


def test_a_visitor_with_a_session_gets_a_page_of_her_own(rf, settings):
    assert visit(rf, lambda: HttpResponse("shared")) == "shared"
    assert visit(rf, lambda: HttpResponse("hers"), **{settings.SESSION_COOKIE_NAME: "x"}) == "hers"
    assert visit(rf, lambda: HttpResponse("large"), jiedao_large_text="1") == "large"
