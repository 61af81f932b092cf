"""The 404 page on a phone (issue 12.7): in the site's frame, nothing wider than the screen at
320 and 390 px in both text sizes, big enough buttons, and the 长辈版 button works, with or
without JavaScript; the staff 404 in the back office's frame on a desktop."""

import pytest

from jiedao.ops.demo import load_places, load_staff
from tests.e2e.test_back_office_in_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("javascript", [True, False])
def test_the_404_page_fits_a_small_phone_and_its_large_text_button_works(live_server, browser, screenshot, javascript):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", java_script_enabled=javascript)
    page = context.new_page()
    try:
        for prefix in ("", "/en"):
            response = page.goto(f"{live_server.url}{prefix}/no-such-page/")
            assert response.status == 404
            for width in (320, 390):
                page.set_viewport_size({"width": width, "height": 844})
                assert page.evaluate("document.documentElement.scrollWidth") <= width
            home = page.locator("main a.button").first
            assert home.bounding_box()["height"] >= 44
            page.locator("button[name=on][value='1']").click()
            page.wait_for_load_state()
            assert page.url == f"{live_server.url}{prefix}/no-such-page/"
            assert "large-text" in (page.locator("html").get_attribute("class") or "")
            for width in (320, 390):
                page.set_viewport_size({"width": width, "height": 844})
                assert page.evaluate("document.documentElement.scrollWidth") <= width
            if javascript:
                screenshot(page, f"404-large-text{prefix.replace('/', '-') or '-zh'}")
            page.locator("button[name=on][value='0']").click()
            page.wait_for_load_state()
    finally:
        context.close()


def test_a_staff_404_is_in_the_back_office_frame_on_a_desktop(live_server, browser, settings, tmp_path, screenshot):
    settings.DATA_DIR = tmp_path
    load_places()
    logins = load_staff()
    page = sign_in(browser, live_server, "reviewer", logins["reviewer"], {"width": 1280, "height": 900})
    try:
        response = page.goto(live_server.url + "/staff/no-such-page/")
        assert response.status == 404
        assert page.locator(".staff-nav").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        screenshot(page, "404-staff")
        page.get_by_role("link", name="回到申请队列").click()
        page.wait_for_url(live_server.url + "/staff/")
    finally:
        page.context.close()
