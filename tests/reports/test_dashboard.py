"""The leadership's figures, checked against cases counted by hand."""

import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import openpyxl
import pytest

from jiedao.intake.lifecycle import Action
from jiedao.intake.tallies import tallies_rebuild
from jiedao.reports.selectors import programme_stats
from jiedao.intake.transitions import Payment, application_transition
from tests.conftest import sign_in

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day, hour=10):
    return dt.datetime(2026, 3, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def spring(programme, make_case, reviewer):
    """The spring of 2020, replayed in 2026: seven cases between 1 and 5 March.

    | case | submitted  | neighbourhood | block      | categories          | channel    | what happened              |
    | a    | 1 Mar      | 芷江新村      | 育群中学西块 | disabled            | online     | approved 3 Mar, paid 6 Mar |
    | b    | 1 Mar      | 芷江新村      | 241街坊     | dibao               | phone      | more material 4 Mar        |
    | c    | 2 Mar      | 永太          | 241街坊     | dibao, disabled     | home_visit | rejected 5 Mar             |
    | d    | 3 Mar 23:30| 永太          | 242街坊     | elderly_alone       | proxy      | —                          |
    | e    | 4 Mar 00:30| 共和新路      | 242街坊     | serious_illness     | online     | —                          |
    | f    | 4 Mar      | 共和新路      | 育群中学西块 | disabled            | online     | withdrawn 4 Mar            |
    | g    | 5 Mar      | 芷江新村      | 育群中学西块 | dibao               | counter    | —                          |
    """
    programme.opens_on = dt.date(2026, 3, 1)
    programme.closes_on = dt.date(2026, 3, 31)
    programme.save()
    proxy = {"who": "proxy", "proxy_name": "李建华", "proxy_phone": "13900000013", "proxy_relationship": "child"}
    cases = {
        "a": make_case(now=at(1), neighbourhood="zhijiangxincun", block="yuqun-west", categories=["disabled"]),
        "b": make_case(now=at(1, 15), neighbourhood="zhijiangxincun", block="block-241", categories=["dibao"], channel="phone"),
        "c": make_case(now=at(2), neighbourhood="yongtai", block="block-241", categories=["dibao", "disabled"], channel="home_visit"),
        "d": make_case(now=at(3, 23), neighbourhood="yongtai", block="block-242", categories=["elderly_alone"], **proxy),
        "e": make_case(now=at(4, 0), neighbourhood="gonghexinlu", block="block-242", categories=["serious_illness"]),
        "f": make_case(now=at(4), neighbourhood="gonghexinlu", block="yuqun-west", categories=["disabled"]),
        "g": make_case(now=at(5), neighbourhood="zhijiangxincun", block="yuqun-west", categories=["dibao"], channel="counter"),
    }

    def move(case, action, when, **extra):
        application_transition(application=cases[case], action=action, actor=reviewer, now=when, **extra)

    move("a", Action.START_REVIEW, at(2))
    move("a", Action.APPROVE, at(3))
    move("a", Action.RECORD_PAYMENT, at(6), payment=Payment(Decimal("3000"), dt.date(2026, 3, 6)))
    move("b", Action.START_REVIEW, at(3))
    move("b", Action.REQUEST_MORE, at(4), note="请补拍低保证明。", missing_document_codes=["dibao_cert"])
    move("c", Action.START_REVIEW, at(3))
    move("c", Action.REJECT, at(5), note="不在本次旧改地块的登记名单内。")
    move("f", Action.WITHDRAW, at(4, 16))
    return cases


def rows(table):
    return dict(table.rows)


def test_the_headline_counts_what_was_accepted_by_the_end_of_the_day(spring, reviewer, programme):
    assert programme_stats(reviewer, programme, dt.date(2026, 3, 4)).total == 6  # g comes on 5 March
    assert programme_stats(reviewer, programme, dt.date(2026, 3, 3)).total == 4  # d at 23:00 counts
    assert programme_stats(reviewer, programme, dt.date(2026, 3, 31)).total == 7


def test_the_headline_reads_like_the_newsletter(client, spring, reviewer):
    sign_in(client, reviewer)
    page = client.get("/staff/dashboard/", {"programme": "JGBK", "as_of": "2026-03-04"}).content.decode()
    assert "截至2026年3月4日，共受理帮困申请 6 件" in page


def test_days_and_running_totals(spring, reviewer, programme):
    days = programme_stats(reviewer, programme, dt.date(2026, 3, 5)).by_day
    assert [(d.day.day, d.count, d.cumulative) for d in days] == [(1, 2, 2), (2, 1, 3), (3, 1, 4), (4, 2, 6), (5, 1, 7)]


def test_breakdowns_by_neighbourhood_block_category_and_channel(spring, reviewer, programme):
    stats = programme_stats(reviewer, programme, dt.date(2026, 3, 31))
    assert rows(stats.by_neighbourhood) == {"芷江新村": 3, "共和新路": 2, "永太": 2, "光机": 0, "中兴": 0}
    assert rows(stats.by_block) == {"育群中学西块": 3, "241街坊": 2, "242街坊": 2}
    # c claims two categories and counts in both.
    assert rows(stats.by_category) == {"低保（纳保）家庭": 3, "残疾人": 3, "独居老人": 1, "重病患者": 1}
    assert rows(stats.by_channel) == {
        "本人线上申请": 3, "家属代办": 1, "电话指导申请": 1, "上门协助申请": 1, "窗口受理": 1, "一网通办": 0
    }


def test_statuses_are_those_of_the_as_of_date(spring, reviewer, programme):
    then = rows(programme_stats(reviewer, programme, dt.date(2026, 3, 3)).by_status)
    assert (then["已受理"], then["审核中"], then["已通过"]) == (1, 2, 1)  # d; b and c; a
    now = rows(programme_stats(reviewer, programme, dt.date(2026, 3, 31)).by_status)
    assert now == {
        "已受理": 3, "审核中": 0, "需补充材料": 1, "已补充材料": 0, "已通过": 0, "未通过": 1, "已发放": 1, "已撤回": 1
    }


def test_median_days_from_submission_to_decision(spring, reviewer, programme):
    stats = programme_stats(reviewer, programme, dt.date(2026, 3, 31))
    assert stats.decided == 2  # a: 2 days, c: 3 days
    assert stats.median_days_to_decision == 2.5
    assert programme_stats(reviewer, programme, dt.date(2026, 3, 4)).decided == 1


def test_a_worker_sees_the_figures_of_their_own_neighbourhood(spring, worker, programme, client):
    stats = programme_stats(worker, programme, dt.date(2026, 3, 31))
    assert stats.total == 2
    assert rows(stats.by_neighbourhood) == {"永太": 2}
    sign_in(client, worker)
    assert "共受理帮困申请 2 件" in client.get("/staff/dashboard/", {"as_of": "2026-03-31"}).content.decode()


def test_every_chart_has_its_numbers_as_a_table(spring, leader, client):
    sign_in(client, leader)
    page = client.get("/staff/dashboard/", {"as_of": "2026-03-31"}).content.decode()
    assert page.count('<svg class="chart') == 6
    assert page.count("<table") >= 6
    assert '<th scope="row">芷江新村</th><td>3</td>' in page


def test_the_statistics_workbook_has_one_sheet_per_table(spring, leader, client):
    sign_in(client, leader)
    response = client.get("/staff/dashboard/statistics.xlsx", {"as_of": "2026-03-04"})
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["总数", "每日受理", "居民区", "旧改地块", "特殊对象类别", "申请渠道", "办理状态"]
    summary = list(workbook["总数"].iter_rows(values_only=True))
    assert summary[1][1:3] == ("2026-03-04", 6)
    neighbourhoods = dict(list(workbook["居民区"].iter_rows(values_only=True))[1:])
    assert neighbourhoods["芷江新村"] == 2 and neighbourhoods["永太"] == 2
    assert "截至 2026-03-04" in list(workbook["居民区"].iter_rows(values_only=True))[0][1]


def test_the_running_tallies_agree_with_a_recount_from_the_history(spring, reviewer, programme):
    days = [dt.date(2026, 3, n) for n in (1, 3, 4, 5, 31)]
    running = [programme_stats(reviewer, programme, day) for day in days]
    tallies_rebuild()
    recounted = [programme_stats(reviewer, programme, day) for day in days]
    for before, after in zip(running, recounted, strict=True):
        assert (before.total, before.decided, before.median_days_to_decision) == (
            after.total,
            after.decided,
            after.median_days_to_decision,
        )
        for name in ("by_neighbourhood", "by_block", "by_category", "by_channel", "by_status"):
            assert getattr(before, name).rows == getattr(after, name).rows, name
        assert [(d.day, d.count, d.cumulative) for d in before.by_day] == [
            (d.day, d.count, d.cumulative) for d in after.by_day
        ]
