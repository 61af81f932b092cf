"""The public frame's shared pieces (stylesheet links, site name, footer) are rendered once per
language and kept; each language still gets its own, and a service registered later is listed."""

import pytest

from jiedao.lib.frame_parts import frame_parts_forget
from jiedao.lib.public_links import _PUBLIC_LINKS, public_link_register

pytestmark = pytest.mark.django_db


def footer(page: str) -> str:
    return page[page.index('<footer class="site-footer">') : page.index("</footer>")]


def test_each_language_gets_its_own_frame_and_it_stays_the_same(client):
    frame_parts_forget()
    chinese = client.get("/status/").content.decode()
    english = client.get("/en/status/").content.decode()
    assert "查询办理进度" in footer(chinese) and 'href="/status/"' in footer(chinese)
    assert "Check progress" in footer(english) and 'href="/en/status/"' in footer(english)
    assert 'href="/en/"' in english.split("</header>")[0]  # the site's name leads home in English
    again = client.get("/status/").content.decode()
    assert footer(again) == footer(chinese)
    assert '<link rel="stylesheet" href="/static/' in again


def test_a_service_registered_after_the_first_page_is_in_every_footer_from_then_on(client):
    client.get("/status/")
    registered = list(_PUBLIC_LINKS)
    try:
        public_link_register("intake:large_text", "新服务")
        assert "新服务" in footer(client.get("/status/").content.decode())
    finally:  # the other tests of this process see the services as registered at start-up
        _PUBLIC_LINKS[:] = registered
        frame_parts_forget()
