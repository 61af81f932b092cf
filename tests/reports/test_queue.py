"""The staff queue: finding a resident however the caller spells them, filters, masking, speed."""

import datetime as dt

import pytest
from django.utils import timezone

from jiedao.lib.validators import mask_id_number
from jiedao.intake.lifecycle import Action
from jiedao.intake.models import Application
from jiedao.intake.transitions import application_transition
from tests.conftest import queue_get, sign_in
from tests.factories import valid_id_number

ZHANG_ID = valid_id_number("19500101", 106)  # 31010619500101106X: ends in X
assert ZHANG_ID.endswith("X")
DAY = dt.timedelta(days=1)


def days_ago(n):
    return timezone.now() - n * DAY


@pytest.fixture
def people(make_case, reviewer):
    """Four residents in four neighbourhoods, at different points of their case."""
    zhang = make_case(
        name="张志远", id_number=ZHANG_ID, phone="13812345678", neighbourhood="zhijiangxincun",
        block="yuqun-west", categories=["disabled"], now=days_ago(10),
    )
    zhou = make_case(
        name="周建国", phone="13900000004", neighbourhood="yongtai", block="block-241",
        categories=["serious_illness"], channel="phone", now=days_ago(5),
    )
    li = make_case(
        name="李桂兰", phone="13900000003", neighbourhood="gonghexinlu", block="block-242",
        categories=["elderly_alone"], who="proxy", proxy_name="李建华", proxy_phone="13900000013",
        proxy_relationship="child", now=days_ago(1),
    )
    wang = make_case(
        name="王秀英", phone="13900000001", neighbourhood="zhongxing", block="block-241",
        categories=["dibao"], channel="home_visit", now=days_ago(20),
    )
    application_transition(application=zhou, action=Action.START_REVIEW, actor=reviewer)
    for action in (Action.START_REVIEW, Action.APPROVE):
        application_transition(application=li, action=action, actor=reviewer)
    application_transition(application=wang, action=Action.START_REVIEW, actor=reviewer)
    application_transition(application=wang, action=Action.REJECT, actor=reviewer, note="不在本次旧改地块的登记名单内。")
    # When each case last moved: 王秀英's (closed) the longest ago, then 李桂兰, 张志远, 周建国.
    for application, age in ((wang, 30), (li, 7), (zhang, 3), (zhou, 1)):
        Application.objects.filter(pk=application.pk).update(updated_at=days_ago(age))
    return {"张志远": zhang, "周建国": zhou, "李桂兰": li, "王秀英": wang}


def names(client, **params):
    response = queue_get(client, params)
    assert response.status_code == 200
    return [application.applicant_name for application in response.context["page"].object_list]


SPELLINGS = [
    "zhangzhiyuan", "zzy", "ZZY", "zhang", "Zhang Zhiyuan", "张志远", "张",
    "106X", "106x", ZHANG_ID, ZHANG_ID.lower(),
    "13812345678", "138 1234 5678", "+86 138 1234 5678",
    "jgbk-{year}-00001", "JGBK-{year}-00001", " JGBK-{year}-00001 ",
]
# One set of cases for many questions: each is reported on its own (pytest subtests).


def test_a_resident_is_found_however_the_caller_gives_them(client, reviewer, people, subtests):
    sign_in(client, reviewer)
    assert people["张志远"].reference.endswith("-00001")
    for q in SPELLINGS:
        q = q.format(year=timezone.localdate().year)
        with subtests.test(q=q):
            assert names(client, q=q) == ["张志远"]


def test_a_proxys_phone_finds_the_case_they_filed(client, reviewer, people):
    sign_in(client, reviewer)
    assert names(client, q="139 0000 0013") == ["李桂兰"]
    assert names(client, q="13900000003") == ["李桂兰"]


@pytest.mark.parametrize("q", ["Zhang Wei", "zhang wei", "zhang"])
def test_a_name_written_in_latin_letters_is_found_as_typed(client, reviewer, make_case, q):
    # Names in any script are accepted; a name with no Chinese characters has no pinyin to search.
    make_case(name="Zhang Wei", phone="13900000077")
    sign_in(client, reviewer)
    assert names(client, q=q) == ["Zhang Wei"]


def test_a_search_with_no_match_finds_nothing(client, reviewer, people, subtests):
    sign_in(client, reviewer)
    for q in ["zzz", "zhao", "赵", "9999", "13700000000", "JGBK-2020-00001", "310106195001019999"]:
        with subtests.test(q=q):
            assert names(client, q=q) == []


FILTERS = [
    ({"neighbourhood": "yongtai"}, {"周建国"}),
    ({"block": "block-241"}, {"周建国", "王秀英"}),
    ({"category": "elderly_alone"}, {"李桂兰"}),
    ({"category": "dibao"}, {"王秀英"}),
    ({"status": "in_review"}, {"周建国"}),
    ({"status": "rejected"}, {"王秀英"}),
    ({"channel": "home_visit"}, {"王秀英"}),
    ({"channel": "proxy"}, {"李桂兰"}),
    ({"channel": "online"}, {"张志远"}),
    ({"submitted_from": -6, "submitted_to": -2}, {"周建国"}),  # days from today
    ({"submitted_from": -1}, {"李桂兰"}),
    ({"submitted_to": -10}, {"张志远", "王秀英"}),
    ({"block": "block-241", "status": "in_review"}, {"周建国"}),
    ({"neighbourhood": "yongtai", "q": "zzy"}, set()),
    ({}, {"张志远", "周建国", "李桂兰", "王秀英"}),
]


