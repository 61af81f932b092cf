"""The Content-Security-Policy blocks nothing the site itself needs, in real headless Chromium.

The headers themselves are checked in tests/core/test_headers.py; here the browser runs the pages
under them and reports anything it refused (a script, a style, an image, a connection).
"""

import pytest

from tests.conftest import photo_bytes
from tests.factories import hardship_programme, valid_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_policy_blocks_nothing_the_site_needs_in_the_browser(live_server, browser, tmp_path):
    # Chromium reports every blocked script, style, image or connection on the console; the
    # photo preview (a blob: image), the step meter (SVG) and the API docs (Swagger UI) included.
    hardship_programme()
    photo = tmp_path / "front.jpg"
    photo.write_bytes(photo_bytes("id_front", seed=1))
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    reports = []
    page.on("console", lambda message: reports.append(message.text))
    try:
        for path in ["/", "/en/", "/status/", "/staff/login/"]:
            page.goto(live_server.url + path)
        page.goto(live_server.url + "/api/v1/docs")
        page.wait_for_selector("#swagger-ui .opblock")  # Swagger UI ran and drew the operations
        page.goto(live_server.url + "/programmes/JGBK/")
        page.get_by_role("button", name="开始申请").click()
        page.get_by_text("为我自己申请").click()
        page.get_by_role("button", name="下一步").click()
        page.get_by_label("申请人姓名").fill("张志远")
        page.get_by_label("申请人身份证号码").fill(valid_id_number("19500101", 123))
        page.get_by_label("申请人手机号码").fill("13812345678")
        page.get_by_role("button", name="下一步").click()
        page.get_by_text("芷江新村").click()
        page.get_by_text("育群中学西块").click()
        page.get_by_label("路名").fill("中兴路")
        page.get_by_label("号", exact=True).fill("7")
        page.get_by_role("button", name="下一步").click()
        page.get_by_text("残疾人").click()
        page.get_by_role("button", name="下一步").click()
        page.wait_for_url("**/step/doc-*/")
        assert page.locator("svg.meter rect").bounding_box()["width"] > 0
        page.locator("#id_page_1").set_input_files(str(photo))
        preview = page.locator('[data-chosen-for="id_page_1"] img')
        preview.wait_for(state="attached")
        page.wait_for_function("img => img.complete", arg=preview.element_handle())  # loaded or refused
        preview_width = preview.evaluate("img => img.naturalWidth")
    finally:
        context.close()
    blocked = [text for text in reports if "Content Security Policy" in text]
    assert blocked == []
    assert preview_width > 0
