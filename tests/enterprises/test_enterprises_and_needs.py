"""Enterprises, visits and needs as staff and the enterprise's contact meet them: a wrong or
duplicate credit code refused with a clear message, phones masked on lists, a visit with several
staff, notes, photos and needs, a need followed to its end (an SMS and ``case_ended`` when it is
met, a reason required otherwise), overdue needs red and their owner told once, and the contact's
report link that expires."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from openpyxl import Workbook

from jiedao.core.models import AuditEntry, Role
from jiedao.enterprises import services
from jiedao.enterprises.models import Enterprise, Need, NeedEvent, NeedStatus
from jiedao.lib.case_endings import case_ended
from jiedao.lib.errors import ValidationFailed
from jiedao.notices.models import Notice
from tests.conftest import processed_photo, sign_in
from tests.factories import EnterpriseFactory, make_staff, valid_uscc


def wrong_uscc(serial: int) -> str:
    code = valid_uscc(serial)
    return code[:-1] + ("1" if code[-1] != "1" else "2")


def _fields(**overrides):
    return {"name": "上海力德国际贸易有限公司", "uscc": valid_uscc(42), "size": "small", "union_separate": True, **overrides}


@pytest.mark.django_db
def test_a_wrong_or_duplicate_credit_code_is_refused_with_a_clear_message(programme):
    actor = make_staff("union", Role.REVIEWER)
    with pytest.raises(ValidationFailed) as wrong:
        services.enterprise_create(actor=actor, fields=_fields(uscc=wrong_uscc(42)))
    assert "统一社会信用代码" in wrong.value.errors["uscc"][0] and "校验码" in wrong.value.errors["uscc"][0]
    code = valid_uscc(42)
    enterprise = services.enterprise_create(actor=actor, fields=_fields(uscc=code.lower()), contact_name="王经理", contact_phone="138 0013 8000")
    assert enterprise.uscc == code and enterprise.contacts.get().phone == "13800138000"
    with pytest.raises(ValidationFailed) as duplicate:
        services.enterprise_create(actor=actor, fields=_fields(name="另一个名字", uscc=code))
    assert "已经登记过了" in duplicate.value.errors["uscc"][0]
    assert Enterprise.objects.count() == 1


@pytest.mark.django_db
def test_the_new_enterprise_page_keeps_what_was_typed_and_the_list_masks_phones(client, programme):
    sign_in(client, make_staff("union", Role.REVIEWER))
    data = {"name": "上海国信典当有限公司", "uscc": wrong_uscc(7), "size": "small", "contact_name": "李会计", "contact_phone": "13912345678"}
    refused = client.post("/staff/enterprises/new/", data)
    page = refused.content.decode()
    assert refused.status_code == 400 and "校验码" in page and "上海国信典当有限公司" in page and "13912345678" in page
    assert client.post("/staff/enterprises/new/", {**data, "uscc": valid_uscc(7)}).status_code == 302
    listing = client.get("/staff/enterprises/").content.decode()
    assert "上海国信典当有限公司" in listing and "139****5678" in listing and "13912345678" not in listing
    enterprise = Enterprise.objects.get()
    detail = client.get(f"/staff/enterprises/{enterprise.pk}/").content.decode()
    assert "13912345678" in detail  # the full number on the enterprise's own page, and that view is audited
    assert AuditEntry.objects.filter(action=services.AUDIT_VIEW, reference=enterprise.uscc).exists()


@pytest.mark.django_db
def test_a_worker_sees_only_her_neighbourhoods_enterprises(client, programme):
    mine = EnterpriseFactory(name="永太的企业", neighbourhood=programme.subdistrict.neighbourhoods.get(code="yongtai"))
    other = EnterpriseFactory(name="芷江新村的企业")
    sign_in(client, make_staff("worker_yt", Role.WORKER, ["yongtai"]))
    page = client.get("/staff/enterprises/").content.decode()
    assert mine.name in page and other.name not in page
    assert client.get(f"/staff/enterprises/{other.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_visit_records_several_staff_notes_photos_and_needs(client, programme):
    secretary = make_staff("secretary", Role.REVIEWER, first_name="党工委书记")
    unionist = make_staff("unionist", Role.REVIEWER, first_name="工会干部")
    enterprise = EnterpriseFactory(name="上海祥先实业有限公司")
    sign_in(client, secretary)
    photo = io.BytesIO(processed_photo().content)
    photo.name = "visit.jpg"
    response = client.post(
        f"/staff/enterprises/{enterprise.pk}/visit/",
        {
            "visited_on": timezone.localdate().isoformat(), "staff": [secretary.pk, unionist.pk], "notes": "复工准备就绪，缺少口罩",
            "photos": photo,
            "needs-TOTAL_FORMS": "3", "needs-INITIAL_FORMS": "0", "needs-MIN_NUM_FORMS": "0", "needs-MAX_NUM_FORMS": "10",
            "needs-0-kind": "supplies", "needs-0-detail": "口罩", "needs-0-quantity": "500", "needs-0-owner_office": "街道工会",
            "needs-0-owner_phone": "13700000001",
            "needs-1-kind": "policy", "needs-1-detail": "社保减免政策咨询",
        },
    )  # fmt: skip
    assert response.status_code == 302
    visit = enterprise.visits.get()
    assert set(visit.staff.values_list("username", flat=True)) == {"secretary", "unionist"}
    assert visit.notes == "复工准备就绪，缺少口罩"
    stored = visit.photos.get()
    assert default_storage.exists(stored.file) and not stored.file.startswith("photos/")
    needs = list(enterprise.needs.order_by("id"))
    assert [(n.kind, n.detail, n.quantity) for n in needs] == [("supplies", "口罩", 500), ("policy", "社保减免政策咨询", None)]
    assert needs[0].due_on == timezone.localdate() + dt.timedelta(days=7) and needs[0].contact == enterprise.primary_contact
    assert NeedEvent.objects.filter(need=needs[0], to_status="open").count() == 1
    page = client.get(f"/staff/enterprises/{enterprise.pk}/").content.decode()
    assert "复工准备就绪" in page and "党工委书记" in page and "社保减免政策咨询" in page
    assert client.get(f"/staff/enterprises/photos/{stored.pk}/")["Content-Type"] == "image/jpeg"


@pytest.mark.django_db
def test_a_need_met_tells_the_contact_and_ends_the_case_in_the_same_transaction(programme):
    actor = make_staff("union", Role.REVIEWER)
    enterprise = EnterpriseFactory(name="上海电能电气有限公司", contact=("赵厂长", "13600000006"))
    need = services.need_add(enterprise=enterprise, need=services.NeedIn(kind="supplies", detail="免洗洗手液", quantity=20), actor=actor)
    ended = []
    case_ended.subscribe(ended.append)
    try:
        services.need_transition(need=need, to=NeedStatus.IN_HAND, actor=actor)
        assert not ended and not Notice.objects.filter(event="ent_need_met").exists()
        services.need_transition(need=need, to=NeedStatus.MET, actor=actor)
    finally:
        case_ended.unsubscribe(ended.append)
    notice = Notice.objects.get(event="ent_need_met")
    assert notice.phone == "13600000006" and need.reference in notice.text and "免洗洗手液" in notice.text
    (event,) = ended
    assert (event.service, event.service_label, event.case_key) == ("enterprise_need", "企业诉求办理", f"enterprise_need-{need.pk}")
    assert event.phone == "13600000006" and event.person_name == "赵厂长" and event.neighbourhood_id == enterprise.neighbourhood_id
    assert list(NeedEvent.objects.filter(need=need).values_list("to_status", flat=True)) == ["open", "in_hand", "met"]
    with pytest.raises(services.NeedTransitionRefused):
        services.need_transition(need=need, to=NeedStatus.MET, actor=actor)
    assert Notice.objects.filter(event="ent_need_met").count() == 1


@pytest.mark.django_db
def test_a_subscriber_failing_rolls_the_need_back(programme):
    actor = make_staff("union", Role.REVIEWER)
    need = services.need_add(enterprise=EnterpriseFactory(), need=services.NeedIn(kind="funding", detail="贷款贴息"), actor=actor)

    def broken(event):
        raise RuntimeError("ratings down")

    case_ended.subscribe(broken)
    try:
        with pytest.raises(RuntimeError):
            services.need_transition(need=need, to=NeedStatus.MET, actor=actor)
    finally:
        case_ended.unsubscribe(broken)
    need.refresh_from_db()
    assert need.status == NeedStatus.OPEN and not Notice.objects.filter(event="ent_need_met").exists()


@pytest.mark.django_db
def test_closing_a_need_unmet_needs_a_reason_and_the_page_says_so(client, programme):
    reviewer = make_staff("union", Role.REVIEWER)
    need = services.need_add(enterprise=EnterpriseFactory(), need=services.NeedIn(kind="reopening", detail="复工备案"), actor=reviewer)
    sign_in(client, reviewer)
    refused = client.post(f"/staff/needs/{need.pk}/", {"form": "transition", "to": "cannot", "reason": ""})
    assert refused.status_code == 400 and "请写明原因" in refused.content.decode()
    need.refresh_from_db()
    assert need.status == NeedStatus.OPEN
    assert client.post(f"/staff/needs/{need.pk}/", {"form": "transition", "to": "referred", "reason": "转区经委办理"}).status_code == 302
    need.refresh_from_db()
    assert need.status == NeedStatus.REFERRED and need.reason == "转区经委办理" and need.closed_at is not None
    assert not Notice.objects.filter(event="ent_need_met").exists()


@pytest.mark.django_db
def test_an_overdue_need_is_red_and_its_owner_gets_one_sms(client, programme):
    reviewer = make_staff("union", Role.REVIEWER)
    enterprise = EnterpriseFactory(name="上海久兴物业管理有限公司")
    late = services.need_add(
        enterprise=enterprise, actor=reviewer,
        need=services.NeedIn(kind="staffing", detail="保洁员返岗", due_on=timezone.localdate() - dt.timedelta(days=1),
                             owner_office="街道社区服务办", owner_phone="13700000002"),
    )  # fmt: skip
    services.need_add(enterprise=enterprise, actor=reviewer, need=services.NeedIn(kind="policy", detail="租金减免"))
    assert services.needs_overdue_notify() == {"enterprise_needs_overdue": 1}
    assert services.needs_overdue_notify() == {}
    notice = Notice.objects.get(event="ent_need_overdue")
    assert notice.phone == "13700000002" and late.reference in notice.text
    sign_in(client, reviewer)
    page = client.get("/staff/needs/").content.decode()
    assert 'class="need-overdue"' in page and "已逾期" in page
    assert page.count('class="need-overdue"') == 1
    # A new due date, passed again: one more SMS.
    services.need_assign(need=late, actor=reviewer, owner_id=None, owner_office="街道社区服务办", owner_phone="13700000002",
                         due_on=timezone.localdate() - dt.timedelta(days=0) - dt.timedelta(days=2))  # fmt: skip
    assert services.needs_overdue_notify() == {"enterprise_needs_overdue": 1}


@pytest.mark.django_db
def test_the_overdue_round_is_in_the_workers_loop(settings):
    assert "jiedao.enterprises.services.needs_overdue_notify" in settings.JIEDAO_WORKER_EXTRA_ROUNDS


@pytest.mark.django_db
def test_the_contact_reports_a_need_from_the_link_until_it_expires(client, programme):
    reviewer = make_staff("union", Role.REVIEWER)
    enterprise = EnterpriseFactory(name="上海力德国际贸易有限公司")
    token = services.report_link_issue(enterprise=enterprise, actor=reviewer)
    sms = Notice.objects.get(event="ent_report_link")
    assert f"/e/{token}/" in sms.text and sms.phone == "13800138000"
    assert client.get(f"/e/{token}/")["Location"] == f"/enterprises/report/{token}/"
    page = client.get(f"/enterprises/report/{token}/")
    assert page.status_code == 200 and "上海力德国际贸易有限公司" in page.content.decode()
    refused = client.post(f"/enterprises/report/{token}/", {"detail": "缺少消毒片", "phone": "123"})
    body = refused.content.decode()
    assert refused.status_code == 400 and "请选择需要哪方面的帮助" in body and "缺少消毒片" in body
    assert "请填写11位手机号码" in body  # every problem at once
    done = client.post(f"/enterprises/report/{token}/", {"kind": "supplies", "detail": "缺少消毒片", "quantity": "10", "name": "钱主任", "phone": "13500000005"})
    assert done.status_code == 200 and "已收到" in done.content.decode()
    need = Need.objects.get()
    assert need.enterprise == enterprise and need.source == "report" and need.contact.phone == "13500000005"
    Enterprise.objects.filter(pk=enterprise.pk).update(report_expires_at=timezone.now() - dt.timedelta(minutes=1))
    expired = client.get(f"/enterprises/report/{token}/")
    assert expired.status_code == 410 and "链接已经过期" in expired.content.decode()
    assert client.get("/enterprises/report/nosuchtoken/").status_code == 404
    # A new link replaces the old one.
    new = services.report_link_issue(enterprise=enterprise, actor=reviewer, send_sms=False)
    assert client.get(f"/enterprises/report/{new}/").status_code == 200 and client.get(f"/enterprises/report/{token}/").status_code == 404


def _workbook(rows) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(services.import_headers())
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "enterprises.xlsx"
    return out


@pytest.mark.django_db
def test_an_excel_import_lists_each_bad_row_and_imports_nothing(client, programme):
    sign_in(client, make_staff("union", Role.REVIEWER))
    good = ["上海力德国际贸易有限公司", valid_uscc(1), "芷江新村", "中兴路1021弄7号", "商贸", "小型", "是", "王经理", "13800138000"]
    bad = [
        good,
        ["上海国信典当有限公司", wrong_uscc(2), "芷江新村", "", "典当", "小型", "否", "", ""],
        ["上海祥先实业有限公司", valid_uscc(1), "火星", "", "", "巨型", "也许", "李", "12"],
    ]
    response = client.post("/staff/enterprises/import/", {"file": _workbook(bad)})
    page = response.content.decode()
    assert response.status_code == 400 and Enterprise.objects.count() == 0
    assert "第 3 行" in page and "校验码" in page
    assert "第 4 行" in page and "和第 2 行的统一社会信用代码重复" in page and "没有叫“火星”的居民区" in page
    assert "规模请填微型、小型、中型或大型" in page and "请填“是”或“否”" in page
    ok = client.post("/staff/enterprises/import/", {"file": _workbook([good, ["上海国信典当有限公司", valid_uscc(2), "", "", "", "", "否", "", ""]])})
    assert ok.status_code == 302
    assert Enterprise.objects.count() == 2 and Enterprise.objects.get(uscc=valid_uscc(1)).contacts.get().phone == "13800138000"
    again = client.post("/staff/enterprises/import/", {"file": _workbook([good])})
    assert again.status_code == 400 and "已经登记过了" in again.content.decode()
    template = client.get("/staff/enterprises/import/template.xlsx")
    assert template.status_code == 200


@pytest.mark.django_db
def test_the_demo_has_the_newsletters_enterprises_their_march_visits_and_handouts(settings, tmp_path, programme):
    from django.core.management import call_command

    from jiedao.enterprises import selectors
    from jiedao.ops.demo import load_enterprises

    settings.DATA_DIR = tmp_path
    call_command("demo", "load", "--no-samples")
    assert load_enterprises() == 30 and load_enterprises() == 0
    names = set(Enterprise.objects.values_list("name", flat=True))
    assert {"上海力德国际贸易有限公司", "上海国信典当有限公司", "上海祥先实业有限公司", "上海电能电气有限公司", "上海久兴物业管理有限公司"} <= names
    assert len(names) == 30
    assert {v.visited_on.month for e in Enterprise.objects.all() for v in e.visits.all()} == {3}
    board = selectors.dashboard()
    assert board.union_enterprises_supplied == 29 and board.sentence.startswith("为 29 家单独建会企业提供口罩")
    assert selectors.balances_recount() == {item.pk: item.balance for item in selectors.balances()}


@pytest.mark.django_db
def test_the_leadership_reads_but_does_not_write(client, programme):
    enterprise = EnterpriseFactory()
    need = services.need_add(enterprise=enterprise, need=services.NeedIn(kind="funding", detail="贷款贴息"))
    sign_in(client, make_staff("leader", Role.LEADER))
    for path in ("/staff/enterprises/", "/staff/needs/", "/staff/supplies/", "/staff/enterprises/dashboard/", f"/staff/needs/{need.pk}/"):
        assert client.get(path).status_code == 200, path
    for path in ("/staff/enterprises/new/", "/staff/supplies/handout/", f"/staff/enterprises/{enterprise.pk}/visit/"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/staff/needs/{need.pk}/", {"form": "transition", "to": "met"}).status_code == 404
    need.refresh_from_db()
    assert need.status == NeedStatus.OPEN
    assert "生成新链接" not in client.get(f"/staff/enterprises/{enterprise.pk}/").content.decode()


@pytest.mark.django_db
def test_the_lists_cost_a_fixed_number_of_queries(client, programme, django_assert_max_num_queries):
    reviewer = make_staff("union", Role.REVIEWER)
    for n in range(15):
        enterprise = EnterpriseFactory()
        services.need_add(enterprise=enterprise, need=services.NeedIn(kind="policy", detail=f"咨询{n}"), actor=reviewer)
    sign_in(client, reviewer)
    client.get("/staff/enterprises/")  # the session and the frame warmed up
    with django_assert_max_num_queries(12):
        assert client.get("/staff/enterprises/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/staff/needs/").status_code == 200


@pytest.mark.django_db
def test_every_staff_form_opens_for_a_committee_worker(client, programme):
    from jiedao.enterprises import ledger
    from tests.factories import SupplyItemFactory

    worker = make_staff("worker_zjxc", Role.WORKER, ["zhijiangxincun"])
    enterprise = EnterpriseFactory()
    need = services.need_add(enterprise=enterprise, need=services.NeedIn(kind="supplies", detail="口罩"), actor=worker)
    entry = ledger.receipt_record(item=SupplyItemFactory(), quantity=10, source="区总工会", actor=worker)
    sign_in(client, worker)
    for path in ("/staff/enterprises/new/", "/staff/enterprises/import/", f"/staff/enterprises/{enterprise.pk}/visit/",
                 f"/staff/needs/{need.pk}/", "/staff/supplies/", "/staff/supplies/handout/", f"/staff/supplies/entries/{entry.pk}/"):
        response = client.get(path)
        assert response.status_code == 200, path
    visit_page = client.get(f"/staff/enterprises/{enterprise.pk}/visit/").content.decode()
    assert "拍照或选择照片" in visit_page and "needs-0-kind" in visit_page
    new_page = client.get("/staff/enterprises/new/").content.decode()
    assert ">芷江新村</option>" in new_page and ">永太</option>" not in new_page


@pytest.mark.django_db
def test_a_leaked_link_cannot_flood_the_needs_list(client, programme, monkeypatch):
    from jiedao.enterprises import views
    from jiedao.lib.ratelimit import Rate

    monkeypatch.setattr(views, "REPORT_RATES", (Rate(count=2, seconds=3600),))
    enterprise = EnterpriseFactory()
    token = services.report_link_issue(enterprise=enterprise, actor=make_staff("union", Role.REVIEWER), send_sms=False)
    data = {"kind": "other", "detail": "测试"}
    assert client.post(f"/enterprises/report/{token}/", data).status_code == 200
    assert client.post(f"/enterprises/report/{token}/", data).status_code == 200
    third = client.post(f"/enterprises/report/{token}/", {**data, "detail": "第三次"})
    assert third.status_code == 429 and "太频繁" in third.content.decode() and "第三次" in third.content.decode()
    assert Need.objects.count() == 2
