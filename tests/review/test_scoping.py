"""Who sees which case: a committee worker only their own neighbourhood, everything else a 404."""

from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.intake.lifecycle import Action, Status
from jiedao.intake.models import Application
from jiedao.intake.transitions import application_transition
from tests.conftest import photo_bytes, queue_get, sign_in
from tests.factories import make_staff


@pytest.fixture
def zj_case(make_case):
    """张志远 of 芷江新村."""
    return make_case(name="张志远", phone="13812345678", neighbourhood="zhijiangxincun", block="yuqun-west")


@pytest.fixture
def yt_case(make_case):
    """周建国 of 永太."""
    return make_case(name="周建国", phone="13900000004", neighbourhood="yongtai", block="block-241", address_road="永太路")


def action_data(application):
    return {
        "expected_status": application.status,
        "note": "说明",
        "missing_documents": ["hukou"],
        "amount": "3000",
        "paid_on": "2020-01-01",
        "method": "cash",
    }


def queue_references(client, **params):
    response = queue_get(client, params)
    assert response.status_code == 200
    return {application.reference for application in response.context["page"].object_list}, response


def test_a_worker_cannot_open_a_case_of_another_neighbourhood(client, worker, zj_case):
    sign_in(client, worker)
    assert client.get(f"/staff/cases/{zj_case.reference}/").status_code == 404
    for document in zj_case.documents.all():
        assert client.get(f"/staff/documents/{document.pk}/").status_code == 404


@pytest.mark.parametrize("action", list(Action))
def test_a_worker_can_take_no_action_on_a_case_of_another_neighbourhood(client, worker, reviewer, zj_case, action):
    if action in (Action.REQUEST_MORE, Action.WITHDRAW):
        # Actions a worker could take on a case of their own, in a status where they are allowed.
        application_transition(application=zj_case, action=Action.START_REVIEW, actor=reviewer)
        zj_case.refresh_from_db()
    before = (zj_case.status, zj_case.events.count())
    sign_in(client, worker)
    response = client.post(f"/staff/cases/{zj_case.reference}/actions/{action}/", action_data(zj_case))
    assert response.status_code == 404
    zj_case.refresh_from_db()
    assert (zj_case.status, zj_case.events.count()) == before


def test_a_worker_cannot_send_in_material_for_a_case_of_another_neighbourhood(client, worker, reviewer, zj_case):
    application_transition(application=zj_case, action=Action.START_REVIEW, actor=reviewer)
    application_transition(
        application=zj_case, action=Action.REQUEST_MORE, actor=reviewer, note="请补拍银行卡", missing_document_codes=["bank_card"]
    )
    sign_in(client, worker)
    photo = SimpleUploadedFile("bank.jpg", photo_bytes(size=(640, 400)), content_type="image/jpeg")
    response = client.post(f"/staff/cases/{zj_case.reference}/documents/", {"doc_bank_card_1": photo})
    assert response.status_code == 404
    zj_case.refresh_from_db()
    assert zj_case.status == Status.NEEDS_MORE
    assert not zj_case.documents.filter(supplement=True).exists()


def test_a_worker_does_not_find_a_case_of_another_neighbourhood(client, worker, zj_case, yt_case):
    sign_in(client, worker)
    references, response = queue_references(client)
    assert references == {yt_case.reference}
    assert zj_case.reference not in response.content.decode()
    for q in (zj_case.reference, zj_case.reference.lower(), "13812345678", "zhangzhiyuan", "zzy", "张志远"):
        references, response = queue_references(client, q=q)
        assert references == set(), q
        # The page repeats what was typed (search box, language link); nothing else of the case.
        html = response.content.decode().replace(q, "").replace(quote(q), "")
        assert f"/staff/cases/{zj_case.reference}/" not in html
        assert zj_case.reference not in html and "张志远" not in html, q


def test_a_worker_sees_and_works_on_the_cases_of_their_own_neighbourhood(client, worker, yt_case):
    sign_in(client, worker)
    assert queue_references(client, q="zjg")[0] == {yt_case.reference}
    page = client.get(f"/staff/cases/{yt_case.reference}/")
    assert page.status_code == 200
    assert "周建国" in page.content.decode()
    document = yt_case.documents.first()
    assert client.get(f"/staff/documents/{document.pk}/").status_code == 200
    response = client.post(
        f"/staff/cases/{yt_case.reference}/actions/start_review/", action_data(yt_case)
    )
    assert response.status_code == 302
    yt_case.refresh_from_db()
    assert yt_case.status == Status.IN_REVIEW


def test_a_worker_cannot_decide_even_on_their_own_cases(client, worker, reviewer, yt_case):
    application_transition(application=yt_case, action=Action.START_REVIEW, actor=reviewer)
    yt_case.refresh_from_db()
    sign_in(client, worker)
    page = client.get(f"/staff/cases/{yt_case.reference}/")
    offered = {action for action, _label, _form in page.context["action_forms"]}
    assert offered == {Action.REQUEST_MORE, Action.WITHDRAW}
    for action in (Action.APPROVE, Action.REJECT):
        assert client.post(f"/staff/cases/{yt_case.reference}/actions/{action}/", action_data(yt_case)).status_code == 404
    yt_case.refresh_from_db()
    assert yt_case.status == Status.IN_REVIEW


