"""What the resident reads: the text of each notice, and what a notice never says."""

from decimal import Decimal

import pytest
from django.utils import timezone

from jiedao.intake.lifecycle import Action
from jiedao.intake.models import Category, DocumentType
from jiedao.notices.models import Event, Notice, Recipient
from jiedao.notices.templates import TEMPLATES, cut, graphemes
from jiedao.intake.transitions import Payment, application_add_documents, application_transition
from tests.conftest import processed_photo

pytestmark = pytest.mark.django_db

SITE = "https://jd.example.cn/status/"


def move(application, *actions, actor, note="", documents=()):
    for action in actions:
        application = application_transition(
            application=application,
            action=action,
            actor=actor,
            note=note if action in (Action.REJECT, Action.REQUEST_MORE) else "",
            missing_document_codes=documents if action == Action.REQUEST_MORE else (),
            payment=Payment(Decimal("3000.00"), timezone.localdate()) if action == Action.RECORD_PAYMENT else None,
        )
    return application


def texts(application):
    return {n.event: n.text for n in Notice.objects.filter(application=application, recipient=Recipient.APPLICANT)}


def test_each_event_sends_its_exact_text(sms, make_case, reviewer):
    paid = make_case(categories=["disabled", "serious_illness"])
    ref = paid.reference
    move(paid, Action.START_REVIEW, Action.REQUEST_MORE, actor=reviewer, note="请补拍", documents=["hukou", "disability_cert", "medical_record"])
    # The resident sends the documents in: back to review, which sends nothing.
    uploads = [("hukou", 1, processed_photo(1)), ("hukou", 2, processed_photo(2)),
               ("disability_cert", 1, processed_photo(3)), ("medical_record", 1, processed_photo(4))]
    paid = application_add_documents(application=paid, uploads=uploads)
    assert paid.status == "resubmitted"
    move(paid, Action.START_REVIEW, Action.APPROVE, Action.RECORD_PAYMENT, actor=reviewer)
    assert texts(paid) == {
        Event.RECEIVED: f"您的帮困补助申请已受理，受理编号{ref}。可在{SITE}用受理编号和手机号查询进度。",
        # The two documents that would reveal a disability or an illness are named generically, once.
        Event.NEEDS_MORE: f"您的申请{ref}需要补充材料：户口簿、证明材料。请在{SITE}查询进度页面上传，或联系居委会。",
        Event.APPROVED: f"您的申请{ref}已审核通过，补助将按规定发放。可在{SITE}查询进度。",
        Event.PAID: f"您的申请{ref}的补助已发放，请留意到账情况。可在{SITE}查询详情。",
    }

    rejected = move(make_case(), Action.START_REVIEW, Action.REJECT, actor=reviewer, note="不在本次旧改地块的登记名单内")
    assert texts(rejected)[Event.REJECTED] == (
        f"您的申请{rejected.reference}未通过审核（原因：不在本次旧改地块的登记名单内）。如有疑问请联系居委会。"
    )
    withdrawn = move(make_case(), Action.WITHDRAW, actor=reviewer)
    assert texts(withdrawn)[Event.WITHDRAWN] == f"您的申请{withdrawn.reference}已撤回。如需再次申请，请联系居委会。"


def test_starting_the_review_and_sending_documents_in_send_nothing(sms, make_case, reviewer):
    application = make_case()
    move(application, Action.START_REVIEW, actor=reviewer)
    assert list(Notice.objects.values_list("event", flat=True)) == [Event.RECEIVED]