def test_each_filter_narrows_the_queue(client, reviewer, people, subtests):
    sign_in(client, reviewer)
    today = timezone.localdate()
    for params, expected in FILTERS:
        query = {k: (today + v * DAY).isoformat() if isinstance(v, int) else v for k, v in params.items()}
        with subtests.test(**query):
            assert set(names(client, **query)) == expected


def test_newest_first_by_default(client, reviewer, people):
    sign_in(client, reviewer)
    assert names(client) == ["李桂兰", "周建国", "张志远", "王秀英"]


def test_waiting_longest_shows_open_cases_oldest_first(client, reviewer, people):
    sign_in(client, reviewer)
    # 王秀英 waited longest but her case is closed (未通过): nothing left to do.
    assert names(client, order="waiting") == ["李桂兰", "张志远", "周建国"]


def test_id_numbers_are_masked_in_the_list(client, reviewer, people):
    sign_in(client, reviewer)
    html = client.get("/staff/").content.decode()
    for application in people.values():
        assert application.id_number not in html
        assert mask_id_number(application.id_number) in html


def test_the_full_id_number_is_for_the_reviewer_only(client, reviewer, zj_worker, people):
    zhang = people["张志远"]
    sign_in(client, reviewer)
    assert ZHANG_ID in client.get(f"/staff/cases/{zhang.reference}/").content.decode()
    sign_in(client, zj_worker)
    page = client.get(f"/staff/cases/{zhang.reference}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert ZHANG_ID not in html
    assert mask_id_number(ZHANG_ID) in html


@pytest.fixture
def many_cases(make_case, reviewer):
    categories = [["disabled"], ["dibao", "elderly_alone"], ["serious_illness"], ["disabled", "dibao"]]
    neighbourhoods = ["zhijiangxincun", "yongtai", "gonghexinlu", "guangji", "zhongxing"]

    def make(count):
        made = []
        for i in range(count):
            application = make_case(
                name="张志远" if i % 2 else "李桂兰",
                neighbourhood=neighbourhoods[i % len(neighbourhoods)],
                categories=categories[i % len(categories)],
                channel=["online", "phone", "home_visit"][i % 3],
                now=days_ago(25) + i * dt.timedelta(hours=1),
            )
            if i % 3 == 0:
                application_transition(application=application, action=Action.START_REVIEW, actor=reviewer)
            made.append(application)
        return made

    return make


# Signing in (session, user, role, neighbourhoods), the filter choices (neighbourhoods, blocks,
# categories), the count, the rows with their places, their categories: 10, and the search's audit
# entry, whether a household roster exists, and the second-factor device the session was verified
# with. Whatever the number of rows.
QUEUE_QUERIES = 13


@pytest.mark.parametrize("count", [5, 25])
def test_the_queue_does_not_ask_the_database_once_per_row(client, reviewer, zj_worker, many_cases, count,
                                                          django_assert_max_num_queries):
    many_cases(count)
    for user in (reviewer, zj_worker):
        sign_in(client, user)
        with django_assert_max_num_queries(QUEUE_QUERIES):
            response = client.get("/staff/")
        assert response.status_code == 200
        searched = client.post("/staff/", {"q": "zzy", "order": "waiting"})["Location"]
        with django_assert_max_num_queries(QUEUE_QUERIES):
            client.get(searched)
    assert len(client.get("/staff/").context["page"].object_list) == count // 5 + (count % 5 > 0)


def test_a_long_queue_is_split_into_pages(client, reviewer, many_cases):
    cases = many_cases(32)
    sign_in(client, reviewer)
    first = client.get("/staff/")
    assert [a.reference for a in first.context["page"].object_list] == [a.reference for a in cases[::-1][:30]]
    second = client.get("/staff/", {"page": 2})
    assert second.status_code == 200
    assert [a.reference for a in second.context["page"].object_list] == [cases[1].reference, cases[0].reference]
    html = second.content.decode()
    assert cases[0].reference in html and cases[-1].reference not in html
    # Filters are kept from one page to the next.
    filtered = queue_get(client, {"q": "zzy", "page": 1})
    assert len(filtered.context["page"].object_list) == 16
    assert "s=" in filtered.context["query"] and "zzy" not in filtered.context["query"]


def test_the_queue_count_from_the_tallies_matches_the_cases_for_every_role_and_filter(
    make_case, reviewer, zj_worker, leader, programme
):
    from jiedao.intake.access import applications_for_staff
    from jiedao.reports.queue import QueueFilters, queue, queue_count
    from jiedao.intake.transitions import application_transition
    from jiedao.intake.lifecycle import Action, Status

    cases = [make_case() for _ in range(3)] + [make_case(neighbourhood="yongtai", block="block-241") for _ in range(2)]
    application_transition(application=cases[0], action=Action.START_REVIEW, actor=reviewer)
    application_transition(application=cases[1], action=Action.WITHDRAW, actor=reviewer)
    for user in (reviewer, zj_worker, leader):
        for filters in (
            QueueFilters(),
            QueueFilters(status=Status.SUBMITTED),
            QueueFilters(status=Status.WITHDRAWN, order="waiting"),
            QueueFilters(order="waiting"),
            QueueFilters(neighbourhood="yongtai"),
            QueueFilters(programme=programme.code, status=Status.IN_REVIEW),
            QueueFilters(channel="online"),
        ):
            assert queue_count(user, filters) == queue(user, filters).count(), (user, filters)
    assert queue_count(zj_worker, QueueFilters()) < applications_for_staff(reviewer).count()


def test_filter_labels_end_with_the_languages_colon(client, reviewer):
    from tests.conftest import sign_in

    sign_in(client, reviewer)
    chinese = client.get("/staff/").content.decode()
    assert "状态：</label>" in chinese and "状态:</label>" not in chinese
    english = client.get("/en/staff/").content.decode()
    assert "Status: </label>" in english or "Status:</label>" in english
