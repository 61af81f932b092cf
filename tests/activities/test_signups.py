"""Signing up for an activity from a phone, as a resident would: no account, an SMS with a link to
cancel or change, a waitlist promoted on its own, capacity never exceeded, the blood drive's
questions answered kindly, the day-before reminder once, check-in with the venue's code of the day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jiedao.activities import services
from jiedao.activities.models import DonorScreening, Signup, SignupStatus
from jiedao.notices.models import Notice
from tests.conftest import next_url, run_concurrently
from tests.factories import ActivityFactory


def sign_up(client, activity, phone="13900000013", name="王秀英", **extra):
    return client.post(f"/activities/{activity.code}/", {"name": name, "phone": phone, **extra})


@pytest.mark.django_db
def test_a_resident_signs_up_and_gets_a_link_to_her_sign_up(client, programme):
    activity = ActivityFactory(capacity=2, groups=["走访", "门岗值守"])
    page = client.get(f"/activities/{activity.code}/").content.decode()
    assert activity.title in page and "门岗值守" in page and "确认报名" in page

    refused = sign_up(client, activity)
    assert refused.status_code == 400 and "请选择参加哪个小组" in refused.content.decode()

    group = activity.groups.get(name="门岗值守")
    url = next_url(sign_up(client, activity, phone="139 0000 0013", group=str(group.pk)))
    signup = Signup.objects.get()
    assert url == f"/a/{signup.token}/"
    assert signup.status == SignupStatus.CONFIRMED and signup.group == group and signup.phone == "13900000013"
    notice = Notice.objects.get(event="act_confirmed")
    assert notice.application is None and notice.subject == signup.reference and notice.phone == "13900000013"
    assert notice.neighbourhood_id == activity.neighbourhood_id
    assert f"/a/{signup.token}/" in notice.text and "王秀英" not in notice.text

    mine = client.get(url).content.decode()
    assert "已报名" in mine and "门岗值守" in mine and "139****0013" in mine
    other = activity.groups.get(name="走访")
    client.post(url, {"action": "group", "group": str(other.pk)})
    signup.refresh_from_db()
    assert signup.group == other


@pytest.mark.django_db
def test_a_new_waiters_position_counts_those_who_left_the_waitlist(client, programme):
    activity = ActivityFactory(capacity=1)
    held = next_url(sign_up(client, activity, phone="13900000001"))
    for n in (2, 3, 4):
        sign_up(client, activity, phone=f"1390000000{n}")
    client.post(next_url(sign_up(client, activity, phone="13900000005")), {"action": "cancel"})  # a waiter leaves
    client.post(held, {"action": "cancel"})  # the place goes to the first waiter
    sign_up(client, activity, phone="13900000006")
    # Waiting now: 3, 4 and the newcomer, who is told so.
    assert "候补名单第3位" in Notice.objects.get(event="act_waitlisted", phone="13900000006").text
    activity.refresh_from_db()
    assert activity.waitlist_length == Signup.objects.filter(activity=activity, status=SignupStatus.WAITLISTED).count() == 3


@pytest.mark.django_db
def test_when_full_the_next_wait_and_a_cancellation_promotes_the_first(client, programme):
    activity = ActivityFactory(capacity=1)
    first = next_url(sign_up(client, activity, phone="13900000001"))
    page = client.get(f"/activities/{activity.code}/").content.decode()
    assert "名额已满" in page and "加入候补名单" in page
    second = next_url(sign_up(client, activity, phone="13900000002", name="李建国"))
    next_url(sign_up(client, activity, phone="13900000003", name="张伟"))
    waiting = Signup.objects.get(phone="13900000002")
    assert waiting.status == SignupStatus.WAITLISTED
    assert "候补第 1 位" in client.get(second).content.decode()
    assert "候补名单第1位" in Notice.objects.get(event="act_waitlisted", phone="13900000002").text
    assert "候补名单第2位" in Notice.objects.get(event="act_waitlisted", phone="13900000003").text

    client.post(first, {"action": "cancel"})
    waiting.refresh_from_db()
    assert waiting.status == SignupStatus.CONFIRMED
    assert Notice.objects.filter(event="act_promoted", phone="13900000002").count() == 1
    assert Signup.objects.get(phone="13900000003").status == SignupStatus.WAITLISTED
    assert "已取消" in client.get(first).content.decode()
    # Cancelling twice changes nothing more.
    client.post(first, {"action": "cancel"})
    assert Notice.objects.filter(event="act_promoted").count() == 1


@pytest.mark.django_db
def test_a_phone_signs_up_once_and_the_page_says_so_without_showing_the_sign_up(client, programme):
    activity = ActivityFactory()
    next_url(sign_up(client, activity))
    again = sign_up(client, activity, name="别人")
    assert again.status_code == 409
    page = again.content.decode()
    assert "这个手机号码已经报过名了" in page and "别人" in page  # what was typed is still there
    assert Signup.objects.count() == 1


@pytest.mark.django_db
def test_a_closed_or_cancelled_activity_takes_no_sign_ups(client, programme):
    started = ActivityFactory(starts_at=timezone.now() - dt.timedelta(hours=1))
    assert "不能再报名" in client.get(f"/activities/{started.code}/").content.decode()
    assert sign_up(client, started).status_code == 409
    assert not Signup.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_fifty_at_once_for_the_last_three_places_get_three_places(programme):
    activity = ActivityFactory(capacity=10)
    for n in range(7):
        services.signup_create(activity=activity, name=f"早到{chr(0x4E00 + n)}", phone=f"1370000{n:04d}")

    def one(index):
        return services.signup_create(activity=activity, name=f"同时{chr(0x4E00 + index)}", phone=f"1380000{index:04d}").status

    results, errors = run_concurrently(50, one)
    assert errors == []
    assert results.count(SignupStatus.CONFIRMED) == 3 and results.count(SignupStatus.WAITLISTED) == 47
    assert activity.signups.filter(status=SignupStatus.CONFIRMED).count() == 10
    assert Notice.objects.filter(event="act_confirmed").count() == 10
    assert Notice.objects.filter(event="act_waitlisted").count() == 47


@pytest.mark.django_db
def test_the_blood_drive_asks_first_and_says_kindly_why_not(client, programme):
    drive = ActivityFactory(kind="blood", title="无偿献血", capacity=30, neighbourhood=None, organiser="芷江西路街道")
    page = client.get(f"/activities/{drive.code}/").content.decode()
    assert "您的年龄" in page and "单独同意" in page
    answers = {"age": "58", "weight_ok": "yes", "unwell_recently": "no", "sensitive_consent": "on"}
    refused = sign_up(client, drive, **answers)
    assert refused.status_code == 400
    assert "谢谢您的爱心" in refused.content.decode() and "18到55周岁" in refused.content.decode()
    assert not Signup.objects.exists()

    no_consent = sign_up(client, drive, **{**answers, "age": "35", "sensitive_consent": ""})
    assert "请单独勾选同意处理健康信息" in no_consent.content.decode()

    next_url(sign_up(client, drive, **{**answers, "age": "35"}))
    screening = DonorScreening.objects.get()
    assert screening.answers["age"] == 35 and screening.sensitive_consent_at
    notice = Notice.objects.get(event="act_confirmed")
    assert set(notice.params) == {"title", "when", "place", "note", "link"} and "体重" not in notice.text

    # Once the drive is over, the health answers go; the sign-up stays.
    assert services.screening_forget(now=drive.ends_at - dt.timedelta(minutes=1)) == {}
    assert services.screening_forget(now=drive.ends_at + dt.timedelta(minutes=1)) == {"screening_forgotten": 1}
    assert not DonorScreening.objects.exists() and Signup.objects.count() == 1


@pytest.mark.django_db
def test_the_reminder_goes_the_day_before_once(programme):
    now = timezone.now()
    tomorrow = timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    activity = ActivityFactory(starts_at=tomorrow, capacity=1)
    later = ActivityFactory(starts_at=tomorrow + dt.timedelta(days=2))
    services.signup_create(activity=activity, name="王秀英", phone="13900000013")
    services.signup_create(activity=activity, name="候补的人", phone="13900000014")
    services.signup_create(activity=later, name="后天的人", phone="13900000015")

    assert services.reminders_queue(now=now) == {"activity_reminders": 1}
    assert services.reminders_queue(now=now) == {}
    reminder = Notice.objects.get(event="act_reminder")
    assert reminder.phone == "13900000013" and "明天" in reminder.text


@pytest.mark.django_db
def test_check_in_takes_the_code_of_the_day_only(client, programme):
    start = timezone.localtime().replace(hour=23, minute=59, second=0, microsecond=0)
    activity = ActivityFactory(starts_at=start, ends_at=start + dt.timedelta(minutes=1))
    today = timezone.localdate()
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    signup = services.signup_create(activity=activity, name="王秀英", phone="13900000013", now=midnight)

    stale = services.checkin_code(activity, today - dt.timedelta(days=1))
    page = client.post(f"/activities/{activity.code}/checkin/{stale}/", {"phone": "13900000013"}).content.decode()
    assert "签到码已经过期或不正确" in page
    forged = client.post(f"/activities/{activity.code}/checkin/0123456789/", {"phone": "13900000013"}).content.decode()
    assert "签到码已经过期或不正确" in forged
    unknown = client.post(
        f"/activities/{activity.code}/checkin/{services.checkin_code(activity, today)}/", {"phone": "13900000099"}
    ).content.decode()
    assert "没有找到这个手机号码的报名" in unknown

    page = client.post(
        f"/activities/{activity.code}/checkin/{services.checkin_code(activity, today)}/", {"phone": "139 0000 0013"}
    ).content.decode()
    assert "签到成功" in page
    signup.refresh_from_db()
    assert signup.attended_at is not None


@pytest.mark.django_db
def test_the_door_shows_who_checked_in_and_the_first_arrival_time_stays(client, programme):
    start = timezone.localtime().replace(hour=23, minute=59, second=0, microsecond=0)
    activity = ActivityFactory(starts_at=start, ends_at=start + dt.timedelta(minutes=1), groups=["第3组 门岗值守"])
    group = activity.groups.get()
    today = timezone.localdate()
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    signup = services.signup_create(activity=activity, name="王秀英", phone="13900000013", group=group, now=midnight)
    door = f"/activities/{activity.code}/checkin/{services.checkin_code(activity, today)}/"

    arrived = midnight + dt.timedelta(minutes=3, seconds=7, microseconds=250)
    assert services.checkin(activity=activity, code=services.checkin_code(activity, today), phone="13900000013",
                            now=arrived) == services.Arrival(name="王秀英", group_name="第3组 门岗值守")  # fmt: skip
    signup.refresh_from_db()
    assert signup.attended_at == arrived
    page = client.post(door, {"phone": "13900000013"}).content.decode()
    assert "签到成功" in page and "王秀英 · 第3组 门岗值守" in page
    signup.refresh_from_db()
    assert signup.attended_at == arrived  # scanning twice does not move the arrival


@pytest.mark.django_db
def test_names_and_phones_go_when_the_records_no_longer_need_them(programme, settings):
    settings.JIEDAO_VOLUNTEER_RETENTION_DAYS = 30
    activity = ActivityFactory()
    services.signup_create(activity=activity, name="王秀英", phone="13900000013")
    services.signup_create(activity=activity, name="李建国", phone="13900000014")
    Signup.objects.update(attended_at=activity.starts_at)
    assert services.signups_anonymise(now=activity.ends_at + dt.timedelta(days=29)) == {}
    assert services.signups_anonymise(now=activity.ends_at + dt.timedelta(days=31)) == {"signups_anonymised": 2}
    assert set(Signup.objects.values_list("name", flat=True)) == {"已匿名"}
    assert not Signup.objects.filter(phone__startswith="139").exists()
    assert Signup.objects.filter(attended_at__isnull=False).count() == 2  # the counts stay
    assert services.signups_anonymise(now=activity.ends_at + dt.timedelta(days=32)) == {}


@pytest.mark.django_db
def test_an_activity_for_given_branches_takes_only_their_members(client, programme):
    activity = ActivityFactory(unit_label="所在党支部", units="第一党支部\n第二党支部\n")
    page = client.get(f"/activities/{activity.code}/").content.decode()
    assert "第一党支部" in page and "第二党支部" in page
    refused = sign_up(client, activity, unit="第九党支部")
    assert refused.status_code == 400 and not Signup.objects.exists()
    with pytest.raises(services.ValidationFailed) as outside:
        services.signup_create(activity=activity, name="王秀英", phone="13900000013", unit="第九党支部")
    assert "只请这些单位或党支部参加" in str(outside.value.errors["unit"])
    next_url(sign_up(client, activity, unit="第二党支部"))
    assert Signup.objects.get().unit == "第二党支部"


@pytest.mark.django_db
def test_the_public_pages_copy_of_an_activity_never_decides_a_place(client, programme):
    from jiedao.activities.models import Activity

    activity = ActivityFactory(capacity=5)
    assert "确认报名" in client.get(f"/activities/{activity.code}/").content.decode()  # kept by this process now
    # Another worker process calls it off: this process's copy does not know yet.
    Activity.objects.filter(pk=activity.pk).update(cancelled_at=timezone.now())
    refused = sign_up(client, activity)
    assert refused.status_code == 409 and "这个活动已经结束或取消" in refused.content.decode()
    assert not Signup.objects.exists()


@pytest.mark.django_db
def test_calling_an_activity_off_shows_on_its_page_at_once(client, programme):
    activity = ActivityFactory(capacity=5)
    client.get(f"/activities/{activity.code}/")
    services.activity_cancel(activity=activity, actor=activity.created_by)
    page = client.get(f"/activities/{activity.code}/").content.decode()
    assert "这个活动已经取消了" in page and "确认报名" not in page