def test_a_notice_never_names_the_applicant_the_id_number_the_category_or_an_illness(sms, make_case, reviewer):
    household_note = "丈夫长期卧床，患尿毒症"
    cases = [
        make_case(name="俞秀珍", categories=["disabled", "serious_illness", "dibao"], household_note=household_note),
        make_case(name="张志远", who="proxy", proxy_name="张建华", proxy_phone="13700001111", proxy_relationship="child",
                  categories=["disabled"]),
    ]
    move(cases[0], Action.START_REVIEW, Action.REQUEST_MORE, actor=reviewer, note="残疾证照片不清楚",
         documents=["disability_cert", "medical_record", "dibao_cert", "hukou"])
    move(cases[1], Action.START_REVIEW, Action.REJECT, actor=reviewer, note="经核对不在登记名单内")
    forbidden = {"残疾", "诊断", "低保", "纳保", "疾病", "重病", "尿毒症", "独居"}
    forbidden |= set(Category.objects.values_list("name", flat=True))
    forbidden |= {d.name for d in DocumentType.objects.filter(code__in=["disability_cert", "medical_record", "dibao_cert"])}
    notices = list(Notice.objects.select_related("application"))
    # received and the next step each; the proxy gets their own copies; the rejected case ended,
    # so its applicant also gets a rating link (好差评), a notice of no case row.
    assert len(notices) == 2 + 2 * 2 + 1
    for notice in notices:
        application = notice.application or next(c for c in cases if c.reference == notice.subject)
        said = notice.text + " " + " ".join(notice.params.values())
        personal = {application.applicant_name, application.id_number, application.id_number[-8:], application.proxy_name,
                    application.address_road, application.phone, household_note}
        for word in forbidden | {p for p in personal if p}:
            assert word not in said, (word, said)


def test_a_reason_that_names_the_person_or_the_category_is_made_safe_before_it_goes_out(sms, make_case, reviewer):
    application = make_case(name="俞秀珍", who="proxy", proxy_name="俞建国", proxy_phone="13700004444",
                            proxy_relationship="child", categories=["disabled"])
    note = f"俞秀珍（{application.id_number}）的残疾证已过期，不属于残疾人；俞建国请致电13812345678"
    move(application, Action.START_REVIEW, Action.REJECT, actor=reviewer, note=note)
    notice = Notice.objects.filter(event=Event.REJECTED).first()
    assert notice.params["reason"] == "***（***）的证明材料已过期，不属于特殊对象；***请致电***"
    assert application.events.last().note == note  # the case's own history keeps what was written


def test_the_proxy_gets_a_copy_and_the_same_phone_gets_only_one(sms, make_case):
    with_proxy = make_case(who="proxy", proxy_name="李建华", proxy_phone="13700002222", proxy_relationship="child")
    same_phone = make_case(phone="13700003333", who="proxy", proxy_name="李建国", proxy_phone="13700003333",
                           proxy_relationship="child")
    assert sorted(Notice.objects.filter(application=with_proxy).values_list("recipient", "phone")) == [
        (Recipient.APPLICANT, with_proxy.phone),
        (Recipient.PROXY, "13700002222"),
    ]
    assert list(Notice.objects.filter(application=same_phone).values_list("phone", flat=True)) == ["13700003333"]


def test_a_long_reason_is_cut_to_the_providers_limit(sms, make_case, reviewer):
    reason = "经核对，申请人户籍地址与旧改地块登记地址不一致，且未能提供本地块内居住满一年的证明，请到居委会核对。"
    rejected = move(make_case(), Action.START_REVIEW, Action.REJECT, actor=reviewer, note=reason)
    notice = Notice.objects.get(application=rejected, event=Event.REJECTED)
    assert len(notice.params["reason"]) == 35
    assert notice.params["reason"] == reason[:34] + "…"
    assert notice.text == TEMPLATES[Event.REJECTED].render(notice.params)
    assert notice.template_code == sms.JIEDAO_SMS_TEMPLATE_CODES["rejected"]


@pytest.mark.parametrize(
    "value",
    [
        "一" * 50,
        "Cafe\u0301 " * 10,  # e + combining acute accent
        "\U0001F468\u200d\U0001F469\u200d\U0001F467" * 8,  # a family: one character of five code points
        "\U0001F1E8\U0001F1F3" * 20,  # flags: two regional indicators each
        "\U0001F44D\U0001F3FD" * 20,  # thumbs up with a skin tone
        "1\ufe0f\u20e3" * 20,  # keycap one
    ],
)
def test_cutting_never_splits_a_character(value):
    result = cut(value, 35)
    assert len(result) <= 35 and result.endswith("…")
    kept = graphemes(result[:-1])
    assert kept == graphemes(value)[: len(kept)]


def test_short_values_are_left_alone_and_spaces_are_tidied():
    assert cut("户口簿", 35) == "户口簿"
    assert cut("第一行\n第二行", 35) == "第一行 第二行"
    assert cut("一" * 35, 35) == "一" * 35
    assert cut("一" * 36, 35) == "一" * 34 + "…"
