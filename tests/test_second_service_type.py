"""A second service type, defined here and nowhere in ``src/``: a registration for a health talk.

Two question groups (who and how to reach them; which neighbourhood and which session), no ID
number, no documents, no renovation block, no payment, one consent, a two-state lifecycle
(报名 → 已确认) with its own SMS texts and its own dashboard. It goes through the public wizard,
staff filing, the back office, the SMS outbox, the resident's status page, the dashboard and the
partner API with no line of the shared code written for it: what it is lives in this one object,
registered the way a service's app registers its own (``intake.service_types``).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.utils import timezone

from jiedao.core.models import Role
from jiedao.intake.forms import MobileField, NameField, QuestionForm, neighbourhood_choices
from jiedao.intake.models import Application, SubmissionTally
from jiedao.intake.service_types import (
    Lifecycle,
    ServiceType,
    service_type_register,
    service_type_unregister,
)
from jiedao.notices.models import Notice
from jiedao.notices.templates import SmsTemplate, sms_template_register
from tests.api.conftest import issue
from tests.conftest import next_url, sign_in
from tests.factories import ProgrammeFactory, make_staff


class ContactForm(QuestionForm):
    name = NameField(label="报名人姓名")
    phone = MobileField(label="报名人手机号码", help_text="确认短信会发到这个号码。")


class SessionForm(QuestionForm):
    neighbourhood = forms.ChoiceField(label="所在居民区", widget=forms.RadioSelect)
    session = forms.ChoiceField(
        label="参加哪一场", choices=[("am", "上午场（9:00）"), ("pm", "下午场（14:00）")], widget=forms.RadioSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["neighbourhood"].choices = neighbourhood_choices(self.programme, self.neighbourhood_ids)


class TalkConsentForm(QuestionForm):
    purpose = "居委会只用这些信息安排讲座座位、联系您。"
    consent = forms.BooleanField(label="我同意居委会用我的姓名和手机号码联系我。")


CONFIRMED = "confirmed"

TALK = ServiceType(
    code="health_talk",
    name="健康讲座报名",
    lifecycle=Lifecycle(
        statuses={"submitted": "已报名", CONFIRMED: "已确认座位"},
        open_statuses=frozenset({"submitted"}),
        transitions={"approve": (frozenset({"submitted"}), CONFIRMED)},
        action_labels={"approve": "确认座位"},
        explanations={"submitted": "报名已收到，居委会确认座位后会发短信告诉您。", CONFIRMED: "座位已确认，请按时参加。"},
        decisions=frozenset({CONFIRMED}),
        action_roles={"approve": frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN})},
    ),
    question_forms={"contact": ContactForm, "session": SessionForm},
    step_titles={"contact": "联系方式", "session": "选择场次"},
    consent_form=TalkConsentForm,
    sms_events={"submitted": "talk_received", CONFIRMED: "talk_confirmed"},
    dashboard_dimensions=("neighbourhood", "channel", "status"),
    role_labels={Role.REVIEWER: "审核人员（社区卫生服务中心）"},
)
TEXTS = (
    SmsTemplate("talk_received", "您已报名健康讲座，编号{reference}。座位确认后会再通知您。", ("reference",), "讲座报名已收到"),
    SmsTemplate("talk_confirmed", "您报名的健康讲座{reference}座位已确认，请按时参加。", ("reference",), "讲座座位已确认"),
)


@pytest.fixture
def talk(programme):
    """The talk's programme, in the same places as the subsidy; the type registered for the test."""
    service_type_register(TALK)
    for text in TEXTS:
        sms_template_register(text)
    today = timezone.localdate()
    talk = ProgrammeFactory(
        code="JKJZ",
        name="健康讲座报名",
        name_en="Health talk registration",
        service_type=TALK.code,
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=30),
        neighbourhoods=list(programme.neighbourhoods.all()),
    )
    yield talk
    service_type_unregister(TALK.code)


