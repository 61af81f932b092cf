"""The rules of 好差评: one invitation and one SMS per ended case, one rating per case, links
that cannot be forged, reused or used late, bad ratings followed up within working days, appeals."""

import datetime as dt

import pytest
from django.utils import timezone

from jiedao.core.models import AuditEntry, Role
from jiedao.lib.case_endings import case_ended
from jiedao.notices.models import Notice
from jiedao.ratings import selectors, services
from jiedao.ratings.models import Channel, Invitation, Rating, Rectification, RectificationStatus, StaffContact
from jiedao.lib.errors import ValidationFailed
from tests.factories import case_ended_event, make_staff, rating_invitation

GOOD = {"overall": 5, "efficiency": 4, "guide_accuracy": 5, "convenience": 4, "platform": 5}


@pytest.mark.django_db
def test_a_case_ended_twice_gets_one_invitation_and_one_sms_with_a_link_free_of_personal_data():
    event = case_ended_event(person_name="俞阿娥", phone="13812345678")
    case_ended.publish(event)
    case_ended.publish(event)  # decided, then paid: the same case
    assert Invitation.objects.filter(case_key=event.case_key).count() == 1
    [notice] = Notice.objects.filter(event=services.SMS_INVITE)
    assert notice.phone == "13812345678"
    assert "/ratings/" in notice.text and "30天" in notice.text
    assert "俞阿娥" not in notice.text and "13812345678" not in notice.text and event.case_key not in notice.text
    token = notice.params["token"]
    assert services.token_is_signed(token)
    assert not Invitation.objects.filter(token_hash=token).exists()  # only its hash is stored


@pytest.mark.django_db
def test_no_phone_no_sms_but_still_an_invitation_for_staff_to_take_face_to_face():
    case_ended.publish(case_ended_event(phone=""))
    assert Invitation.objects.count() == 1
    assert not Notice.objects.filter(event=services.SMS_INVITE).exists()


@pytest.mark.django_db
def test_a_rating_from_the_link_has_the_level_the_five_indicators_and_the_comment():
    invitation, token = rating_invitation()
    rating = services.rating_submit(token=token, level=5, indicators=GOOD, comment="工作人员很耐心")
    assert rating.get_level_display() == "非常满意"
    assert rating.channel == Channel.ONLINE and rating.taken_by is None
    assert [value for _label, value in rating.indicator_values()] == [5, 4, 5, 4, 5]
    assert not Rectification.objects.exists()


@pytest.mark.django_db
def test_a_missing_or_out_of_range_score_is_named():
    _invitation, token = rating_invitation()
    with pytest.raises(ValidationFailed) as failed:
        services.rating_submit(token=token, level="", indicators={**GOOD, "platform": "", "efficiency": "9"})
    assert set(failed.value.errors) == {"level", "platform", "efficiency"}
    assert "平台操作性" in str(failed.value.errors["platform"][0])
    assert not Rating.objects.exists()


@pytest.mark.django_db
def test_a_link_is_used_once_expires_after_thirty_days_and_a_forged_one_is_told_apart():
    invitation, token = rating_invitation()
    services.rating_submit(token=token, level=4, indicators=GOOD)
    with pytest.raises(services.LinkUsed):
        services.rating_submit(token=token, level=1, indicators=GOOD)
    assert Rating.objects.get().level == 4

    _other, other_token = rating_invitation(ended_at=timezone.now() - dt.timedelta(days=31))
    with pytest.raises(services.LinkExpired) as expired:
        services.invitation_for_token(other_token)
    assert "过期" in str(expired.value.message)

    forged = token[:-1] + ("a" if token[-1] != "a" else "b")
    with pytest.raises(services.LinkForged):
        services.invitation_for_token(forged)
    with pytest.raises(services.LinkForged):  # well formed and signed elsewhere: not ours either
        services.invitation_for_token(services.token_new())


@pytest.mark.django_db
def test_staff_take_the_rating_face_to_face_and_it_is_recorded_as_such(programme):
    worker = make_staff("worker_zjxc", Role.WORKER, ["zhijiangxincun"])
    invitation, token = rating_invitation()
    rating = services.rating_take_face_to_face(invitation=invitation, actor=worker, level=3, comment="当面说的")
    assert rating.channel == Channel.FACE_TO_FACE and rating.taken_by == worker
    assert rating.overall is None  # the indicators are asked only if the person wants
    assert AuditEntry.objects.filter(action=services.AUDIT_FACE_TO_FACE, reference=invitation.case_key).exists()
    with pytest.raises(services.LinkUsed):  # one rating per case: the SMS link is spent too
        services.rating_submit(token=token, level=5, indicators=GOOD)


@pytest.mark.django_db
def test_a_bad_rating_opens_a_rectification_for_the_handler_due_in_working_days(settings, programme):
    settings.JIEDAO_RATING_RECTIFY_WORKING_DAYS = 15
    reviewer = make_staff("reviewer", Role.REVIEWER)
    invitation, token = rating_invitation(handler_id=reviewer.pk)
    # Friday 25 September 2026: the National Day week (1–7 October) is not counted.
    now = timezone.make_aware(dt.datetime(2026, 9, 25, 10, 0))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "invitation_for_token", lambda token, now=None: invitation)
        rating = services.rating_submit(token=token, level=1, indicators=GOOD, comment="等了很久", now=now)
    item = rating.rectification
    assert item.owner == reviewer and item.office == "旧改分指挥部"
    assert item.status == RectificationStatus.OPEN
    assert item.due_on == services.calendar_current().add_working_days(dt.date(2026, 9, 25), 15)
    assert item.due_on > dt.date(2026, 10, 16)
    assert not item.due_year_unknown


