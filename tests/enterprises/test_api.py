"""The district's enterprise service platform reads an enterprise's needs and passes on new ones
(``GET/POST /api/v1/enterprises/{uscc}/needs``), under the back office's rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jiedao.core.models import Role
from jiedao.enterprises import services
from jiedao.enterprises.models import Need
from tests.api.conftest import issue
from tests.factories import EnterpriseFactory, make_staff


@pytest.mark.django_db
def test_a_partner_reads_and_adds_an_enterprises_needs(client, programme):
    partner = issue("qiyefuwu", "partner")
    enterprise = EnterpriseFactory(name="上海国信典当有限公司")
    actor = make_staff("union", Role.REVIEWER)
    late = services.need_add(
        enterprise=enterprise, actor=actor,
        need=services.NeedIn(kind="supplies", detail="口罩", quantity=200, due_on=timezone.localdate() - dt.timedelta(days=1)),
    )  # fmt: skip
    url = f"/api/v1/enterprises/{enterprise.uscc.lower()}/needs"
    listed = client.get(url, **partner.headers)
    assert listed.status_code == 200
    body = listed.json()
    assert body["name"] == "上海国信典当有限公司" and body["needs"][0]["reference"] == late.reference
    assert body["needs"][0]["overdue"] is True and body["needs"][0]["status"] == "open"

    made = client.post(url, {"kind": "policy", "detail": "稳岗补贴怎么申请"}, content_type="application/json", **partner.headers)
    assert made.status_code == 201, made.content.decode()
    need = Need.objects.get(detail="稳岗补贴怎么申请")
    assert made.json()["reference"] == need.reference and need.source == "partner" and need.owner_office == "街道工会"

    blank = client.post(url, {"kind": "policy", "detail": "  "}, content_type="application/json", **partner.headers)
    assert blank.status_code == 422 and "detail" in blank.json()["errors"]
    wrong_kind = client.post(url, {"kind": "cake", "detail": "x"}, content_type="application/json", **partner.headers)
    assert wrong_kind.status_code == 422
    assert client.get("/api/v1/enterprises/91310106MA0000000X/needs", **partner.headers).status_code == 404
    assert client.get(url).status_code == 401