def register(client, *, base="/apply/JKJZ", first=None):
    if base.startswith("/apply/"):
        page = client.get("/programmes/JKJZ/").content.decode()
        assert "健康讲座报名" in page and "适用地块" not in page and "谁可以申请" not in page
    url = next_url(client.post(f"{base}/start/"))
    if first:
        url = next_url(client.post(url, first))
    assert url.endswith("/step/contact/")
    page = client.get(url).content.decode()
    assert "联系方式" in page and "报名人手机号码" in page and "身份证" not in page
    url = next_url(client.post(url, {"name": "王秀英", "phone": "139 0000 0013"}))
    assert url.endswith("/step/session/")
    url = next_url(client.post(url, {"neighbourhood": "zhijiangxincun", "session": "pm"}))
    assert url.endswith("/step/check/")
    return url


@pytest.mark.django_db
def test_a_resident_registers_through_the_public_wizard_and_gets_its_text(client, talk):
    check = register(client)
    page = client.get(check).content.decode()
    assert "下午场（14:00）" in page and "王秀英" in page
    assert "旧改地块" not in page and "特殊对象类别" not in page and "身份证" not in page
    assert "居委会只用这些信息安排讲座座位" in page and "敏感个人信息" not in page

    done = next_url(client.post(check, {"consent": "on"}))
    application = Application.objects.get(programme=talk)
    assert done.endswith(f"/apply/done/{application.reference}/")
    page = client.get(done).content.decode()
    assert application.reference in page and "办理进度有变化时，会短信通知您" in page
    assert "补助" not in page and "特殊对象" not in page and "已上传材料" not in page
    assert application.reference.startswith("JKJZ-")
    assert application.status == "submitted" and application.status_label == "已报名"
    assert application.block is None and application.id_number == "" and application.sensitive_consent_at is None
    assert application.extra_answers == {"session": "pm"}
    notice = Notice.objects.get(application=application)
    assert notice.event == "talk_received" and notice.event_label == "讲座报名已收到"
    assert notice.text == f"您已报名健康讲座，编号{application.reference}。座位确认后会再通知您。"
    assert notice.phone == "13900000013"

    # The resident's status page speaks the talk's lifecycle.
    page = client.post("/status/", {"reference": application.reference, "phone": "13900000013"}).content.decode()
    assert "已报名" in page and "居委会确认座位后会发短信告诉您" in page


@pytest.mark.django_db
def test_without_an_id_number_the_same_person_may_register_twice(client, talk):
    for _ in range(2):
        check = register(client)
        next_url(client.post(check, {"consent": "on"}))
    assert Application.objects.filter(programme=talk).count() == 2


@pytest.mark.django_db
def test_a_worker_confirms_the_seat_in_the_back_office(client, talk):
    check = register(client)
    next_url(client.post(check, {"consent": "on"}))
    application = Application.objects.get(programme=talk)
    worker = make_staff("worker_zj", Role.WORKER, ["zhijiangxincun"])
    sign_in(client, worker)

    queue = client.get("/staff/", {"programme": "JKJZ"}).content.decode()
    assert application.reference in queue and "已报名" in queue
    page = client.get(f"/staff/cases/{application.reference}/").content.decode()
    assert "下午场（14:00）" in page and "确认座位" in page
    assert "审核决定由审核人员（社区卫生服务中心）作出" in page
    assert "材料照片" not in page and "名单比对" not in page

    response = client.post(
        f"/staff/cases/{application.reference}/actions/approve/", {"expected_status": "submitted"}
    )
    assert next_url(response) == f"/staff/cases/{application.reference}/"
    application.refresh_from_db()
    assert application.status == CONFIRMED and application.decided_at is not None
    assert [e.to_status_label for e in application.events.all()] == ["已报名", "已确认座位"]
    confirmed = Notice.objects.get(application=application, event="talk_confirmed")
    assert confirmed.text == f"您报名的健康讲座{application.reference}座位已确认，请按时参加。"
    assert "讲座座位已确认" in client.get(f"/staff/cases/{application.reference}/").content.decode()

    # An action the talk's lifecycle does not have is not there to take.
    assert client.post(f"/staff/cases/{application.reference}/actions/record_payment/", {}).status_code == 404


@pytest.mark.django_db
def test_a_worker_files_a_registration_for_a_resident(client, talk):
    worker = make_staff("worker_zj", Role.WORKER, ["zhijiangxincun"])
    sign_in(client, worker)
    check = register(client, base="/staff/file/JKJZ", first={"channel": "phone"})
    next_url(client.post(check, {"consent": "on"}))
    application = Application.objects.get(programme=talk)
    assert application.channel == "phone" and application.filed_by == worker