@pytest.mark.django_db
def test_the_rater_is_called_back_then_answered_by_sms(programme):
    reviewer = make_staff("reviewer", Role.REVIEWER)
    invitation, token = rating_invitation(handler_id=reviewer.pk)
    rating = services.rating_submit(token=token, level=2, indicators=GOOD)
    item = rating.rectification
    with pytest.raises(ValidationFailed) as failed:  # a named rater is called first
        services.rectification_answer(rectification=item, actor=reviewer, answer="已重新核对")
    assert "回访" in str(failed.value.errors["answer"][0])
    services.rectification_record_call(
        rectification=item, actor=reviewer, called_at=timezone.now(), outcome="阿姨说等待时间太长"
    )
    services.rectification_answer(rectification=item, actor=reviewer, answer="已安排专人上门办理，缩短等待")
    item.refresh_from_db()
    assert item.status == RectificationStatus.ANSWERED and item.answered_by == reviewer
    [sms] = Notice.objects.filter(event=services.SMS_ANSWER)
    assert sms.phone == invitation.phone and "已安排专人上门办理" in sms.text


@pytest.mark.django_db
def test_only_the_owner_or_the_renovation_office_handles_a_rectification(programme):
    owner = make_staff("worker_zjxc", Role.WORKER, ["zhijiangxincun"])
    other = make_staff("worker_yt", Role.WORKER, ["yongtai"])
    _invitation, token = rating_invitation(handler_id=owner.pk)
    item = services.rating_submit(token=token, level=1, indicators=GOOD).rectification
    assert services.may_handle(owner, item)
    assert not services.may_handle(other, item)
    with pytest.raises(services.NotAllowed):
        services.rectification_record_call(rectification=item, actor=other, called_at=timezone.now(), outcome="x")


@pytest.mark.django_db
def test_an_overdue_rectification_texts_its_owner_once(programme):
    owner = make_staff("reviewer", Role.REVIEWER)
    StaffContact.objects.create(user=owner, phone="13900001111")
    _invitation, token = rating_invitation(handler_id=owner.pk)
    item = services.rating_submit(token=token, level=1, indicators=GOOD).rectification
    later = timezone.now() + dt.timedelta(days=60)
    assert services.rectifications_overdue_notify(now=timezone.now()) == {}  # not due yet
    assert services.rectifications_overdue_notify(now=later) == {"rating_overdue_notices": 1}
    assert services.rectifications_overdue_notify(now=later) == {}
    [sms] = Notice.objects.filter(event=services.SMS_OVERDUE)
    assert sms.phone == "13900001111" and item.rating.invitation.case_key in sms.text


@pytest.mark.django_db
def test_an_upheld_appeal_excludes_the_rating_from_the_figures_but_keeps_it(programme):
    worker = make_staff("worker_zjxc", Role.WORKER, ["zhijiangxincun"])
    leader = make_staff("leader", Role.LEADER)
    _i, good_token = rating_invitation()
    services.rating_submit(token=good_token, level=5, indicators=GOOD)
    _i, bad_token = rating_invitation()
    bad = services.rating_submit(token=bad_token, level=1, indicators=GOOD, comment="骂人的话")
    assert selectors.summary(selectors.ratings_for()).share_satisfied == "50.0%"

    appeal = services.appeal_file(rating=bad, actor=worker, reason="与本件无关的恶意评价，有通话记录为证")
    with pytest.raises(services.NotAllowed):  # not by the one who filed it, nor by a worker
        services.appeal_decide(appeal=appeal, actor=worker, upheld=True)
    with pytest.raises(ValidationFailed):  # dismissed needs a reason
        services.appeal_decide(appeal=appeal, actor=leader, upheld=False)
    services.appeal_decide(appeal=appeal, actor=leader, upheld=True, note="核实属实")
    bad.refresh_from_db()
    assert bad.excluded and Rating.objects.count() == 2
    assert selectors.summary(selectors.ratings_for()).share_satisfied == "100.0%"
    assert selectors.export_records(None) and len(selectors.export_records(None)) == 1
    assert services.rectifications_overdue_notify(now=timezone.now() + dt.timedelta(days=60)) == {}


@pytest.mark.django_db
def test_names_and_phones_are_forgotten_after_the_period_but_not_while_a_rectification_is_open(settings, programme):
    settings.JIEDAO_RATING_PERSON_DAYS = 180
    old = timezone.now() - dt.timedelta(days=200)
    quiet, _token = rating_invitation(ended_at=old)
    bad, bad_token = rating_invitation(ended_at=timezone.now())
    services.rating_submit(token=bad_token, level=1, indicators=GOOD)
    Invitation.objects.filter(pk=bad.pk).update(ended_at=old)
    recent, _token = rating_invitation()
    assert services.invitations_forget() == {"rating_people_forgotten": 1}
    assert services.invitations_forget() == {}
    quiet.refresh_from_db(), bad.refresh_from_db(), recent.refresh_from_db()
    assert (quiet.phone, quiet.person_name) == ("", "")
    assert bad.phone and recent.phone  # the rater still awaits an answer; the other is recent
