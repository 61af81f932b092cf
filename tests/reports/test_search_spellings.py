"""The queue's search finds a resident from a reference, phone or ID number however it was typed
(issue 12.3): copied from an SMS, read out on the phone, typed on a Chinese keyboard."""

import pytest
from django.utils import timezone

from tests.conftest import queue_get, sign_in
from tests.factories import valid_id_number

ZHANG_ID = valid_id_number("19500101", 106)  # ends in X


def full_width(text: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


@pytest.fixture
def zhang(make_case):
    make_case(name="王秀英", phone="13900000001")
    return make_case(name="张志远", id_number=ZHANG_ID, phone="13812345678", who="proxy", proxy_name="李建华",
                     proxy_phone="13900000013", proxy_relationship="child")


def names(client, q):
    response = queue_get(client, {"q": q})
    assert response.status_code == 200
    return [application.applicant_name for application in response.context["page"].object_list]


def spellings(reference: str) -> list[str]:
    code, year, sequence = reference.split("-")
    return [
        code + year + sequence, f"{code.lower()} {year} {sequence}", full_width(reference),
        full_width(reference)[:-2] + reference[-2:], f"{code}—{year}—{sequence}", f"{code}_{year}_{sequence}",
        f"{code}·{year}·{sequence}", f"{code}-{year}-{int(sequence)}",
        "+86 138 1234 5678", "0086 13812345678", "8613812345678", "１３８１２３４５６７８", "138-1234-5678",
        "+86 139-0000-0013",
        full_width(ZHANG_ID[:17]) + "ｘ", ZHANG_ID.lower(), f"{ZHANG_ID[:6]} {ZHANG_ID[6:14]} {ZHANG_ID[14:]}",
        "１０６ｘ",
    ]


def test_the_queue_finds_the_resident_however_the_reference_phone_or_id_is_typed(client, reviewer, zhang, subtests):
    sign_in(client, reviewer)
    assert zhang.reference.endswith(f"{timezone.localdate().year}-00002")
    for q in spellings(zhang.reference):
        with subtests.test(q=q):
            assert names(client, q) == ["张志远"]


def test_garbage_in_the_search_finds_nothing_and_breaks_nothing(client, reviewer, zhang, subtests):
    sign_in(client, reviewer)
    for q in ["ＪＧＢＫ－２６－０００02", "JGBK-2026-00002-9", "<script>", "J" * 300, "\u200b", "１２３４５"]:
        with subtests.test(q=q):
            assert names(client, q) == []
