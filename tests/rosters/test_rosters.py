"""Duty rosters as the committee and its volunteers use them: shifts from a pattern with holidays
left out, a volunteer's own page (take, leave, swap, calendar), check-in at the post with its code
of the day, the coverage board, reminders and short-shift alerts, hours served."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from jiedao.core.models import Neighbourhood, Role
from jiedao.notices.models import Notice
from jiedao.rosters import services
from jiedao.rosters.models import Assignment, Post, Shift, Volunteer
from tests.conftest import next_url, run_concurrently, sign_in
from tests.factories import make_staff


def _post(code="zjxc-gate-1", headcount=2, neighbourhood="zhijiangxincun", **extra) -> Post:
    return Post.objects.create(
        neighbourhood=Neighbourhood.objects.get(code=neighbourhood), code=code, name="芷江新村1号门岗",
        headcount=headcount, organiser_phone="13800000001", **extra,
    )  # fmt: skip


def _volunteer(phone="13900000013", name="王秀英", neighbourhood="zhijiangxincun") -> Volunteer:
    return services.volunteer_register(neighbourhood=Neighbourhood.objects.get(code=neighbourhood), name=name, phone=phone)


def _shift(post, *, in_hours=48, hours=4, headcount=None) -> Shift:
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(hours=in_hours)
    return Shift.objects.create(post=post, starts_at=start, ends_at=start + dt.timedelta(hours=hours), headcount=headcount or post.headcount)


@pytest.mark.django_db
def test_shifts_come_from_a_pattern_with_holidays_left_out(programme):
    post = _post()
    made = services.shifts_generate(
        post=post, first_day=dt.date(2026, 9, 28), last_day=dt.date(2026, 10, 11),
        starts=dt.time(7), ends=dt.time(11), days="weekends", skip=frozenset({dt.date(2026, 10, 3)}),
    )  # fmt: skip
    starts = [timezone.localtime(s.starts_at) for s in Shift.objects.order_by("starts_at")]
    assert made == 3 and [s.day for s in starts] == [4, 10, 11]
    assert all(s.hour == 7 and s.weekday() in (5, 6) for s in starts)
    assert Shift.objects.first().headcount == 2
    # Generating again adds nothing; a night shift ends the next morning.
    assert services.shifts_generate(post=post, first_day=dt.date(2026, 9, 28), last_day=dt.date(2026, 10, 11),
                                    starts=dt.time(7), ends=dt.time(11), days="weekends") == 1  # the holiday, now asked for
    services.shifts_generate(post=post, first_day=dt.date(2026, 10, 12), last_day=dt.date(2026, 10, 12), starts=dt.time(22), ends=dt.time(6))
    night = Shift.objects.get(starts_at__day=12)
    assert night.ends_at - night.starts_at == dt.timedelta(hours=8)


@pytest.mark.django_db
def test_a_volunteer_takes_offers_and_hands_over_a_shift_from_her_link(client, programme):
    post = _post(headcount=1)
    shift = _shift(post)
    first = _volunteer()
    welcome = Notice.objects.get(event="roster_welcome")
    assert f"/v/{first.token}/" in welcome.text and welcome.application is None
    page = client.get(f"/v/{first.token}/").content.decode()
    assert "还缺人的班次" in page and "芷江新村1号门岗" in page

    client.post(f"/v/{first.token}/", {"action": "take", "id": shift.pk})
    assignment = Assignment.objects.get()
    assert assignment.volunteer == first
    second = _volunteer(phone="13900000014", name="李建国")
    refused = client.post(f"/v/{second.token}/", {"action": "take", "id": shift.pk}, follow=True).content.decode()
    assert "这个班次已经排满了" in refused

    client.post(f"/v/{first.token}/", {"action": "offer", "id": assignment.pk})
    assert "我来接替" in client.get(f"/v/{second.token}/").content.decode()
    client.post(f"/v/{second.token}/", {"action": "swap", "id": assignment.pk})
    assert list(Assignment.objects.filter(cancelled_at__isnull=True).values_list("volunteer__name", flat=True)) == ["李建国"]
    assert "已由李建国接替" in Notice.objects.get(event="roster_swapped", phone="13900000013").text

    feed = client.get(f"/v/{second.token}/calendar.ics")
    assert feed["Content-Type"].startswith("text/calendar")
    text = feed.content.decode()
    assert text.startswith("BEGIN:VCALENDAR") and "SUMMARY:值守：芷江新村1号门岗" in text and text.count("BEGIN:VEVENT") == 1
    # Another neighbourhood's volunteer cannot take it.
    stranger = _volunteer(phone="13900000015", neighbourhood="yongtai")
    with pytest.raises(services.RosterRefused):
        services.shift_take(shift=shift, volunteer=stranger)


@pytest.mark.django_db(transaction=True)
def test_two_volunteers_at_once_for_the_last_place_get_one(programme):
    post = _post(headcount=3)
    shift = _shift(post)
    people = [_volunteer(phone=f"139000000{n:02d}", name=f"志愿者{chr(0x4E00 + n)}") for n in range(10)]
    services.shift_take(shift=shift, volunteer=people[0])
    services.shift_take(shift=shift, volunteer=people[1])

    def take(index):
        return services.shift_take(shift=shift, volunteer=people[index + 2])

    results, errors = run_concurrently(8, take)
    assert len(results) == 1 and len(errors) == 7 and all(isinstance(e, services.RosterRefused) for e in errors)
    assert Assignment.objects.filter(shift=shift, cancelled_at__isnull=True).count() == 3


@pytest.mark.django_db
def test_check_in_and_out_at_the_post_with_its_code_of_the_day(client, programme):
    post = _post()
    shift = _shift(post, in_hours=0.25)
    volunteer = _volunteer()
    services.shift_take(shift=shift, volunteer=volunteer, now=shift.starts_at - dt.timedelta(hours=1))
    today = timezone.localdate()
    url = f"/rosters/posts/{post.code}/{services.post_code(post, today)}/"
    page = client.post(url, {"phone": "139 0000 0013"}).content.decode()
    assert "签到成功" in page
    assert "签退成功" in client.post(url, {"phone": "13900000013"}).content.decode()
    assignment = Assignment.objects.get()
    assert assignment.checked_in_at and assignment.checked_out_at

    stale = f"/rosters/posts/{post.code}/{services.post_code(post, today - dt.timedelta(days=1))}/"
    assert "二维码已经过期或不正确" in client.post(stale, {"phone": "13900000013"}).content.decode()
    other = _volunteer(phone="13900000014")
    assert "现在这个岗点没有您的班次" in client.post(url, {"phone": other.phone}).content.decode()


@pytest.mark.django_db
def test_the_coverage_board_shows_short_and_covered_shifts_and_checks_people_in(client, programme):
    post = _post(headcount=2)
    covered, short = _shift(post, in_hours=2), _shift(post, in_hours=26)
    covered.headcount = 1
    covered.save()
    volunteer = _volunteer()
    services.shift_take(shift=covered, volunteer=volunteer)
    worker = make_staff("worker_zj", Role.WORKER, ["zhijiangxincun"])
    sign_in(client, worker)
    page = client.get("/staff/rosters/").content.decode()
    assert "已排满 1/1" in page and "缺人 0/2" in page and "王秀英" in page
    assert "值守排班" in client.get("/staff/").content.decode()

    assignment = Assignment.objects.get()
    next_url(client.post(f"/staff/rosters/assignments/{assignment.pk}/check/"))
    assignment.refresh_from_db()
    assert assignment.checked_in_at is not None
    sign_in(client, make_staff("worker_yt", Role.WORKER, ["yongtai"]))
    assert "芷江新村1号门岗" not in client.get("/staff/rosters/").content.decode()
    assert client.post(f"/staff/rosters/assignments/{assignment.pk}/check/").status_code == 404
    assert short.pk


@pytest.mark.django_db
def test_the_evening_before_a_reminder_and_48_hours_ahead_a_short_shift_alert_once(programme):
    post = _post(headcount=2)
    evening = timezone.localtime().replace(hour=19, minute=0, second=0, microsecond=0)
    tomorrow = evening.replace(hour=8) + dt.timedelta(days=1)
    shift = Shift.objects.create(post=post, starts_at=tomorrow, ends_at=tomorrow + dt.timedelta(hours=3), headcount=2)
    volunteer = _volunteer()
    services.shift_take(shift=shift, volunteer=volunteer, now=evening - dt.timedelta(hours=5))

    assert services.roster_reminders_queue(now=evening) == {"roster_reminders": 1, "roster_short_alerts": 1}
    assert services.roster_reminders_queue(now=evening) == {}
    reminder = Notice.objects.get(event="roster_reminder")
    assert reminder.phone == "13900000013" and "芷江新村1号门岗" in reminder.text
    alert = Notice.objects.get(event="roster_short")
    assert alert.phone == "13800000001" and "还缺1人" in alert.text
    # Before 18:00 no reminder goes out yet.
    Assignment.objects.update(reminded_at=None)
    assert services.roster_reminders_queue(now=evening.replace(hour=10)) == {}


@pytest.mark.django_db
def test_hours_served_per_volunteer_per_month_as_excel(client, programme):
    post = _post()
    start = timezone.make_aware(dt.datetime(2026, 11, 3, 7))
    shifts = [Shift.objects.create(post=post, starts_at=start + dt.timedelta(days=n), ends_at=start + dt.timedelta(days=n, hours=4), headcount=2) for n in range(3)]
    volunteer = _volunteer()
    for n, shift in enumerate(shifts):
        assignment = Assignment.objects.create(shift=shift, volunteer=volunteer, created_at=start - dt.timedelta(days=1))
        if n < 2:  # two shifts served, one missed
            assignment.checked_in_at = shift.starts_at
            assignment.save()
    sign_in(client, make_staff("worker_zj", Role.WORKER, ["zhijiangxincun"]))
    response = client.get("/staff/rosters/hours.xlsx", {"month": "2026-11"})
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert rows[1][0] == "王秀英" and rows[1][3] == "139****0013" and rows[1][4:] == (2, 8.0)


@pytest.mark.django_db
def test_a_worker_adds_a_post_generates_a_month_and_registers_a_volunteer(client, programme):
    sign_in(client, make_staff("worker_zj", Role.WORKER, ["zhijiangxincun"]))
    zjxc = Neighbourhood.objects.get(code="zhijiangxincun")
    url = next_url(client.post("/staff/rosters/posts/", {
        "post-neighbourhood": zjxc.pk, "post-name": "芷江新村2号门岗", "post-code": "zjxc-gate-2", "post-kind": "gate",
        "post-headcount": "2", "post-organiser_phone": "13800000001",
    }))  # fmt: skip
    assert url == "/staff/rosters/posts/zjxc-gate-2/"
    today = timezone.localdate()
    bad = client.post(url, {"first_day": today.isoformat(), "last_day": today.isoformat(), "starts": "07:00", "ends": "11:00",
                            "days": "daily", "skip": "十月一日"})  # fmt: skip
    assert "不是日期" in bad.content.decode()
    next_url(client.post(url, {
        "first_day": (today + dt.timedelta(days=1)).isoformat(), "last_day": (today + dt.timedelta(days=30)).isoformat(),
        "starts": "07:00", "ends": "11:00", "days": "daily", "skip": "",
    }))  # fmt: skip
    assert Shift.objects.filter(post__code="zjxc-gate-2").count() == 30
    next_url(client.post("/staff/rosters/volunteers/", {"neighbourhood": zjxc.pk, "name": "王秀英", "phone": "13900000013"}))
    assert Volunteer.objects.get().neighbourhood == zjxc


@pytest.mark.django_db
def test_a_volunteer_without_shifts_for_the_retention_period_is_kept_only_as_hours(client, programme, settings):
    settings.JIEDAO_VOLUNTEER_RETENTION_DAYS = 30
    post = _post()
    volunteer = _volunteer()
    shift = _shift(post, in_hours=-24 * 40)
    Assignment.objects.create(shift=shift, volunteer=volunteer, checked_in_at=shift.starts_at)
    Volunteer.objects.update(created_at=timezone.now() - dt.timedelta(days=60))
    token = volunteer.token
    assert services.volunteers_forget() == {"volunteers_anonymised": 1}
    volunteer.refresh_from_db()
    assert volunteer.name == "已匿名" and not volunteer.phone.startswith("139")
    assert client.get(f"/v/{token}/").status_code == 404
    assert Assignment.objects.filter(checked_in_at__isnull=False).count() == 1


@pytest.mark.django_db
def test_a_cancelled_shift_tells_its_volunteers_and_leaves_their_page(client, programme):
    post = _post()
    shift = _shift(post)
    volunteer = _volunteer()
    services.shift_take(shift=shift, volunteer=volunteer)
    sign_in(client, make_staff("worker_zj", Role.WORKER, ["zhijiangxincun"]))
    next_url(client.post(f"/staff/rosters/shifts/{shift.pk}/cancel/"))
    shift.refresh_from_db()
    assert shift.cancelled_at is not None
    assert "已取消" in Notice.objects.get(event="roster_off", phone=volunteer.phone).text
    assert "您还没有认领班次" in client.get(f"/v/{volunteer.token}/").content.decode()
    with pytest.raises(services.RosterRefused):
        services.shift_take(shift=shift, volunteer=_volunteer(phone="13900000014"))
