"""The household roster: imported whole or not at all, kept in versions, matched against cases."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.reports.models import RosterMatch, RosterVersion
from jiedao.reports.selectors import roster_match_of
from jiedao.reports.services import RosterRejected, roster_import
from tests.conftest import queue_get, sign_in
from tests.factories import valid_id_number

ZHANG = valid_id_number("19500101", 601)
WANG = valid_id_number("19520202", 602)
LI = valid_id_number("19550303", 603)


def roster_file(rows, *, headers=("旧改地块", "户号", "姓名", "身份证号码", "特殊对象类别", "备注")):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


GOOD = [
    ("育群中学西块", "A-101", "张志远", ZHANG, "残疾人", ""),
    ("241街坊", "B-7", "王秀英", WANG.lower(), "低保（纳保）家庭、残疾人", "纳保"),
]


def import_rows(programme, user, rows):
    return roster_import(programme=programme, fileobj=roster_file(rows), file_name="roster.xlsx", actor=user)


def test_the_template_has_the_columns_to_fill_in(client, reviewer):
    sign_in(client, reviewer)
    response = client.get("/staff/roster/template.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert next(workbook.worksheets[0].iter_rows(values_only=True)) == ("旧改地块", "户号", "姓名", "身份证号码", "特殊对象类别", "备注")


def test_a_good_roster_becomes_the_current_version(programme, reviewer):
    version = import_rows(programme, reviewer, GOOD)
    assert (version.number, version.row_count, version.is_current) == (1, 2, True)
    wang = version.entries.get(name="王秀英")
    assert wang.id_number == WANG.upper()
    assert {c.code for c in wang.categories.all()} == {"dibao", "disabled"}


def test_a_roster_with_bad_rows_is_refused_with_a_report_and_the_old_one_stays(programme, reviewer):
    first = import_rows(programme, reviewer, GOOD)
    bad = GOOD + [
        ("999街坊", "", "赵六", LI, "残疾人", ""),
        ("241街坊", "", "", valid_id_number("19600101", 604), "残疾人", ""),
        ("241街坊", "", "钱七", "110105491231002", "残疾人", ""),
        ("241街坊", "", "孙八", valid_id_number("19600505", 605), "外星人", ""),
        ("241街坊", "", "张志远", ZHANG, "残疾人", ""),
    ]
    with pytest.raises(RosterRejected) as rejected:
        import_rows(programme, reviewer, bad)
    report = {(error.row, error.column) for error in rejected.value.errors}
    assert report == {(4, "旧改地块"), (5, "姓名"), (6, "身份证号码"), (7, "特殊对象类别"), (8, "身份证号码")}
    messages = " ".join(error.message for error in rejected.value.errors)
    assert "999街坊" in messages and "外星人" in messages and "18位" in messages and "第 2 行" in messages
    assert RosterVersion.objects.count() == 1
    first.refresh_from_db()
    assert first.is_current


def test_a_new_import_replaces_the_roster_and_keeps_the_old_version(programme, reviewer):
    first = import_rows(programme, reviewer, GOOD)
    second = import_rows(programme, reviewer, GOOD[:1])
    first.refresh_from_db()
    assert (first.is_current, second.is_current, second.number) == (False, True, 2)
    assert first.entries.count() == 2  # kept for the record


def test_a_file_that_is_not_excel_is_refused_clearly(client, programme, reviewer):
    sign_in(client, reviewer)
    upload = SimpleUploadedFile("roster.xlsx", b"name,id\n", content_type="text/csv")
    response = client.post("/staff/roster/", {"programme": "JGBK", "file": upload})
    assert response.status_code == 400
    assert "不是Excel" in response.content.decode()


def test_the_roster_page_reports_each_bad_row(client, programme, reviewer):
    sign_in(client, reviewer)
    upload = SimpleUploadedFile("roster.xlsx", roster_file([("241街坊", "", "孙八", ZHANG, "外星人", "")]).read())
    response = client.post("/staff/roster/", {"programme": "JGBK", "file": upload})
    page = response.content.decode()
    assert response.status_code == 400
    assert "没有导入，原来的名单继续使用" in page and "外星人" in page


def test_only_the_renovation_office_imports_and_workers_do_not_see_the_roster(client, programme, worker, leader):
    sign_in(client, worker)
    assert client.get("/staff/roster/").status_code == 404
    sign_in(client, leader)
    assert client.get("/staff/roster/").status_code == 200
    upload = SimpleUploadedFile("roster.xlsx", roster_file(GOOD).read())
    assert client.post("/staff/roster/", {"programme": "JGBK", "file": upload}).status_code == 404
    assert RosterVersion.objects.count() == 0


def test_each_case_is_matched_against_the_current_roster(programme, reviewer, make_case, client):
    same = make_case(id_number=ZHANG, categories=["disabled"])
    other = make_case(id_number=WANG, categories=["elderly_alone", "disabled"])
    absent = make_case(id_number=LI, categories=["disabled"])
    assert roster_match_of(same) is None  # no roster yet
    import_rows(programme, reviewer, GOOD)
    assert roster_match_of(same) == RosterMatch.SAME_CATEGORY
    assert roster_match_of(other) == RosterMatch.OTHER_CATEGORY
    assert roster_match_of(absent) == RosterMatch.NOT_ON_ROSTER

    sign_in(client, reviewer)
    for match, expected in (("same", same), ("other", other), ("absent", absent)):
        page = queue_get(client, {"roster": match})
        assert [a.reference for a in page.context["page"].object_list] == [expected.reference]
    assert "类别不同" in client.get(f"/staff/cases/{other.reference}/").content.decode()
