"""The audit trail: what staff looked at and did, from where; written once and never changed."""

import pytest
from django.db import transaction
from django.db.models.deletion import ProtectedError

from jiedao.core.models import AuditAction, AuditEntry
from jiedao.intake.lifecycle import Action, Status
from jiedao.intake.models import Application
from jiedao.intake.transitions import application_transition
from tests.conftest import queue_get, sign_in
from tests.review.conftest import file_for_resident

IP = "10.1.2.3"


@pytest.fixture
def case(make_case):
    return make_case(name="张志远", neighbourhood="zhijiangxincun")


def only_entry(**expected):
    entry = AuditEntry.objects.get()  # exactly one was written
    for field, value in expected.items():
        assert getattr(entry, field) == value, field
    return entry


def test_viewing_a_case_is_recorded(client, reviewer, case):
    sign_in(client, reviewer)
    assert client.get(f"/staff/cases/{case.reference}/", REMOTE_ADDR=IP).status_code == 200
    only_entry(actor=reviewer, action=AuditAction.VIEW_CASE, reference=case.reference, ip_address=IP)


def test_viewing_a_document_photo_is_recorded(client, reviewer, case):
    document = case.documents.first()
    sign_in(client, reviewer)
    assert client.get(f"/staff/documents/{document.pk}/", REMOTE_ADDR=IP).status_code == 200
    entry = only_entry(actor=reviewer, action=AuditAction.VIEW_DOCUMENT, reference=case.reference, ip_address=IP)
    assert entry.detail["document"] == document.pk


def test_a_search_is_recorded_with_the_number_of_results(client, reviewer, case, make_case):
    make_case(name="张伟", phone="13900000009")
    sign_in(client, reviewer)
    queue_get(client, {"q": "张"}, **{"REMOTE_ADDR": IP})
    entry = only_entry(actor=reviewer, action=AuditAction.SEARCH, ip_address=IP)
    assert entry.detail["results"] == 2
    assert entry.detail["kind"] == "name"
    assert case.reference in entry.detail["references"]


def test_the_queue_without_a_search_is_not_recorded(client, reviewer, case):
    sign_in(client, reviewer)
    client.get("/staff/", {"status": "submitted"})
    assert AuditEntry.objects.count() == 0


def test_a_search_that_finds_nothing_is_recorded_too(client, reviewer, case):
    sign_in(client, reviewer)
    queue_get(client, {"q": "13700000000"}, **{"REMOTE_ADDR": IP})
    entry = only_entry(actor=reviewer, action=AuditAction.SEARCH, ip_address=IP)
    assert (entry.detail["results"], entry.detail["kind"]) == (0, "phone")


def test_a_transition_is_recorded(client, reviewer, case):
    sign_in(client, reviewer)
    response = client.post(
        f"/staff/cases/{case.reference}/actions/{Action.START_REVIEW}/", {"expected_status": Status.SUBMITTED}, REMOTE_ADDR=IP
    )
    assert response.status_code == 302
    entry = only_entry(actor=reviewer, action=AuditAction.TRANSITION, reference=case.reference, ip_address=IP)
    assert entry.detail["transition"] == Action.START_REVIEW


def test_a_refused_transition_leaves_no_entry(client, reviewer, case):
    sign_in(client, reviewer)
    response = client.post(
        f"/staff/cases/{case.reference}/actions/{Action.APPROVE}/", {"expected_status": Status.SUBMITTED}, REMOTE_ADDR=IP
    )
    assert response.status_code == 302  # back to the case page with the reason
    assert AuditEntry.objects.count() == 0
    assert Application.objects.get(pk=case.pk).status == Status.SUBMITTED


def test_a_staff_filing_is_recorded(client, worker):
    sign_in(client, worker)
    file_for_resident(client)
    application = Application.objects.get()
    only_entry(actor=worker, action=AuditAction.FILE_APPLICATION, reference=application.reference, ip_address="10.20.30.40")


def test_the_audit_trail_cannot_be_changed_or_deleted(client, reviewer, case):
    sign_in(client, reviewer)
    client.get(f"/staff/cases/{case.reference}/", REMOTE_ADDR=IP)
    entry = AuditEntry.objects.get()
    entry.reference = "JGBK-2000-00001"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(reference="")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEntry.objects.bulk_update([entry], ["reference"])
    with pytest.raises(ProtectedError), transaction.atomic():
        reviewer.delete()  # the person stays on record with what they did
    fresh = AuditEntry.objects.get()
    assert (fresh.pk, fresh.reference, fresh.actor, fresh.ip_address) == (entry.pk, case.reference, reviewer, IP)


@pytest.fixture
def trail(client, reviewer, make_case):
    """A reviewer's morning: two cases looked at, one searched for, one moved on."""
    first = make_case(name="张志远")
    second = make_case(name="李桂兰", phone="13900000003")
    sign_in(client, reviewer)
    client.get(f"/staff/cases/{first.reference}/")
    client.get(f"/staff/cases/{second.reference}/")
    queue_get(client, {"q": "zzy"})
    application_transition(application=second, action=Action.START_REVIEW, actor=reviewer)
    client.logout()
    return first, second


@pytest.mark.parametrize("reader", ["leader", "admin_user"])
def test_the_leadership_and_administrators_read_the_trail(client, request, trail, reader):
    first, second = trail
    sign_in(client, request.getfixturevalue(reader))
    everything = client.get("/staff/audit/")
    assert everything.status_code == 200
    assert len(everything.context["page"].object_list) == 4
    assert "no-store" in everything["Cache-Control"]

    views = client.get("/staff/audit/", {"action": AuditAction.VIEW_CASE})
    assert {e.reference for e in views.context["page"].object_list} == {first.reference, second.reference}

    of_second = client.get("/staff/audit/", {"reference": second.reference.lower()})
    assert [e.action for e in of_second.context["page"].object_list] == [AuditAction.TRANSITION, AuditAction.VIEW_CASE]

    both = client.get("/staff/audit/", {"action": AuditAction.TRANSITION, "reference": first.reference})
    assert list(both.context["page"].object_list) == []

    by_actor = client.get("/staff/audit/", {"actor": "reviewer"})
    assert len(by_actor.context["page"].object_list) == 4


@pytest.mark.parametrize("reader", ["worker", "reviewer"])
def test_workers_and_reviewers_cannot_read_the_trail(client, request, trail, reader):
    sign_in(client, request.getfixturevalue(reader))
    assert client.get("/staff/audit/").status_code == 404
    assert client.get("/staff/audit/", {"action": AuditAction.VIEW_CASE}).status_code == 404


def test_the_trail_shows_details_in_words_not_raw_data(client, reviewer, leader, case):
    document = case.documents.select_related("document_type").first()
    sign_in(client, reviewer)
    client.get(f"/staff/documents/{document.pk}/")
    client.get("/staff/export/applications.xlsx")
    sign_in(client, leader)
    page = client.get("/staff/audit/").content.decode()
    assert "{&#x27;document&#x27;" not in page and "{'document'" not in page
    assert f"材料：{document.document_type.display_name}" in page
    assert "导出内容：申请列表" in page and "完整身份证号码：是" in page
