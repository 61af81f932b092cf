"""The status page finds a case however the resident types its reference and phone (issue 12.3):
from an SMS, read aloud, or on a Chinese keyboard that types full-width characters."""

import pytest

from jiedao.intake import services
from jiedao.notices.models import Event, Notice
from tests.conftest import stored_photos_for, valid_answers
from tests.factories import valid_id_number

APPLICANT = "13812345678"
PROXY = "13900000013"


@pytest.fixture(autouse=True)
def sms_console(settings, tmp_path):
    settings.JIEDAO_SMS_PROVIDER = "console"
    settings.JIEDAO_SMS_CONSOLE_FILE = tmp_path / "sms.jsonl"


@pytest.fixture
def case(programme):
    answers = valid_answers(who="proxy", proxy_name="李建华", proxy_phone=PROXY, proxy_relationship="child")
    return services.application_submit(
        programme=programme, answers=answers, photos=stored_photos_for(programme, ["disabled"])
    )


def full_width(text: str) -> str:
    """What a Chinese input method types: every ASCII letter, digit and dash in its wide form."""
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


def reference_spellings(reference: str) -> list[str]:
    code, year, sequence = reference.split("-")
    return [
        code + year + sequence,
        f"{code.lower()} {year} {sequence}",
        full_width(reference),
        full_width(reference)[:-2] + reference[-2:],  # ＪＧＢＫ－２０２６－０００07: the IME switched midway
        f"  {reference}  ",
        f"{code}—{year}—{sequence}",
        f"{code}–{year}–{sequence}",
        f"{code}‐{year}‐{sequence}",
        f"{code}_{year}_{sequence}",
        f"{code}·{year}·{sequence}",
        f"{code}-{year}-{int(sequence)}",
    ]


PHONE_SPELLINGS = [
    "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "86 13812345678", "0086 13812345678",
    "+8613812345678", full_width(APPLICANT), "１３８ １２３４ ５６７８",
]


@pytest.mark.django_db
def test_the_status_page_finds_the_case_however_the_reference_is_typed(client, case, subtests):
    assert case.reference.endswith("-00001")
    for typed in reference_spellings(case.reference):
        with subtests.test(reference=typed):
            page = client.post("/status/", {"reference": typed, "phone": APPLICANT}).content.decode()
            assert case.reference in page and "没有查到" not in page
            assert "发送验证码到 138****5678" in page


@pytest.mark.django_db
def test_the_status_page_finds_the_case_however_the_phone_is_typed(client, case, subtests):
    for typed in PHONE_SPELLINGS:
        with subtests.test(phone=typed):
            page = client.post("/status/", {"reference": case.reference, "phone": typed}).content.decode()
            assert case.reference in page and "发送验证码到 138****5678" in page


@pytest.mark.django_db
def test_a_full_width_lookup_and_a_full_width_code_open_the_case(client, case):
    """The SMS code step works on what the lookup found: the code goes to the phone's 11 digits,
    and a code typed back in full-width digits is accepted."""
    client.post("/status/", {"reference": full_width(case.reference), "phone": "+86 139 0000 0013"})
    assert client.post("/status/code/send/")["Location"] == "/status/code/"
    notice = Notice.objects.get(event=Event.ACCESS_CODE)
    assert notice.phone == PROXY
    response = client.post("/status/code/", {"code": full_width(notice.params["code"])})
    assert response["Location"] == "/status/case/"
    assert 'class="timeline"' in client.get("/status/case/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "reference, phone",
    [
        ("JGBK-2026-99999", APPLICANT),
        ("garbage", APPLICANT),
        ("", APPLICANT),
        ("ＪＧＢＫ－２６－０００01", APPLICANT),
        ("<script>alert(1)</script>", "13812345678'--"),
        ("J" * 500, "1" * 500),
        ("{reference}", "13700000000"),
        ("{reference}", "+1 415 555 0100"),
        ("{reference}", ""),
    ],
)
def test_what_does_not_name_a_case_is_a_plain_not_found(client, case, reference, phone):
    response = client.post("/status/", {"reference": reference.format(reference=case.reference), "phone": phone})
    assert response.status_code == 200
    page = response.content.decode()
    assert "没有查到" in page and "发送验证码" not in page


@pytest.mark.django_db
def test_the_applicant_step_takes_a_full_width_id_number_with_a_small_x_and_a_phone_with_86(client, programme):
    number = valid_id_number("19500101", 106)
    assert number.endswith("X")
    client.post("/apply/JGBK/start/")
    client.post("/apply/JGBK/step/who/", {"who": "self"})
    response = client.post(
        "/apply/JGBK/step/applicant/",
        {"name": "张志远", "id_number": full_width(number[:-1]) + "ｘ", "phone": "＋８６ １３８ １２３４ ５６７８"},
    )
    assert response.status_code == 302 and response["Location"].endswith("/step/address/")
    page = client.get("/apply/JGBK/step/applicant/").content.decode()
    assert f'value="{number}"' in page and 'value="13812345678"' in page
