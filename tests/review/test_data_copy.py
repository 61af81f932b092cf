"""A resident's copy of their data: a ZIP of everything held about the application, downloaded by
the renovation office on request, and audited."""

import io
import json
import zipfile

import pytest

from jiedao.core.models import AuditAction, AuditEntry
from jiedao.intake.lifecycle import Action
from jiedao.intake.transitions import application_transition
from tests.conftest import sign_in


@pytest.fixture
def case(make_case, reviewer):
    application = make_case(
        who="proxy", proxy_name="李建华", proxy_phone="13900000013", proxy_relationship="child", household_note="独居。"
    )
    application_transition(application=application, action=Action.START_REVIEW, actor=reviewer)
    application_transition(
        application=application, action=Action.REQUEST_MORE, actor=reviewer, note="请补拍户口簿。", missing_document_codes=["hukou"]
    )
    return application


def download(client, case):
    return client.post(f"/staff/cases/{case.reference}/data-copy/")


def data_copy_entries():
    return AuditEntry.objects.filter(action=AuditAction.DATA_COPY)


def test_a_reviewer_downloads_everything_held_about_the_application(client, case, reviewer, private_storage):
    sign_in(client, reviewer)
    response = download(client, case)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="{case.reference}-data.zip"'
    assert "no-store" in response["Cache-Control"]

    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    assert data["reference"] == case.reference
    assert data["applicant"] == {"name": "张志远", "id_number": case.id_number, "phone": "13812345678"}
    assert data["proxy"] == {"name": "李建华", "phone": "13900000013", "relationship": "child"}
    assert data["household_note"] == "独居。"
    assert [e["to"] for e in data["history"]] == ["submitted", "in_review", "needs_more"]
    assert data["history"][-1]["note"] == "请补拍户口簿。"
    assert {sms["to"] for sms in data["sms"]} == {"13812345678", "13900000013"}
    # Every photo, byte for byte as stored.
    assert len(data["documents"]) == case.documents.count() == 4
    for document in case.documents.all():
        entry = next(d for d in data["documents"] if d["file"].endswith(f"-{document.pk}.jpg"))
        assert archive.read(entry["file"]) == (private_storage / document.file.name).read_bytes()

    summary = archive.read("摘要.txt").decode()
    assert case.reference in summary and "张志远" in summary and case.id_number in summary
    assert "需补充材料" in summary and "请补拍户口簿。" in summary

    entry = data_copy_entries().get()
    assert (entry.actor, entry.reference, entry.detail["photos"]) == (reviewer, case.reference, 4)


def test_the_summary_is_in_chinese_even_from_the_english_back_office(client, case, reviewer):
    sign_in(client, reviewer)
    response = client.post(f"/en/staff/cases/{case.reference}/data-copy/")
    assert response.status_code == 200
    summary = zipfile.ZipFile(io.BytesIO(response.content)).read("摘要.txt").decode()
    assert "受理编号" in summary and "办理经过" in summary


@pytest.mark.parametrize("who", ["zj_worker", "leader"])
def test_only_reviewers_and_administrators_may_download_a_copy(client, case, request, who):
    sign_in(client, request.getfixturevalue(who))
    assert client.get(f"/staff/cases/{case.reference}/").status_code == 200  # they do see the case
    assert download(client, case).status_code == 404
    assert not data_copy_entries().exists()


def test_an_administrator_may_download_a_copy(client, case, admin_user):
    sign_in(client, admin_user)
    assert download(client, case).status_code == 200
    assert data_copy_entries().get().actor == admin_user


def test_a_copy_is_never_made_by_a_plain_link(client, case, reviewer):
    """A prefetching browser or a pasted URL makes no export: only the form's POST does."""
    sign_in(client, reviewer)
    assert client.get(f"/staff/cases/{case.reference}/data-copy/").status_code == 405
    assert not data_copy_entries().exists()


def test_the_case_page_offers_the_copy_to_those_who_may_take_it(client, case, reviewer, zj_worker):
    sign_in(client, reviewer)
    assert "下载申请人信息副本" in client.get(f"/staff/cases/{case.reference}/").content.decode()
    sign_in(client, zj_worker)
    assert "下载申请人信息副本" not in client.get(f"/staff/cases/{case.reference}/").content.decode()