@pytest.mark.django_db
def test_the_dashboard_counts_the_talk_by_its_own_dimensions(client, talk, reviewer):
    for _ in range(2):
        next_url(client.post(register(client), {"consent": "on"}))
    first = Application.objects.filter(programme=talk).first()
    sign_in(client, reviewer)
    client.post(f"/staff/cases/{first.reference}/actions/approve/", {"expected_status": "submitted"})

    page = client.get("/staff/dashboard/", {"programme": "JKJZ"}).content.decode()
    headline = page.split("data-headline>", 1)[1].split("</p>", 1)[0]
    assert headline.endswith("共受理 2 件") and "帮困" not in headline
    assert "按居民区" in page and "按办理状态" in page and "已确认座位" in page
    assert "按旧改地块" not in page and "按特殊对象类别" not in page
    assert "已作决定 1 件" in page
    assert SubmissionTally.objects.filter(programme=talk, block=None).get().count == 2
    workbook = client.get("/staff/dashboard/statistics.xlsx", {"programme": "JKJZ"})
    assert workbook.status_code == 200


@pytest.mark.django_db
def test_a_partner_registers_and_a_reviewer_token_confirms_through_the_api(client, talk):
    partner = issue("yiwangtongban", "partner")
    reviewer = issue("fenzhihuibu", "reviewer")
    response = client.post(
        "/api/v1/applications",
        {"programme": "JKJZ", "name": "王秀英", "phone": "13900000013", "neighbourhood": "zhijiangxincun",
         "session": "am", "consent": "true"},
        **partner.headers,
    )  # fmt: skip
    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert body["status"] == "submitted" and body["status_label"] == "已报名"
    assert body["documents"] == [] and body["missing_documents"] == []
    application = Application.objects.get(reference=body["reference"])
    assert application.channel == "partner" and application.extra_answers == {"session": "am"}

    missing = client.post(
        "/api/v1/applications",
        {"programme": "JKJZ", "name": "王秀英", "phone": "13900000013", "consent": "true"},
        **partner.headers,
    )
    assert missing.status_code == 422
    assert set(missing.json()["errors"]) == {"neighbourhood", "session"}

    moved = client.post(
        f"/api/v1/applications/{body['reference']}/transitions",
        {"action": "approve"},
        content_type="application/json",
        **reviewer.headers,
    )
    assert moved.status_code == 200, moved.content.decode()
    assert moved.json()["status"] == CONFIRMED and moved.json()["status_label"] == "已确认座位"

    stats = client.get("/api/v1/stats", {"programme": "JKJZ"}, **reviewer.headers).json()
    assert stats["by_status"] == {"submitted": 0, CONFIRMED: 1} and stats["by_block"] == {}


@pytest.mark.django_db
def test_the_admin_offers_the_registered_service_types(client, talk):
    from django.contrib.auth import get_user_model

    sign_in(client, get_user_model().objects.create_superuser("root", password=None))
    page = client.get("/admin/intake/programme/add/").content.decode()
    assert "旧改特殊对象帮困补助（hardship）" in page and "健康讲座报名（health_talk）" in page
    changed = client.get(f"/admin/intake/programme/{talk.pk}/change/").content.decode()
    assert '<option value="health_talk" selected>' in changed


@pytest.mark.django_db
def test_a_programme_with_cases_keeps_its_service_type(client, talk):
    from django.core.exceptions import ValidationError

    next_url(client.post(register(client), {"consent": "on"}))
    talk.service_type = "hardship"
    with pytest.raises(ValidationError) as refused:
        talk.full_clean()
    assert "不能再改服务类型" in str(refused.value)


@pytest.mark.django_db
def test_every_public_page_links_the_public_services_a_resident_can_use(client, programme):
    """Each service registers its public entry (lib.public_links); the footer of every public page
    lists them, in the page's language."""
    page = client.get("/status/").content.decode()
    for path, label in (("/activities/", "活动报名"), ("/notices/", "公示"), ("/news/", "社区要闻"), ("/ratings/", "服务评价结果")):
        assert f'<a href="{path}">{label}</a>' in page
    english = client.get("/en/status/").content.decode()
    assert '<a href="/en/notices/">' in english and "Service ratings: results" in english
