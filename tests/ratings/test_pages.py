"""What a resident and staff see: the rating page from the SMS link (no JavaScript, nothing
typed lost), the messages for a used, expired or forged link, the public monthly summary, the
staff dashboard with overdue items in red, taking a rating face to face, and the export."""

import datetime as dt
import io
import json

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from jiedao.core.models import AuditEntry, Role
from jiedao.ratings import services
from jiedao.ratings.models import Channel, Rating
from tests.conftest import sign_in
from tests.factories import make_staff, rating_invitation

GOOD = {"overall": "5", "efficiency": "4", "guide_accuracy": "5", "convenience": "4", "platform": "5"}


@pytest.mark.django_db
def test_the_rating_page_asks_the_level_and_five_scores_without_script(client):
    _invitation, token = rating_invitation()
    page = client.get(f"/ratings/{token}/").content.decode()
    for text in ("非常满意", "基本满意", "非常不满意", "整体满意度", "办事效率", "办事指南精确度", "办事便捷度", "平台操作性"):
        assert text in page
    assert "旧改特殊对象帮困补助" in page
    assert "俞阿娥" not in page and "13812345678" not in page  # a forwarded link shows no one
    assert "<script>" not in page.replace('<script src=', "")


@pytest.mark.django_db
def test_a_missing_score_is_named_and_what_was_chosen_and_typed_is_kept(client):
    _invitation, token = rating_invitation()
    response = client.post(f"/ratings/{token}/", {"level": "2", **GOOD, "platform": "", "comment": "窗口排队太久"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "请修改下面的问题" in page and "请为“平台操作性”打分" in page
    assert "窗口排队太久" in page
    assert 'value="2" checked' in page or 'value="2"\n' not in page and 'checked' in page
    assert not Rating.objects.exists()


@pytest.mark.django_db
def test_a_rating_is_thanked_and_a_bad_one_is_promised_a_call_back(client, settings):
    settings.JIEDAO_RATING_RECTIFY_WORKING_DAYS = 15
    _invitation, token = rating_invitation()
    response = client.post(f"/ratings/{token}/", {"level": "1", **GOOD, "comment": "态度不好"})
    assert response.status_code == 302 and token not in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "谢谢您的评价" in page and "15 个工作日" in page
    rating = Rating.objects.get()
    assert rating.comment == "态度不好" and rating.rectification


@pytest.mark.django_db
def test_a_used_expired_or_forged_link_says_so_plainly(client):
    _invitation, token = rating_invitation()
    client.post(f"/ratings/{token}/", {"level": "5", **GOOD})
    used = client.get(f"/ratings/{token}/")
    assert used.status_code == 409 and "已经评价过了" in used.content.decode()
    again = client.post(f"/ratings/{token}/", {"level": "1", **GOOD})
    assert again.status_code == 409 and Rating.objects.get().level == 5

    _old, old_token = rating_invitation(ended_at=timezone.now() - dt.timedelta(days=40))
    expired = client.get(f"/ratings/{old_token}/")
    assert expired.status_code == 410 and "评价链接已过期" in expired.content.decode()

    forged = client.get(f"/ratings/{token[:-2]}zz/")
    assert forged.status_code == 404 and "评价链接不正确" in forged.content.decode()
    english = client.get(f"/en/ratings/{token[:-2]}zz/")
    assert english.status_code == 404 and "评价链接不正确" not in english.content.decode()


@pytest.mark.django_db
def test_the_public_summary_shows_the_month_and_the_share_satisfied_without_names(client):
    for level in ("5", "4", "1"):
        _invitation, token = rating_invitation()
        client.post(f"/ratings/{token}/", {"level": level, **GOOD, "comment": "隐私内容"})
    page = client.get("/ratings/").content.decode()
    now = timezone.localtime()
    assert f"{now.year}年{now.month}月" in page
    assert "共 3 件评价，满意率 66.7%" in page
    assert "俞阿娥" not in page and "隐私内容" not in page and "JGBK" not in page


@pytest.mark.django_db
def test_the_dashboard_shows_overdue_rectifications_in_red_to_the_neighbourhood_only(client, programme):
    worker = make_staff("worker_zjxc", Role.WORKER, ["zhijiangxincun"])
    other = make_staff("worker_yt", Role.WORKER, ["yongtai"])
    invitation, token = rating_invitation(handler_id=worker.pk)
    rating = services.rating_submit(token=token, level=1, indicators=GOOD)
    rating.rectification.__class__.objects.filter(pk=rating.rectification.pk).update(due_on=dt.date(2020, 1, 2))
    sign_in(client, worker)
    page = client.get("/staff/ratings/").content.decode()
    assert "data-overdue" in page and "rating-overdue" in page and "已超期" in page
    assert invitation.case_key in page and "共 1 件评价，满意率 0.0%" in page
    client.logout()
    sign_in(client, other)
    page = client.get("/staff/ratings/").content.decode()
    assert invitation.case_key not in page
    assert client.get(f"/staff/ratings/{rating.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_worker_takes_the_rating_on_the_spot_at_a_home_visit(client, programme):
    worker = make_staff("worker_zjxc", Role.WORKER, ["zhijiangxincun"])
    invitation, _token = rating_invitation(phone="")
    sign_in(client, worker)
    assert "当面评价" in client.get("/staff/ratings/").content.decode()
    response = client.post(f"/staff/ratings/take/{invitation.pk}/", {"level": "4", "overall": "5", "comment": "上门办的"})
    assert response.status_code == 302
    rating = Rating.objects.get()
    assert rating.channel == Channel.FACE_TO_FACE and rating.taken_by == worker and rating.efficiency is None
    page = client.get(response["Location"]).content.decode()
    assert "上门当面" in page
    assert AuditEntry.objects.filter(reference=invitation.case_key, action="view_case").exists()


@pytest.mark.django_db
def test_call_answer_and_appeal_from_the_rating_page(client, programme):
    reviewer = make_staff("reviewer", Role.REVIEWER)
    invitation, token = rating_invitation(handler_id=reviewer.pk)
    rating = services.rating_submit(token=token, level=2, indicators=GOOD)
    sign_in(client, reviewer)
    url = f"/staff/ratings/{rating.pk}/"
    page = client.get(url).content.decode()
    assert invitation.phone in page  # the owner calls back
    response = client.post(url, {"action": "answer", "answer": "已改进"})
    assert "请先电话回访评价人" in response.content.decode()
    client.post(url, {"action": "call", "called_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "call_outcome": "已沟通"})
    client.post(url, {"action": "answer", "answer": "已改进窗口排队"})
    rating.rectification.refresh_from_db()
    assert rating.rectification.answer == "已改进窗口排队"
    response = client.post(url, {"action": "appeal", "reason": "短"})
    assert "至少5个字" in response.content.decode()
    client.post(url, {"action": "appeal", "reason": "评价人说点错了，本意是满意"})
    assert rating.appeals.count() == 1


@pytest.mark.django_db
def test_the_export_has_the_provincial_platforms_fields_in_json_and_excel(client, programme):
    reviewer = make_staff("reviewer", Role.REVIEWER)
    invitation, token = rating_invitation(handler_id=reviewer.pk)
    rating = services.rating_submit(token=token, level=1, indicators={k: int(v) for k, v in GOOD.items()})
    services.rectification_record_call(rectification=rating.rectification, actor=reviewer, called_at=timezone.now(), outcome="已沟通")
    services.rectification_answer(rectification=rating.rectification, actor=reviewer, answer="已整改")
    sign_in(client, reviewer)
    data = json.loads(client.get("/staff/ratings/export.json").content)
    [record] = data["records"]
    assert list(record) == [
        "办件编号", "事项名称", "评价渠道", "评价时间", "评价等级", "整体满意度", "办事效率",
        "办事指南精确度", "办事便捷度", "平台操作性", "整改情况", "整改时间",
    ]  # fmt: skip
    assert record["办件编号"] == invitation.case_key and record["评价等级"] == "非常不满意"
    assert record["整改情况"] == "已整改" and record["整改时间"]
    response = client.get("/staff/ratings/export.xlsx")
    assert response["Cache-Control"] == "no-store, private"
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0][0] == "办件编号" and rows[1][0] == invitation.case_key
    assert AuditEntry.objects.filter(action="export").count() == 2


@pytest.mark.django_db
def test_the_provincial_platform_pulls_the_ratings_with_a_reviewer_token(client, programme):
    from tests.api.conftest import issue

    reviewer = issue("haochaping", "reviewer")
    partner = issue("yiwangtongban", "partner")
    invitation, token = rating_invitation()
    services.rating_submit(token=token, level=4, indicators={k: int(v) for k, v in GOOD.items()})
    month = timezone.localtime().strftime("%Y-%m")
    answer = client.get(f"/api/v1/ratings?month={month}", **reviewer.headers)
    assert answer.status_code == 200
    [record] = answer.json()["records"]
    assert record["办件编号"] == invitation.case_key and record["评价等级"] == "满意" and record["办事效率"] == 4
    assert client.get("/api/v1/ratings?month=2020-01", **reviewer.headers).json() == {"count": 0, "records": []}
    assert client.get("/api/v1/ratings", **partner.headers).status_code == 403
    assert client.get("/api/v1/ratings?month=2026-13", **reviewer.headers).status_code == 422
