"""The API takes a reference and a phone however a partner's form let the resident type them
(issue 12.3): the same normaliser as the status page and the staff search."""

import json
from urllib.parse import quote

from jiedao.intake.models import Application
from tests.api.conftest import submit


def full_width(text: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


def test_a_case_is_read_by_its_reference_however_it_is_written(client, partner, programme, subtests):
    reference = json.loads(submit(client, partner, programme).content)["reference"]
    code, year, sequence = reference.split("-")
    for typed in [reference.lower(), code + year + sequence, full_width(reference), f"{code} {year} {sequence}",
                  f"{code}—{year}—{sequence}", f"{code}-{year}-{int(sequence)}"]:
        with subtests.test(reference=typed):
            response = client.get(f"/api/v1/applications/{quote(typed)}", **partner.headers)
            assert response.status_code == 200
            assert json.loads(response.content)["reference"] == reference


def test_a_reference_that_is_none_is_a_json_404(client, partner, programme, subtests):
    for typed in ["garbage", "JGBK-26-00001", "J" * 300, "%EF%BC%8A"]:
        with subtests.test(reference=typed):
            response = client.get(f"/api/v1/applications/{quote(typed)}", **partner.headers)
            assert response.status_code == 404
            assert json.loads(response.content)["code"] == "not_found"


def test_a_phone_with_country_code_or_full_width_digits_is_stored_as_its_eleven_digits(client, partner, programme):
    response = submit(client, partner, programme, phone="＋８６ １３８ １２３４ ５６７８", proxy_phone="0086 139-0000-0013",
                      proxy_name="李建华", proxy_relationship="child")
    assert response.status_code == 201, response.content
    application = Application.objects.get(reference=json.loads(response.content)["reference"])
    assert (application.phone, application.proxy_phone) == ("13812345678", "13900000013")


def test_a_phone_that_is_not_a_mobile_is_a_422_on_phone(client, partner, programme):
    response = submit(client, partner, programme, phone="+1 415 555 0100")
    assert response.status_code == 422
    assert "phone" in json.loads(response.content)["errors"]
