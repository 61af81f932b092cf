"""The queue exported to Excel: the same rows as on screen, ID numbers masked unless allowed."""

import io

import openpyxl
import pytest

from jiedao.core.models import AuditAction, AuditEntry
from jiedao.lib.validators import mask_id_number
from jiedao.intake.lifecycle import Action
from jiedao.intake.models import Application
from jiedao.intake.transitions import application_transition
from tests.conftest import sign_in


def workbook_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(workbook.worksheets[0].iter_rows(values_only=True))


@pytest.fixture
def cases(make_case, reviewer):
    made = [
        make_case(neighbourhood="yongtai", categories=["dibao", "disabled"]),
        make_case(neighbourhood="yongtai", categories=["elderly_alone"]),
        make_case(neighbourhood="zhijiangxincun", categories=["disabled"]),
    ]
    application_transition(application=made[0], action=Action.START_REVIEW, actor=reviewer)
    return made


def test_the_export_has_chinese_headers_and_the_filtered_rows(client, cases, reviewer):
    sign_in(client, reviewer)
    rows = workbook_rows(client.get("/staff/export/applications.xlsx", {"status": "submitted"}))
    assert rows[0][:3] == ("受理编号", "申请人", "身份证号码")
    assert {row[0] for row in rows[1:]} == {cases[1].reference, cases[2].reference}


def test_a_reviewer_gets_full_id_numbers_and_a_worker_masked_ones_of_their_own_area(client, cases, reviewer, worker):
    sign_in(client, reviewer)
    full = {row[0]: row[2] for row in workbook_rows(client.get("/staff/export/applications.xlsx"))[1:]}
    assert full[cases[0].reference] == cases[0].id_number
    sign_in(client, worker)
    masked = {row[0]: row for row in workbook_rows(client.get("/staff/export/applications.xlsx"))[1:]}
    assert set(masked) == {cases[0].reference, cases[1].reference}  # 永太 only
    assert masked[cases[0].reference][2] == mask_id_number(cases[0].id_number)
    assert masked[cases[0].reference][6] == "低保（纳保）家庭、残疾人"


def test_a_search_exports_what_it_found_and_keeps_the_text_out_of_the_address(client, cases, reviewer):
    sign_in(client, reviewer)
    location = client.post("/staff/", {"q": cases[2].phone[:3] + cases[2].phone[3:]})["Location"]
    assert cases[2].phone not in location
    rows = workbook_rows(client.get(location.replace("/staff/?", "/staff/export/applications.xlsx?")))
    assert len(rows) == 4  # the three share the test phone number


def test_every_export_is_in_the_audit_trail(client, cases, reviewer):
    sign_in(client, reviewer)
    client.get("/staff/export/applications.xlsx", {"status": "submitted"})
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == reviewer
    assert entry.detail["rows"] == 2 and entry.detail["full_id_numbers"] is True
    assert entry.detail["filters"]["status"] == "submitted"


def test_a_large_export_crosses_chunk_boundaries_without_losing_rows(client, make_case, reviewer):
    first = make_case(categories=["disabled"])
    # Copies made in bulk: the export is under test here, not the submission.
    copies = Application.objects.bulk_create(
        Application(
            **{f.attname: getattr(first, f.attname) for f in Application._meta.concrete_fields if f.attname != "id"}
            | {"reference": f"JGBK-2026-{n:05d}", "id_number": f"X{n:017d}", "idempotency_key": None, "status": "paid"}
        )
        for n in range(2, 2106)
    )
    category = first.categories.get()
    Application.categories.through.objects.bulk_create(
        Application.categories.through(application_id=copy.id, category_id=category.id) for copy in copies
    )
    sign_in(client, reviewer)
    rows = workbook_rows(client.get("/staff/export/applications.xlsx"))
    assert len(rows) == 2106
    assert all(row[6] == "残疾人" for row in rows[1:])


def test_a_worker_and_the_leader_get_phone_numbers_masked_as_on_screen(client, cases, reviewer, worker, leader):
    from jiedao.lib.validators import mask_phone

    for user in (worker, leader):
        sign_in(client, user)
        rows = workbook_rows(client.get("/staff/export/applications.xlsx"))[1:]
        assert rows
        assert all(row[3] == mask_phone(cases[0].phone) and "****" in row[3] for row in rows)
        queue = client.get("/staff/").content.decode()
        assert cases[0].phone not in queue  # the screen never showed the full number either
        client.logout()
    sign_in(client, reviewer)
    rows = workbook_rows(client.get("/staff/export/applications.xlsx"))[1:]
    assert {row[3] for row in rows} == {cases[0].phone}


@pytest.mark.parametrize(
    "url", ["/staff/export/applications.xlsx", "/staff/roster/template.xlsx", "/staff/dashboard/statistics.xlsx"]
)
def test_every_workbook_is_kept_by_no_cache(client, cases, reviewer, url):
    sign_in(client, reviewer)
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Cache-Control"] == "no-store, private"
