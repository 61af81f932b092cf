"""Moving a case through its life with ``application_transition`` and ``application_add_documents``."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiedao.lib.errors import ValidationFailed
from jiedao.core.models import AuditAction, AuditEntry, Role
from jiedao.intake.lifecycle import Action, Status, allowed_actions
from jiedao.intake.models import Application, ApplicationEvent, Document, PaymentMethod, Via
from jiedao.intake.transitions import (
    IllegalTransition,
    Payment,
    application_add_documents,
    application_transition,
    outstanding_pages,
)
from tests.conftest import CaseMaker, photo_bytes, processed_photo, run_concurrently, sign_in, stored_files
from tests.factories import hardship_programme, make_staff

# What a reviewer may do in each status and where the case goes: written out here, not read from
# the code's table, so that a change to the table has to be a change to this test too.
ALLOWED = {
    (Status.SUBMITTED, Action.START_REVIEW): Status.IN_REVIEW,
    (Status.RESUBMITTED, Action.START_REVIEW): Status.IN_REVIEW,
    (Status.IN_REVIEW, Action.REQUEST_MORE): Status.NEEDS_MORE,
    (Status.IN_REVIEW, Action.APPROVE): Status.APPROVED,
    (Status.IN_REVIEW, Action.REJECT): Status.REJECTED,
    (Status.APPROVED, Action.RECORD_PAYMENT): Status.PAID,
    (Status.SUBMITTED, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.IN_REVIEW, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.NEEDS_MORE, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.RESUBMITTED, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.APPROVED, Action.WITHDRAW): Status.WITHDRAWN,
}
# RESUBMIT is the resident (or a worker) sending the material in: application_add_documents.
STAFF_ACTIONS = [action for action in Action if action != Action.RESUBMIT]
PAIRS = [(status, action) for status in Status for action in STAFF_ACTIONS]

NOW = timezone.now().replace(microsecond=0)
TODAY = timezone.localdate()


def complete_inputs(action):
    """Everything any action could need, filled in correctly."""
    return {
        "note": f"说明：{action}",
        "missing_document_codes": ["hukou"] if action == Action.REQUEST_MORE else (),
        "payment": Payment(Decimal("3000.00"), TODAY, PaymentMethod.CASH) if action == Action.RECORD_PAYMENT else None,
    }


def case_in(make_case, status):
    """A submitted case, put into ``status`` (how it got there is not what these tests are about)."""
    application = make_case()
    Application.objects.filter(pk=application.pk).update(status=status)
    application.refresh_from_db()
    return application


def counts(application):
    return application.events.count(), AuditEntry.objects.count()


@pytest.mark.parametrize(
    ("status", "action"), PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS]
)
def test_each_action_in_each_status(make_case, reviewer, status, action):
    application = case_in(make_case, status)
    events_before, audit_before = counts(application)
    target = ALLOWED.get((status, action))

    if target is None:
        with pytest.raises(IllegalTransition) as refused:
            application_transition(
                application=application, action=action, actor=reviewer, now=NOW, **complete_inputs(action)
            )
        assert str(Status(status).label) in str(refused.value)  # "现在是“已受理”，不能…"
        application.refresh_from_db()
        assert application.status == status
        assert counts(application) == (events_before, audit_before)
        assert application.decided_at is None and application.paid_amount is None
        return

    moved = application_transition(
        application=application, action=action, actor=reviewer, ip="10.0.0.7", now=NOW, **complete_inputs(action)
    )
    application.refresh_from_db()
    assert moved.status == application.status == target
    event = application.events.get(to_status=target)
    assert (event.from_status, event.actor, event.at, event.channel, event.note) == (
        status,
        reviewer,
        NOW,
        Via.BACK_OFFICE,
        f"说明：{action}",
    )
    assert counts(application) == (events_before + 1, audit_before + 1)
    audit = AuditEntry.objects.get()
    assert (audit.actor, audit.action, audit.reference, audit.ip_address) == (
        reviewer,
        AuditAction.TRANSITION,
        application.reference,
        "10.0.0.7",
    )
    assert audit.detail["transition"] == action
    if target in (Status.APPROVED, Status.REJECTED):
        assert application.decided_at == NOW
    elif status not in (Status.APPROVED, Status.REJECTED):
        assert application.decided_at is None


def test_the_transition_table_here_matches_the_one_the_back_office_offers():
    for status in Status:
        offered = {a for a in allowed_actions(status) if a != Action.RESUBMIT}
        assert offered == {action for (s, action) in ALLOWED if s == status}, status


def test_asking_for_more_material_needs_ticked_documents_and_a_note(make_case, reviewer):
    application = case_in(make_case, Status.IN_REVIEW)
    with pytest.raises(ValidationFailed) as failed:
        application_transition(application=application, action=Action.REQUEST_MORE, actor=reviewer)
    assert {"missing_documents", "note"} <= set(failed.value.errors)
    with pytest.raises(ValidationFailed) as failed:
        application_transition(
            application=application, action=Action.REQUEST_MORE, actor=reviewer, note="   ", missing_document_codes=["hukou"]
        )
    assert set(failed.value.errors) == {"note"}
    with pytest.raises(ValidationFailed) as failed:
        application_transition(
            application=application,
            action=Action.REQUEST_MORE,
            actor=reviewer,
            note="请补拍户口簿",
            missing_document_codes=["passport"],  # not a document of this programme
        )
    assert set(failed.value.errors) == {"missing_documents"}
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW
    assert application.events.count() == 1 and AuditEntry.objects.count() == 0

    application_transition(
        application=application,
        action=Action.REQUEST_MORE,
        actor=reviewer,
        note="请补拍户口簿首页和本人页。",
        missing_document_codes=["hukou", "bank_card"],
    )
    application.refresh_from_db()
    assert application.status == Status.NEEDS_MORE
    assert sorted(application.missing_documents.values_list("code", flat=True)) == ["bank_card", "hukou"]


@pytest.mark.parametrize("note", ["", "   \n"])
def test_a_rejection_needs_a_reason_the_applicant_will_read(make_case, reviewer, note):
    application = case_in(make_case, Status.IN_REVIEW)
    with pytest.raises(ValidationFailed) as failed:
        application_transition(application=application, action=Action.REJECT, actor=reviewer, note=note)
    assert set(failed.value.errors) == {"note"}
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW and application.decided_at is None


@pytest.mark.parametrize(
    ("payment", "fields"),
    [
        (None, {"amount", "paid_on"}),
        (Payment(Decimal("0"), TODAY), {"amount"}),
        (Payment(Decimal("-50"), TODAY), {"amount"}),
        (Payment(None, TODAY), {"amount"}),
        (Payment(Decimal("3000"), None), {"paid_on"}),
        (Payment(Decimal("3000"), TODAY + dt.timedelta(days=1)), {"paid_on"}),
        (Payment(Decimal("3000"), TODAY, ""), {"method"}),
        (Payment(Decimal("3000"), TODAY, "bitcoin"), {"method"}),
    ],
    ids=["nothing", "zero", "negative", "no-amount", "no-date", "tomorrow", "no-method", "unknown-method"],
)
def test_a_payment_needs_an_amount_a_past_date_and_a_method(make_case, reviewer, payment, fields):
    application = case_in(make_case, Status.APPROVED)
    with pytest.raises(ValidationFailed) as failed:
        application_transition(application=application, action=Action.RECORD_PAYMENT, actor=reviewer, payment=payment)
    assert set(failed.value.errors) == fields
    application.refresh_from_db()
    assert application.status == Status.APPROVED and application.paid_amount is None


def test_a_recorded_payment_is_kept_with_the_case(make_case, reviewer):
    application = make_case()
    for action in (Action.START_REVIEW, Action.APPROVE):
        application_transition(application=application, action=action, actor=reviewer)
    paid_on = TODAY - dt.timedelta(days=2)
    application_transition(
        application=application,
        action=Action.RECORD_PAYMENT,
        actor=reviewer,
        payment=Payment(Decimal("3000.50"), paid_on, PaymentMethod.BANK_TRANSFER),
    )
    application.refresh_from_db()
    assert application.status == Status.PAID
    assert (application.paid_amount, application.paid_on, application.payment_method) == (
        Decimal("3000.50"),
        paid_on,
        PaymentMethod.BANK_TRANSFER,
    )
    assert application.decided_at is not None  # kept from the approval


def test_a_case_that_changed_since_the_reviewer_looked_is_not_touched(make_case, reviewer, other_reviewer):
    application = make_case()
    seen = application.status  # the reviewer's page says 已受理
    application_transition(application=application, action=Action.START_REVIEW, actor=other_reviewer)
    events_before, audit_before = counts(application)
    with pytest.raises(IllegalTransition) as refused:
        # Withdrawing is allowed from 审核中 too: only the stale page makes it wrong.
        application_transition(
            application=application, action=Action.WITHDRAW, actor=reviewer, expected_status=seen
        )
    assert "审核中" in str(refused.value)
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW
    assert counts(application) == (events_before, audit_before)


def test_an_unknown_action_is_refused(make_case, reviewer):
    application = make_case()
    with pytest.raises(IllegalTransition):
        application_transition(application=application, action="delete", actor=reviewer)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_approving_at_the_same_moment_approve_once():
    programme = hardship_programme()
    reviewers = [make_staff("reviewer_a", Role.REVIEWER), make_staff("reviewer_b", Role.REVIEWER)]
    application = CaseMaker(programme)()
    application_transition(application=application, action=Action.START_REVIEW, actor=reviewers[0])

    def approve(index):
        return application_transition(
            application=application,
            action=Action.APPROVE,
            actor=reviewers[index],
            expected_status=Status.IN_REVIEW,
        )

    results, errors = run_concurrently(2, approve)
    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], IllegalTransition), errors
    assert "已通过" in str(errors[0])
    assert ApplicationEvent.objects.filter(application=application, to_status=Status.APPROVED).count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.TRANSITION, detail__transition=Action.APPROVE).count() == 1
    application.refresh_from_db()
    assert application.status == Status.APPROVED


# Sending in requested material.


@pytest.fixture
def needs_hukou(make_case, reviewer):
    """A case whose reviewer asked for both pages of the household register."""
    application = make_case()
    application_transition(application=application, action=Action.START_REVIEW, actor=reviewer)
    application_transition(
        application=application,
        action=Action.REQUEST_MORE,
        actor=reviewer,
        note="请补拍户口簿首页和本人页。",
        missing_document_codes=["hukou"],
    )
    return application


def test_one_page_of_two_keeps_the_case_waiting_for_the_other(needs_hukou):
    case = application_add_documents(application=needs_hukou, uploads=[("hukou", 1, processed_photo(1))])
    assert case.status == Status.NEEDS_MORE
    supplement = Document.objects.get(application=needs_hukou, document_type__code="hukou")
    assert (supplement.page, supplement.supplement) == (1, True)
    assert [(gap.document_type.code, gap.page) for gap in outstanding_pages(case)] == [("hukou", 2)]
    assert list(case.missing_documents.values_list("code", flat=True)) == ["hukou"]


def test_the_last_requested_page_sends_the_case_back_to_review(needs_hukou, worker):
    application_add_documents(application=needs_hukou, uploads=[("hukou", 1, processed_photo(1))])
    case = application_add_documents(
        application=needs_hukou, uploads=[("hukou", 2, processed_photo(2))], actor=worker, via=Via.BACK_OFFICE
    )
    case.refresh_from_db()
    assert case.status == Status.RESUBMITTED
    assert case.missing_documents.count() == 0
    supplements = Document.objects.filter(application=case, document_type__code="hukou")
    assert sorted(supplements.values_list("page", "supplement")) == [(1, True), (2, True)]
    event = case.events.last()
    assert (event.from_status, event.to_status, event.actor, event.channel) == (
        Status.NEEDS_MORE,
        Status.RESUBMITTED,
        worker,
        Via.BACK_OFFICE,
    )
    assert AuditEntry.objects.filter(action=AuditAction.ADD_DOCUMENTS, reference=case.reference).count() == 2


def test_every_requested_page_at_once_sends_the_case_back_to_review(needs_hukou):
    case = application_add_documents(
        application=needs_hukou, uploads=[("hukou", 1, processed_photo(1)), ("hukou", 2, processed_photo(2))]
    )
    assert case.status == Status.RESUBMITTED
    assert outstanding_pages(case) == []
    # The original documents are untouched and not marked as new.
    assert not Document.objects.filter(application=case, supplement=True).exclude(document_type__code="hukou").exists()


def test_a_second_request_asks_for_the_pages_again(needs_hukou, reviewer):
    """Pages sent for an earlier request do not count for a new one (the photo was unreadable)."""
    application_add_documents(
        application=needs_hukou, uploads=[("hukou", 1, processed_photo(1)), ("hukou", 2, processed_photo(2))]
    )
    application_transition(application=needs_hukou, action=Action.START_REVIEW, actor=reviewer)
    application_transition(
        application=needs_hukou,
        action=Action.REQUEST_MORE,
        actor=reviewer,
        note="户口簿本人页看不清，请重新拍一张。",
        missing_document_codes=["hukou"],
    )
    needs_hukou.refresh_from_db()
    assert [(gap.document_type.code, gap.page) for gap in outstanding_pages(needs_hukou)] == [("hukou", 1), ("hukou", 2)]
    case = application_add_documents(application=needs_hukou, uploads=[("hukou", 2, processed_photo(3))])
    assert case.status == Status.NEEDS_MORE


def test_material_is_not_taken_when_none_was_asked_for(make_case, private_storage):
    application = make_case()
    before = set(stored_files(private_storage))
    with pytest.raises(IllegalTransition):
        application_add_documents(application=application, uploads=[("hukou", 1, processed_photo())])
    assert set(stored_files(private_storage)) == before
    assert not Document.objects.filter(application=application, supplement=True).exists()
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


@pytest.mark.parametrize(("code", "page"), [("bank_card", 1), ("hukou", 3)], ids=["other-document", "no-such-page"])
def test_a_document_that_was_not_requested_is_refused_and_leaves_no_file(needs_hukou, private_storage, code, page):
    before = set(stored_files(private_storage))
    with pytest.raises(ValidationFailed):
        application_add_documents(
            application=needs_hukou, uploads=[("hukou", 1, processed_photo(1)), (code, page, processed_photo(2))]
        )
    assert set(stored_files(private_storage)) == before
    assert not Document.objects.filter(application=needs_hukou, supplement=True).exists()
    needs_hukou.refresh_from_db()
    assert needs_hukou.status == Status.NEEDS_MORE


def test_nothing_to_upload_is_refused(needs_hukou):
    with pytest.raises(ValidationFailed):
        application_add_documents(application=needs_hukou, uploads=[])


# The same, through the case page.


def test_a_reviewer_on_a_stale_page_is_told_the_case_has_changed(client, reviewer, other_reviewer, make_case):
    application = make_case()
    application_transition(application=application, action=Action.START_REVIEW, actor=other_reviewer)
    application_transition(application=application, action=Action.APPROVE, actor=other_reviewer)
    sign_in(client, reviewer)
    # The page was opened while the case was 审核中; meanwhile a colleague approved it.
    response = client.post(
        f"/staff/cases/{application.reference}/actions/reject/", {"expected_status": "in_review", "note": "不符合条件"}
    )
    assert response["Location"] == f"/staff/cases/{application.reference}/"
    page = client.get(response["Location"]).content.decode()
    assert "刚刚已被别人处理" in page and "已通过" in page
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert application.events.filter(to_status=Status.REJECTED).count() == 0


def test_a_rejection_without_a_reason_is_sent_back_with_the_question_marked(client, reviewer, make_case):
    application = make_case()
    application_transition(application=application, action=Action.START_REVIEW, actor=reviewer)
    sign_in(client, reviewer)
    response = client.post(
        f"/staff/cases/{application.reference}/actions/reject/", {"expected_status": "in_review", "note": " "}
    )
    assert response.status_code == 400
    assert response.context["open_action"] == Action.REJECT
    assert "请写明不通过的原因" in response.content.decode()
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW


def test_a_payment_is_recorded_from_the_case_page(client, reviewer, make_case):
    application = make_case()
    for action in (Action.START_REVIEW, Action.APPROVE):
        application_transition(application=application, action=action, actor=reviewer)
    sign_in(client, reviewer)
    paid_on = TODAY - dt.timedelta(days=1)
    response = client.post(
        f"/staff/cases/{application.reference}/actions/record_payment/",
        {"expected_status": "approved", "amount": "3000.00", "paid_on": paid_on.isoformat(), "method": "bank_transfer"},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.paid_amount, application.paid_on) == (Status.PAID, Decimal("3000.00"), paid_on)
    assert "3000.00" in client.get(f"/staff/cases/{application.reference}/").content.decode()


def test_a_worker_sends_in_the_requested_pages_from_the_residents_home(client, worker, reviewer, make_case, private_storage):
    application = make_case(neighbourhood="yongtai", block="block-241")
    application_transition(application=application, action=Action.START_REVIEW, actor=reviewer)
    application_transition(
        application=application, action=Action.REQUEST_MORE, actor=reviewer, note="请补拍户口簿", missing_document_codes=["hukou"]
    )
    sign_in(client, worker)
    url = f"/staff/cases/{application.reference}/documents/"

    def photo(seed):
        return SimpleUploadedFile("hukou.jpg", photo_bytes(seed=seed, size=(640, 400)), content_type="image/jpeg")

    assert client.post(url, {"doc_hukou_1": photo(1)}).status_code == 302
    application.refresh_from_db()
    assert application.status == Status.NEEDS_MORE
    page = client.get(f"/staff/cases/{application.reference}/")
    assert [(gap.document_type.code, gap.page) for gap in page.context["outstanding"]] == [("hukou", 2)]

    files_before = len(stored_files(private_storage))
    client.post(url, {"doc_hukou_2": photo(2), "doc_bank_card_1": photo(3)})  # the bank card was not asked for
    application.refresh_from_db()
    assert application.status == Status.RESUBMITTED
    assert len(stored_files(private_storage)) == files_before + 1
    uploaded = application.documents.filter(supplement=True)
    assert sorted(uploaded.values_list("document_type__code", "page")) == [("hukou", 1), ("hukou", 2)]
    assert set(uploaded.values_list("uploaded_by", flat=True)) == {worker.pk}
    assert application.events.last().channel == Via.BACK_OFFICE


def test_a_worker_asks_for_more_material_from_the_case_page(client, worker, make_case):
    application = make_case(neighbourhood="yongtai", block="block-241")
    sign_in(client, worker)
    url = f"/staff/cases/{application.reference}/actions/"
    assert client.post(url + "start_review/", {"expected_status": "submitted"}).status_code == 302
    response = client.post(
        url + "request_more/",
        {"expected_status": "in_review", "missing_documents": ["hukou", "bank_card"], "note": "请补拍户口簿和银行卡。"},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.NEEDS_MORE
    assert sorted(application.missing_documents.values_list("code", flat=True)) == ["bank_card", "hukou"]
    page = client.get(f"/staff/cases/{application.reference}/")
    assert "请补拍户口簿和银行卡。" in page.content.decode()  # in the case's history
    assert len(page.context["outstanding"]) == 3  # both pages of the register, the bank card