def test_a_reviewer_sees_every_neighbourhood(client, reviewer, zj_case, yt_case):
    sign_in(client, reviewer)
    assert queue_references(client)[0] == {zj_case.reference, yt_case.reference}
    for case in (zj_case, yt_case):
        assert client.get(f"/staff/cases/{case.reference}/").status_code == 200
        assert client.get(f"/staff/documents/{case.documents.first().pk}/").status_code == 200


def test_the_leadership_reads_everything_and_changes_nothing(client, leader, zj_case, yt_case):
    sign_in(client, leader)
    assert queue_references(client)[0] == {zj_case.reference, yt_case.reference}
    page = client.get(f"/staff/cases/{zj_case.reference}/")
    assert page.status_code == 200
    assert page.context["action_forms"] == []
    html = page.content.decode()
    assert "/actions/" not in html and f"/cases/{zj_case.reference}/documents/" not in html
    for action in Action:
        response = client.post(f"/staff/cases/{zj_case.reference}/actions/{action}/", action_data(zj_case))
        assert response.status_code == 404, action
    photo = SimpleUploadedFile("bank.jpg", photo_bytes(size=(640, 400)), content_type="image/jpeg")
    assert client.post(f"/staff/cases/{zj_case.reference}/documents/", {"doc_bank_card_1": photo}).status_code == 404
    zj_case.refresh_from_db()
    assert zj_case.status == Status.SUBMITTED and zj_case.events.count() == 1


def test_the_leadership_cannot_file_applications(client, leader, programme):
    sign_in(client, leader)
    assert client.get("/staff/file/").status_code == 404
    assert client.get("/staff/file/JGBK/").status_code == 404
    assert client.post("/staff/file/JGBK/start/").status_code == 404
    assert client.get("/staff/file/JGBK/step/channel/").status_code == 404
    assert "/staff/file/" not in client.get("/staff/").content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_anyone_not_signed_in_is_sent_to_sign_in(client, zj_case, method):
    document = zj_case.documents.first()
    urls = [
        "/staff/",
        f"/staff/cases/{zj_case.reference}/",
        f"/staff/documents/{document.pk}/",
        "/staff/file/",
        "/staff/audit/",
    ]
    if method == "post":
        urls = [f"/staff/cases/{zj_case.reference}/actions/{Action.START_REVIEW}/", "/staff/file/JGBK/start/"]
    for url in urls:
        response = getattr(client, method)(url, {"expected_status": Status.SUBMITTED} if method == "post" else {})
        assert response.status_code == 302, url
        assert response["Location"].startswith("/staff/login/?next="), url
    zj_case.refresh_from_db()
    assert zj_case.status == Status.SUBMITTED


@pytest.mark.parametrize("is_staff", [True, False], ids=["staff-flag", "no-staff-flag"])
def test_a_signed_in_user_without_a_staff_role_gets_nothing(client, zj_case, is_staff):
    user = get_user_model().objects.create_user("someone", is_staff=is_staff)
    sign_in(client, user)
    for url in ("/staff/", f"/staff/cases/{zj_case.reference}/", f"/staff/documents/{zj_case.documents.first().pk}/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/staff/cases/{zj_case.reference}/actions/withdraw/", {"expected_status": "submitted"}).status_code == 404
    zj_case.refresh_from_db()
    assert zj_case.status == Status.SUBMITTED


def test_a_superuser_without_a_profile_is_an_administrator(client, zj_case):
    user = get_user_model().objects.create_superuser("root", email=None, password=None)
    sign_in(client, user)
    assert client.get(f"/staff/cases/{zj_case.reference}/").status_code == 200


def test_a_staff_member_whose_account_is_switched_off_is_refused(client, reviewer, zj_case):
    sign_in(client, reviewer)
    assert client.get(f"/staff/cases/{zj_case.reference}/").status_code == 200
    get_user_model().objects.filter(pk=reviewer.pk).update(is_active=False)
    for response in (
        client.get(f"/staff/cases/{zj_case.reference}/"),
        client.get(f"/staff/documents/{zj_case.documents.first().pk}/"),
        client.post(f"/staff/cases/{zj_case.reference}/actions/start_review/", {"expected_status": "submitted"}),
    ):
        assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
    assert Application.objects.get(pk=zj_case.pk).status == Status.SUBMITTED


def test_a_switched_off_account_cannot_sign_in_again(client, settings, programme):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; hashing is not under test
    user = make_staff("reviewer", "reviewer")
    user.set_password("a-long-password-1")
    user.save()
    signed_in = client.post("/staff/login/", {"username": "reviewer", "password": "a-long-password-1"})
    # The right password leads on to the second factor.
    assert signed_in.status_code == 302 and signed_in["Location"].startswith("/staff/login/code/")
    client.logout()
    user.is_active = False
    user.save()
    refused = client.post("/staff/login/", {"username": "reviewer", "password": "a-long-password-1"})
    assert refused.status_code == 200  # the sign-in page again, with an error
    assert client.get("/staff/").status_code == 302


def test_a_worker_removed_from_a_neighbourhood_loses_its_cases(client, worker, yt_case):
    sign_in(client, worker)
    assert client.get(f"/staff/cases/{yt_case.reference}/").status_code == 200
    worker.staff_profile.neighbourhoods.clear()
    assert client.get(f"/staff/cases/{yt_case.reference}/").status_code == 404
    assert queue_references(client)[0] == set()


def test_a_worker_of_two_neighbourhoods_sees_both(client, zj_case, yt_case):
    both = make_staff("worker_two", "worker", ["zhijiangxincun", "yongtai"])
    sign_in(client, both)
    assert queue_references(client)[0] == {zj_case.reference, yt_case.reference}
