"""A committee worker files an application for a resident at their home (上门)."""

import pytest
from django.test import Client

from jiedao.core.models import AuditAction, AuditEntry, Role
from jiedao.intake.lifecycle import Status
from jiedao.intake.models import Application, Channel, Draft
from tests.conftest import next_url, sign_in
from tests.factories import make_staff
from tests.review.conftest import FILING_ID_NUMBER, file_for_resident


def test_a_worker_files_for_a_resident_at_home(client, worker):
    sign_in(client, worker)
    response = file_for_resident(client, channel="home_visit")
    application = Application.objects.get()
    assert next_url(response) == f"/staff/cases/{application.reference}/"
    assert (application.channel, application.filed_by, application.status) == (Channel.HOME_VISIT, worker, Status.SUBMITTED)
    assert (application.applicant_name, application.id_number, application.neighbourhood.code) == (
        "俞秀珍",
        FILING_ID_NUMBER,
        "yongtai",
    )
    assert application.documents.count() == 4  # ID card front and back, bank card, disability certificate
    first = application.events.get()
    assert (first.actor, first.channel) == (worker, Channel.HOME_VISIT)
    audit = AuditEntry.objects.get(action=AuditAction.FILE_APPLICATION)
    assert (audit.actor, audit.reference, audit.ip_address, audit.detail["channel"]) == (
        worker,
        application.reference,
        "10.20.30.40",
        Channel.HOME_VISIT,
    )
    # The worker lands on the case page, with the reference to read out to the resident.
    page = client.get(next_url(response))
    assert page.status_code == 200
    assert application.reference in page.content.decode()


def test_a_worker_files_only_for_their_own_neighbourhood(client, worker, programme):
    sign_in(client, worker)
    client.post("/staff/file/JGBK/start/")
    client.post("/staff/file/JGBK/step/channel/", {"channel": "phone"})
    client.post("/staff/file/JGBK/step/who/", {"who": "self"})
    client.post(
        "/staff/file/JGBK/step/applicant/", {"name": "俞秀珍", "id_number": FILING_ID_NUMBER, "phone": "13911112222"}
    )
    address = "/staff/file/JGBK/step/address/"
    page = client.get(address)
    choices = [code for code, _label in page.context["form"].fields["neighbourhood"].choices]
    assert choices == ["yongtai"]
    refused = client.post(
        address,
        {"neighbourhood": "zhijiangxincun", "block": "yuqun-west", "address_road": "芷江中路", "address_number": "300"},
    )
    assert refused.status_code == 200
    assert "neighbourhood" in refused.context["form"].errors
    assert Draft.objects.get().answers.get("neighbourhood") is None
    # Jumping ahead does not get round the question.
    assert client.get("/staff/file/JGBK/step/categories/")["Location"].endswith("/step/address/")
    assert Application.objects.count() == 0


def test_a_reviewer_files_for_any_neighbourhood(client, reviewer):
    sign_in(client, reviewer)
    response = file_for_resident(client, channel="counter", neighbourhood="zhijiangxincun")
    application = Application.objects.get()
    assert next_url(response) == f"/staff/cases/{application.reference}/"
    assert (application.channel, application.filed_by, application.neighbourhood.code) == (
        Channel.COUNTER,
        reviewer,
        "zhijiangxincun",
    )


@pytest.mark.parametrize("channel", ["online", "partner", "proxy"])
def test_staff_cannot_pass_a_filing_off_as_the_residents_own(client, worker, programme, channel):
    sign_in(client, worker)
    client.post("/staff/file/JGBK/start/")
    response = client.post("/staff/file/JGBK/step/channel/", {"channel": channel})
    assert response.status_code == 200
    assert "channel" in response.context["form"].errors


def test_one_workers_unfinished_filing_is_not_anothers(client, worker, programme):
    sign_in(client, worker)
    client.post("/staff/file/JGBK/start/")
    client.post("/staff/file/JGBK/step/channel/", {"channel": "phone"})
    colleague = Client()
    sign_in(colleague, make_staff("worker_yt2", Role.WORKER, ["yongtai"]))
    # A fresh session starts its own draft at the first question.
    assert next_url(colleague.post("/staff/file/JGBK/start/")).endswith("/step/channel/")
    assert Draft.objects.count() == 2
