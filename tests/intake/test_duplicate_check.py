"""A person who already has an open case is stopped at the applicant step, and whoever typed the
ID number learns nothing of that case: no "已有申请", no reference; the reference goes by SMS to
the phones registered on the case. Staff see the reference only for cases within their scope."""

import pytest
from django.test import Client
from django.utils import timezone

from jiedao.core.models import Role
from jiedao.intake import services
from jiedao.intake.models import Application, Draft
from jiedao.notices.models import Event, Notice
from tests.conftest import next_url, sign_in, valid_answers
from tests.factories import make_staff, valid_id_number

TAKEN = valid_id_number("19460312", 77)


@pytest.fixture
def existing(programme, photos_for):
    """俞阿姨's open case, filed by her son: both phones are registered on it."""
    return services.application_submit(
        programme=programme,
        answers=valid_answers(
            id_number=TAKEN,
            phone="13900000001",
            who="proxy",
            proxy_name="俞建国",
            proxy_phone="13900000011",
            proxy_relationship="child",
            neighbourhood="yongtai",
        ),
        photos=photos_for(),
    )


def public_applicant_step(client, id_number=TAKEN, *, language=""):
    next_url(client.post(f"{language}/apply/JGBK/start/"))
    next_url(client.post(f"{language}/apply/JGBK/step/who/", {"who": "self"}))
    return client.post(
        f"{language}/apply/JGBK/step/applicant/", {"name": "张三", "id_number": id_number, "phone": "13812345678"}
    )


def reminders():
    return list(Notice.objects.filter(event=Event.REFERENCE_REMINDER).order_by("phone"))


def test_a_taken_id_number_is_stopped_at_the_applicant_step_without_naming_the_case(client, existing):
    response = public_applicant_step(client)
    html = response.content.decode()
    assert response.status_code == 200
    assert "这个身份证号码现在不能用于新的申请" in html
    assert "受理编号已经用短信发到登记的手机号码上" in html
    assert "021-56330100" in html  # no neighbourhood named yet: the subdistrict's own number
    assert existing.reference not in html
    assert "已有" not in html
    # Nothing was kept, so the resident cannot go on to the photos with this number.
    assert Draft.objects.get().answers.get("id_number") is None
    assert client.get("/apply/JGBK/step/address/")["Location"].endswith("/step/applicant/")


def test_the_reference_is_sent_by_sms_to_the_phones_registered_on_the_case_once_a_day(client, existing):
    public_applicant_step(client)
    sent = reminders()
    assert [n.phone for n in sent] == ["13900000001", "13900000011"]
    assert all(existing.reference in n.text and "/status/" in n.text for n in sent)
    assert "13812345678" not in {n.phone for n in Notice.objects.all()}  # never to whoever typed it
    # Typing it again (here, or from another browser) the same day sends nothing more.
    public_applicant_step(Client())
    assert len(reminders()) == 2


def test_a_free_id_number_goes_on_to_the_address(client, existing):
    response = public_applicant_step(client, valid_id_number("19500101", 5))
    assert next_url(response).endswith("/step/address/")
    assert reminders() == []


def test_checks_from_one_address_are_limited(client, existing, settings):
    settings.JIEDAO_DUPLICATE_CHECK_ADDRESS_LIMITS = "3600:3"
    for serial in range(3):
        next_url(public_applicant_step(Client(), valid_id_number("19500101", serial + 10)))
    response = public_applicant_step(client)
    html = response.content.decode()
    assert response.status_code == 429
    assert "核对身份证号码的次数太多了" in html and "分钟后再试" in html
    assert 'value="张三"' in html  # what was typed is still there
    assert existing.reference not in html
    assert reminders() == []  # refused before looking


def test_a_case_submitted_meanwhile_is_not_named_at_the_final_submit(client, programme, photos_for):
    from tests.intake.test_public_form import ID_NUMBER, apply

    check = apply(client)
    # Someone else files for the same person while this resident is on the check page.
    first = services.application_submit(
        programme=programme, answers=valid_answers(id_number=ID_NUMBER, phone="13900000002"), photos=photos_for()
    )
    response = client.post(check, {"consent": "on", "sensitive_consent": "on"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "这个身份证号码现在不能用于新的申请" in html
    assert "021-56330101" in html  # this application named 芷江新村: its committee's phone
    assert first.reference not in html
    assert [n.phone for n in reminders()] == ["13900000002"]
    assert Application.objects.count() == 1


def test_the_english_page_says_it_in_english(client, existing):
    html = public_applicant_step(client, language="/en").content.decode()
    assert "cannot be used for a new application" in html
    assert existing.reference not in html


# The staff desk.


def staff_applicant_step(client):
    next_url(client.post("/staff/file/JGBK/start/"))
    next_url(client.post("/staff/file/JGBK/step/channel/", {"channel": "counter"}))
    next_url(client.post("/staff/file/JGBK/step/who/", {"who": "self"}))
    return client.post(
        "/staff/file/JGBK/step/applicant/", {"name": "俞秀珍", "id_number": TAKEN, "phone": "13911112222"}
    )


def test_a_worker_of_the_cases_neighbourhood_is_told_its_reference(client, existing):
    sign_in(client, make_staff("worker_yt", Role.WORKER, ["yongtai"]))
    html = staff_applicant_step(client).content.decode()
    assert f"这位申请人已有一份正在办理的申请，受理编号 {existing.reference}" in html
    assert reminders() == []  # the worker tells the resident; no text needed


def test_a_worker_of_another_neighbourhood_is_not(client, existing):
    sign_in(client, make_staff("worker_zjxc", Role.WORKER, ["zhijiangxincun"]))
    html = staff_applicant_step(client).content.decode()
    assert "这个身份证号码现在不能用于新的申请" in html
    assert existing.reference not in html
    assert len(reminders()) == 2


def test_a_reviewer_sees_the_reference_and_staff_checks_are_not_limited(client, existing, settings):
    settings.JIEDAO_DUPLICATE_CHECK_ADDRESS_LIMITS = "3600:1"
    sign_in(client, make_staff("reviewer", Role.REVIEWER))
    for _attempt in range(3):
        response = staff_applicant_step(client)
        assert response.status_code == 200
        assert existing.reference in response.content.decode()


def test_the_shared_check_hands_callers_the_existing_case(programme, existing, photos_for):
    from jiedao.intake.selectors import open_application_for

    assert open_application_for(programme, TAKEN) == existing
    assert open_application_for(programme, valid_id_number("19500101", 5)) is None
    with pytest.raises(services.DuplicateApplication) as duplicate:
        services.application_submit(
            programme=programme, answers=valid_answers(id_number=TAKEN), photos=photos_for(), now=timezone.now()
        )
    assert duplicate.value.application == existing and duplicate.value.reference == existing.reference
    assert existing.reference not in str(duplicate.value.message)
