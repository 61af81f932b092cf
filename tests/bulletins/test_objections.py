"""Objections to a notice and the list notice made from the subsidy's data: an objection during
the period becomes a case with a due date and an SMS receipt; after the period it is refused and
what was typed stays; the written answer goes by SMS and ends the case (for the rating); the
notice then records its objections and their outcomes; a list never shows an ID number or an
illness; a payment to a person named in an open objection waits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from jiedao.bulletins import services
from jiedao.bulletins.models import Bulletin, BulletinStatus, Objection, ObjectionStatus
from jiedao.core.models import Neighbourhood, Role
from jiedao.intake.lifecycle import Status
from jiedao.intake.models import Category
from jiedao.intake.transitions import IllegalTransition, Payment, application_transition
from jiedao.lib import public_lists
from jiedao.lib.case_endings import case_ended
from jiedao.lib.errors import ValidationFailed
from jiedao.notices.models import Notice
from tests.conftest import sign_in
from tests.factories import ApplicationFactory, BulletinFactory, make_staff

OBJECTION = {"name": "俞金娥", "phone": "13812345678", "what": "名单上第2位的情况", "why": "他家去年已经搬走了，不住在地块里。"}


@pytest.fixture
def endings():
    seen = []
    case_ended.subscribe(seen.append)
    yield seen
    case_ended.unsubscribe(seen.append)


@pytest.mark.django_db
def test_an_objection_in_the_period_is_a_case_with_a_due_date_and_an_sms_receipt(client, settings):
    settings.JIEDAO_OBJECTION_ANSWER_DAYS = 7
    bulletin = BulletinFactory()
    response = client.post(f"/notices/{bulletin.pk}/", OBJECTION)
    objection = Objection.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/y/{objection.token}/"
    assert objection.status == ObjectionStatus.OPEN and objection.reference.startswith("YY")
    assert objection.due_on == timezone.localdate() + dt.timedelta(days=7)
    receipt = Notice.objects.get(event="objection_got")
    assert receipt.phone == "13812345678" and objection.reference in receipt.text and f"/y/{objection.token}/" in receipt.text
    page = client.get(response["Location"]).content.decode()
    assert objection.reference in page and "已收到您的异议" in page and "13812345678" not in page


@pytest.mark.django_db
def test_an_objection_after_the_period_is_refused_and_what_was_typed_stays(client):
    today = timezone.localdate()
    bulletin = BulletinFactory(starts_on=today - dt.timedelta(days=10), ends_on=today - dt.timedelta(days=1))
    assert "提出异议" not in client.get(f"/notices/{bulletin.pk}/").content.decode().split("</h1>", 1)[1].split("公示期已于")[0]
    response = client.post(f"/notices/{bulletin.pk}/", OBJECTION)
    page = response.content.decode()
    assert response.status_code == 409
    assert "公示期已于" in page and "网上不能再提出异议" in page and "021-56330199" in page
    assert "他家去年已经搬走了，不住在地块里。" in page and 'value="俞金娥"' in page
    assert not Objection.objects.exists() and not Notice.objects.exists()


@pytest.mark.django_db
def test_an_objection_without_its_reason_says_which_box_is_empty(client):
    bulletin = BulletinFactory()
    page = client.post(f"/notices/{bulletin.pk}/", {**OBJECTION, "why": ""}).content.decode()
    assert "请填写理由。" in page and "名单上第2位的情况" in page and not Objection.objects.exists()


@pytest.mark.django_db
def test_the_written_answer_goes_by_sms_ends_the_case_and_the_notice_records_the_outcomes(client, programme, endings):
    reviewer = make_staff("office", Role.REVIEWER)
    bulletin = BulletinFactory()
    first = services.objection_create(bulletin=bulletin, **OBJECTION)
    services.objection_create(bulletin=bulletin, **{**OBJECTION, "phone": "13812345679"})
    sign_in(client, reviewer)
    staff_page = client.get(f"/staff/bulletins/{bulletin.pk}/objections/{first.pk}/").content.decode()
    assert "他家去年已经搬走了" in staff_page and "答复并短信通知异议人" in staff_page
    missing = client.post(f"/staff/bulletins/{bulletin.pk}/objections/{first.pk}/", {"outcome": "dismissed", "answer": ""})
    assert "请填写书面答复。" in missing.content.decode()
    client.post(
        f"/staff/bulletins/{bulletin.pk}/objections/{first.pk}/",
        {"outcome": "dismissed", "answer": "经居委会上门核实，该户仍在地块内居住，符合条件。"},
    )
    first.refresh_from_db()
    assert first.status == ObjectionStatus.ANSWERED and first.answered_by == reviewer
    reply = Notice.objects.get(event="objection_reply")
    assert reply.phone == "13812345678" and "异议不成立" in reply.text and first.reference in reply.text
    [ended] = endings
    assert (ended.service, ended.service_label, ended.case_key) == ("objection", "公示异议处理", first.reference)
    assert ended.phone == "13812345678" and ended.handler_id == reviewer.pk and ended.office == "社区自治办"
    # The objector reads the answer from the link in the SMS.
    assert "该户仍在地块内居住" in client.get(f"/y/{first.token}/").content.decode()
    # Answered once only.
    with pytest.raises(services.ObjectionAlreadyAnswered):
        services.objection_answer(objection=first, actor=reviewer, outcome="upheld", answer="再答一次")

    # After the period, the public page records how many objections and what came of them.
    Bulletin.objects.filter(pk=bulletin.pk).update(
        starts_on=timezone.localdate() - dt.timedelta(days=10), ends_on=timezone.localdate() - dt.timedelta(days=1)
    )
    page = client.get(f"/notices/{bulletin.pk}/").content.decode()
    assert "公示期内共收到异议 2 件" in page and "异议不成立 1 件" in page and "1 件正在处理" in page


@pytest.mark.django_db
def test_an_answer_that_fails_to_queue_its_sms_leaves_the_objection_open(programme, endings, monkeypatch):
    bulletin = BulletinFactory()
    objection = services.objection_create(bulletin=bulletin, **OBJECTION)

    def broken(**kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(services, "notice_queue_to", broken)
    with pytest.raises(RuntimeError):
        services.objection_answer(objection=objection, actor=make_staff("office", Role.REVIEWER), outcome="upheld", answer="成立")
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN and not endings


# --- the list made from the subsidy's data -------------------------------------------------------


def _approved(programme, name, neighbourhood="yongtai", categories=("dibao",), decided=None, **extra):
    return ApplicationFactory(
        programme=programme,
        applicant_name=name,
        status=Status.APPROVED,
        decided_at=decided or timezone.now(),
        neighbourhood=Neighbourhood.objects.get(code=neighbourhood),
        categories=list(Category.objects.filter(programme=programme, code__in=categories)),
        **extra,
    )


def _list_notice(**extra):
    fields = {
        "status": BulletinStatus.DRAFT, "kind": "list", "body": "", "list_source": "hardship_approved",
        "list_period": f"{timezone.localdate():%Y-%m}", "title": "旧改特殊对象帮困补助审核结果公示", "office": "街道旧改办",
    }  # fmt: skip
    return BulletinFactory(**{**fields, **extra})


@pytest.mark.django_db
def test_the_approved_list_shows_masked_names_block_category_group_and_amount_never_an_id_or_illness(client, programme):
    case = _approved(programme, "俞金娥", categories=("dibao", "serious_illness"))
    _approved(programme, "王芳", categories=("elderly_alone",))
    ApplicationFactory(programme=programme, applicant_name="不通过的人", status=Status.REJECTED, decided_at=timezone.now())
    bulletin = _list_notice()
    services.bulletin_publish(bulletin=bulletin, actor=make_staff("office", Role.REVIEWER))
    page = client.get(f"/notices/{bulletin.pk}/").content.decode()
    assert "俞*娥" in page and "王*" in page and "俞金娥" not in page and "不通过" not in page
    assert "低保（纳保）家庭、其他困难情形" in page and "重病" not in page and "3000.00" in page
    assert case.id_number not in page and case.id_number[-4:] not in page
    assert case.reference not in page  # the row's key never leaves the server
    assert "共 2 人" in page


@pytest.mark.django_db
def test_a_list_that_would_show_an_id_number_or_an_illness_is_refused_at_publication(client, programme):
    def leaky(period, neighbourhood_ids):
        return [
            public_lists.ListRow("a", ("张*远", "310106195001011234")),
            public_lists.ListRow("b", ("李*兰", "尿毒症")),
            public_lists.ListRow("c", ("王*", "独居老人")),
        ]

    public_lists.list_source_register(public_lists.ListSource("leaky", "leaky", ("姓名", "情况"), leaky))
    try:
        bulletin = _list_notice(list_source="leaky")
        with pytest.raises(ValidationFailed) as refused:
            services.bulletin_publish(bulletin=bulletin, actor=make_staff("office", Role.REVIEWER))
        messages = " ".join(str(m) for m in refused.value.errors["list_source"])
        assert "第1行“情况”一栏像是身份证号码" in messages and "第2行“情况”一栏写有疾病信息" in messages
        assert "310106195001011234" not in messages
        bulletin.refresh_from_db()
        assert bulletin.status == BulletinStatus.DRAFT and bulletin.list_rows == []
        sign_in(client, make_staff("office2", Role.REVIEWER))
        page = client.get(f"/staff/bulletins/{bulletin.pk}/").content.decode()
        assert "这份名单不能发布" in page
    finally:
        public_lists._SOURCES.pop("leaky")


@pytest.mark.django_db
def test_a_payment_waits_while_an_objection_names_the_person_and_goes_through_once_answered(client, programme):
    reviewer = make_staff("office", Role.REVIEWER)
    case = _approved(programme, "俞金娥")
    bulletin = _list_notice()
    services.bulletin_publish(bulletin=bulletin, actor=reviewer)
    page = client.get(f"/notices/{bulletin.pk}/").content.decode()
    assert '<option value="1">俞*娥' in page
    client.post(f"/notices/{bulletin.pk}/", {**OBJECTION, "person": "1"})
    objection = Objection.objects.get()
    assert objection.person_key == case.reference and objection.person_label.startswith("俞*娥")

    payment = Payment(Decimal("3000.00"), timezone.localdate())
    with pytest.raises(IllegalTransition, match="暂缓发放.*异议编号" + objection.reference):
        application_transition(application=case, action="record_payment", actor=reviewer, payment=payment)
    case.refresh_from_db()
    assert case.status == Status.APPROVED and case.paid_amount is None

    services.objection_answer(objection=objection, actor=reviewer, outcome="dismissed", answer="经核实符合条件。")
    application_transition(application=case, action="record_payment", actor=reviewer, payment=payment)
    case.refresh_from_db()
    assert case.status == Status.PAID


@pytest.mark.django_db
def test_an_answered_objection_forgets_the_objector_after_the_retention_period(settings):
    import io

    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.JIEDAO_OBJECTION_RETENTION_DAYS = 30
    out = io.BytesIO()
    Image.new("RGB", (40, 30)).save(out, "JPEG")
    bulletin = BulletinFactory()
    objection = services.objection_create(bulletin=bulletin, photo=SimpleUploadedFile("p.jpg", out.getvalue()), **OBJECTION)
    photo = objection.photo.name
    assert default_storage.exists(photo)
    services.objection_answer(objection=objection, actor=None, outcome="upheld", answer="已更正名单。")
    assert services.objections_anonymise(now=timezone.now() + dt.timedelta(days=29)) == {}
    with django_capture_on_commit():
        assert services.objections_anonymise(now=timezone.now() + dt.timedelta(days=31)) == {"objections_anonymised": 1}
    objection.refresh_from_db()
    assert (objection.name, objection.phone, objection.photo.name) == ("已匿名", "", "")
    assert objection.answer == "已更正名单。" and objection.outcome == "upheld"
    assert not default_storage.exists(photo)


def django_capture_on_commit():
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.mark.django_db
def test_objections_from_one_address_are_limited_and_what_was_typed_stays(client, settings):
    from django.core.cache import caches

    caches[settings.JIEDAO_RATELIMIT_CACHE].clear()
    settings.JIEDAO_OBJECTION_ADDRESS_LIMITS = "3600:2"
    bulletin = BulletinFactory()
    for phone in ("13812345671", "13812345672"):
        assert client.post(f"/notices/{bulletin.pk}/", {**OBJECTION, "phone": phone}).status_code == 302
    refused = client.post(f"/notices/{bulletin.pk}/", {**OBJECTION, "phone": "13812345673"})
    page = refused.content.decode()
    assert refused.status_code == 429 and "这个网络提交的异议太多了" in page and "他家去年已经搬走了" in page
    assert Objection.objects.count() == 2 and Notice.objects.count() == 2
    caches[settings.JIEDAO_RATELIMIT_CACHE].clear()


@pytest.mark.django_db
def test_an_objection_photo_that_is_not_one_is_refused_in_words(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bulletin = BulletinFactory()
    page = client.post(f"/notices/{bulletin.pk}/", {**OBJECTION, "photo": SimpleUploadedFile("a.txt", b"hello")}).content.decode()
    assert "不是PDF文件，也不是能打开的照片" in page or "只能上传照片" in page
    assert "他家去年已经搬走了" in page and not Objection.objects.exists()


@pytest.mark.django_db
def test_an_overdue_objection_is_marked_on_the_staff_list(client, programme):
    bulletin = BulletinFactory()
    objection = services.objection_create(bulletin=bulletin, **OBJECTION)
    Objection.objects.filter(pk=objection.pk).update(due_on=timezone.localdate() - dt.timedelta(days=1))
    sign_in(client, make_staff("office", Role.REVIEWER))
    page = client.get("/staff/bulletins/").content.decode()
    assert objection.reference in page and "已超期" in page and "138****5678" in page and "13812345678" not in page


@pytest.mark.django_db(transaction=True)
def test_twenty_objections_at_once_each_get_their_own_number_and_receipt(programme):
    from tests.conftest import run_concurrently

    bulletin = BulletinFactory()

    def one(index):
        return services.objection_create(bulletin=bulletin, **{**OBJECTION, "phone": f"1381234{index:04d}"}).reference

    results, errors = run_concurrently(20, one)
    assert errors == [] and len(set(results)) == 20
    assert Objection.objects.count() == 20 and Notice.objects.filter(event="objection_got").count() == 20
