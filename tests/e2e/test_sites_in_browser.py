"""The construction-site gate on a 390 px phone: opened with the gate PIN, a pass typed, the answer
read; then the network cut, 20 entries recorded on the phone, the network back, and exactly 20
entries on the server. Without JavaScript the form still works. The gate, the worker's own
registration, the pass and the public page pass the public pages' audit (text ≥ 18 px, targets
≥ 44 px, contrast ≥ 4.5:1) and fit 320–390 px in both text sizes."""

import datetime as dt

import pytest
from django.utils import timezone

from jiedao.sites.models import GateEntry, Refusal
from tests.e2e.test_apply_in_browser import AUDIT_JS
from tests.factories import SiteFactory, hardship_programme, site_worker

pytestmark = pytest.mark.django_db(transaction=True)


def open_gate(page, url, site):
    page.goto(url + "/sites/gate/")
    page.get_by_label("工地代码").fill(site.code)
    page.get_by_label("门岗口令").fill(site.gate_pin)
    page.get_by_role("button", name="打开门岗").click()
    page.get_by_role("heading", name="门岗登记").wait_for()


def record(page, number, temperature="36.5"):
    page.get_by_label("出入证号").fill(number)
    page.get_by_label("体温（℃）").fill(temperature)
    page.get_by_role("button", name="登记", exact=True).click()


def test_the_gate_keeps_20_entries_through_a_network_cut_and_the_server_counts_exactly_20(live_server, browser, screenshot):
    hardship_programme()
    site = SiteFactory()
    _worker, site_pass = site_worker(site)
    _fever, fever_pass = site_worker(site, serial=2, name="李强", phone="13600000002")
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, locale="zh-CN")
    page = context.new_page()
    open_gate(page, live_server.url, site)
    problems = {"gate": page.evaluate(AUDIT_JS)}
    record(page, site_pass.display_number)
    page.locator("[data-live-answer].gate-admitted").get_by_text("体温正常，已放行。").wait_for()
    screenshot(page, "sites-gate-admitted")
    record(page, fever_pass.number, "38.2")
    page.locator("[data-live-answer].gate-refused").get_by_text("不能进场").first.wait_for()
    screenshot(page, "sites-gate-refused")
    assert GateEntry.objects.count() == 2 and Refusal.objects.count() == 1

    context.set_offline(True)
    for _ in range(20):
        record(page, site_pass.number)
    page.locator("[data-pending='20']").wait_for()
    screenshot(page, "sites-gate-offline")
    problems["gate offline"] = page.evaluate(AUDIT_JS)
    assert GateEntry.objects.count() == 2  # nothing reached the server

    context.set_offline(False)
    page.locator("[data-pending='0']").wait_for(timeout=40000)
    assert GateEntry.objects.count() == 22  # exactly 20 more: nothing lost, nothing counted twice
    assert GateEntry.objects.values("key").distinct().count() == 22
    page.reload()  # the queue is empty: reloading sends nothing again
    page.wait_for_timeout(500)
    assert GateEntry.objects.count() == 22
    context.close()
    assert {name: found for name, found in problems.items() if found} == {}


def test_without_javascript_the_gate_form_records_an_entry(live_server, browser):
    hardship_programme()
    site = SiteFactory()
    _worker, site_pass = site_worker(site)
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    open_gate(page, live_server.url, site)
    record(page, site_pass.display_number)
    page.get_by_text("体温正常，已放行。").wait_for()
    assert GateEntry.objects.get().source == "page"
    context.close()


def test_site_pages_fit_320_to_390_px_in_both_text_sizes(live_server, browser, screenshot):
    from tests.e2e.test_layout_in_browser import PAGE_PROBLEMS_JS, WIDTHS

    hardship_programme()
    site = SiteFactory()
    _worker, site_pass = site_worker(site)
    pages = [f"/sites/{site.code}/", f"/sites/join/{site.join_token}/", f"/sites/pass/{site_pass.token}/", "/sites/gate/"]
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, locale="zh-CN")
    page = context.new_page()
    problems = {}
    for large in (False, True):
        context.clear_cookies()
        if large:
            context.add_cookies([{"name": "jiedao_large_text", "value": "1", "url": live_server.url}])
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            for path in pages:
                response = page.goto(live_server.url + path)
                label = f"{width}px {'长辈版' if large else '标准版'} {path}"
                assert response.status == 200, label
                if found := page.evaluate(PAGE_PROBLEMS_JS):
                    problems[label] = found
                if width == 390 and not large:
                    if found := page.evaluate(AUDIT_JS):
                        problems[label + " audit"] = found
                    screenshot(page, f"sites-{path.strip('/').split('/')[1] if '/' in path.strip('/') else 'site'}")
    context.close()
    assert problems == {}, "\n".join(f"{label}: {found}" for label, found in problems.items())
    assert dt.date.today() and timezone.now()


def test_the_responsible_worker_reads_the_demo_site_on_a_desk(live_server, browser, settings, tmp_path, screenshot):
    from jiedao.ops.demo import load_places, load_sites, load_staff
    from tests.e2e.test_back_office_in_browser import sign_in

    settings.DATA_DIR = tmp_path
    load_places()
    logins = load_staff()
    load_sites()
    page = sign_in(browser, live_server, "worker_zx", logins["worker_zx"], {"width": 1280, "height": 900})
    page.goto(live_server.url + "/staff/sites/")
    page.get_by_role("link", name="光机小区加装电梯").click()
    page.get_by_text("今天进场 8 人").wait_for()
    screenshot(page, "sites-staff-detail")
    page.get_by_role("link", name="施工人员和出入证").click()
    page.get_by_role("button", name="收回").first.wait_for()
    screenshot(page, "sites-staff-crew")
    page.get_by_role("link", name="拒绝进场").first.click()
    page.get_by_text("已处理").wait_for()
    screenshot(page, "sites-staff-refusals")
    page.context.close()


def test_the_printable_notice_and_the_english_gate(live_server, browser, screenshot):
    hardship_programme()
    site = SiteFactory()
    context = browser.new_context(viewport={"width": 794, "height": 1123}, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + f"/sites/{site.code}/notice/")
    assert page.locator("svg").count() == 1 and "公示" in page.content()
    screenshot(page, "sites-notice-a4")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/en/sites/gate/")
    page.get_by_label("Site code").fill(site.code)
    page.get_by_label("Gate PIN").fill(site.gate_pin)
    page.get_by_role("button", name="Open the gate").click()
    page.get_by_label("Pass number").wait_for()
    screenshot(page, "sites-gate-en")
    context.close()
