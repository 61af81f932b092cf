"""Every endpoint through HTTP, as a partner platform or the renovation office's system calls it."""

import datetime as dt
import json
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from jiedao.api.models import ApiToken, PartnerSubmission
from jiedao.api.services import parse_address, token_hash
from jiedao.core.models import AuditEntry
from jiedao.intake.models import Application
from tests.api.conftest import photo_upload, submit
from tests.conftest import sign_in


def as_json(response):
    return json.loads(response.content)


def transition(client, issued, reference, **body):
    return client.post(
        f"/api/v1/applications/{reference}/transitions", json.dumps(body), content_type="application/json", **issued.headers
    )


# Authentication.


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_missing_or_wrong_token_gets_401(client, programme, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get("/api/v1/programmes", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert as_json(response)["code"] == "unauthorized"


def test_revoked_token_gets_401(client, partner):
    assert client.get("/api/v1/programmes", **partner.headers).status_code == 200
    call_command("token", "revoke", "--name", partner.token.name)
    assert client.get("/api/v1/programmes", **partner.headers).status_code == 401


def test_token_command_prints_the_secret_once_and_stores_only_its_hash(programme, capsys):
    call_command("token", "create", "--name", "shouli-zhongxin", "--role", "partner")
    raw = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(name="shouli-zhongxin")
    assert raw.startswith("jd_") and token.token_hash == token_hash(raw)
    assert raw not in {token.prefix, token.token_hash, token.webhook_secret}
    assert token.user.username == "api:shouli-zhongxin" and not token.user.has_usable_password()
    call_command("token", "list")
    assert raw not in capsys.readouterr().out


def test_the_admin_makes_a_token_and_shows_it_once(client, programme):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", password=None)
    sign_in(client, admin)
    response = client.post("/admin/api/apitoken/add/", {"name": "yiwang", "role": "reviewer", "webhook_url": ""}, follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.get(name="yiwang")
    shown = [str(m) for m in response.context["messages"]]
    raw = next(re.search(r"jd_[\w-]+", m)[0] for m in shown if "jd_" in m)
    assert token.token_hash == token_hash(raw)
    assert token.user.staff_profile.role == "reviewer"


# Programmes.


def test_programmes_list_categories_documents_and_places(client, partner):
    [jgbk] = as_json(client.get("/api/v1/programmes", **partner.headers))
    assert jgbk["code"] == "JGBK" and jgbk["open"] is True
    disabled = next(c for c in jgbk["categories"] if c["code"] == "disabled")
    documents = {d["code"]: d["pages"] for d in disabled["documents"]}
    assert documents == {"id_card": 2, "bank_card": 1, "disability_cert": 1}
    assert {"zhijiangxincun", "yongtai"} <= {n["code"] for n in jgbk["neighbourhoods"]}
    assert {"yuqun-west", "block-241"} <= {b["code"] for b in jgbk["blocks"]}


# Submitting.


def test_submit_creates_an_application_linked_to_the_partner(client, partner, programme):
    response = submit(client, partner, programme)
    assert response.status_code == 201, response.content
    body = as_json(response)
    application = Application.objects.get(reference=body["reference"])
    assert body["status"] == "submitted" and [h["status"] for h in body["history"]] == ["submitted"]
    assert application.channel == "partner"
    assert (application.address_road, application.address_lane, application.address_number, application.address_room) == (
        "中兴路", "1021", "7", "201"
    )
    assert application.consent_at and application.sensitive_consent_at
    assert PartnerSubmission.objects.get(application=application).token == partner.token
    assert len(body["documents"]) == 4
    assert AuditEntry.objects.filter(reference=application.reference, action="file_application").exists()


def test_proxy_fields_make_a_proxy_application(client, partner, programme):
    response = submit(
        client, partner, programme, channel="online", proxy_name="张小明", proxy_phone="13911112222", proxy_relationship="child"
    )
    assert response.status_code == 201, response.content
    application = Application.objects.get(reference=as_json(response)["reference"])
    assert application.channel == "proxy" and application.proxy_phone == "13911112222"


def test_invalid_fields_get_422_in_the_callers_language(client, partner, programme):
    response = submit(client, partner, programme, id_number="310106195001011234", consent="false", categories=[])
    assert response.status_code == 422
    errors = as_json(response)["errors"]
    assert {"id_number", "consent", "categories"} <= set(errors)
    chinese = errors["consent"][0]
    english = as_json(submit(client, partner, programme, consent="false", headers={"HTTP_ACCEPT_LANGUAGE": "en"}))
    assert english["errors"]["consent"][0] != chinese
    assert all(ord(ch) < 0x3000 for ch in english["errors"]["consent"][0])
    assert not Application.objects.exists()


def test_address_without_a_number_is_a_422_on_address(client, partner, programme):
    response = submit(client, partner, programme, address="中兴路1021弄")
    assert response.status_code == 422
    assert list(as_json(response)["errors"]) == ["address"]


def test_address_parser():
    assert parse_address("中兴路1021弄7号201室") == {
        "address_road": "中兴路", "address_lane": "1021", "address_number": "7", "address_room": "201"
    }
    assert parse_address("永太路88号") == {"address_road": "永太路", "address_lane": "", "address_number": "88", "address_room": ""}
    assert parse_address("中兴路１０２１弄７号")["address_number"] == "7"  # full-width digits
    assert parse_address("中兴路") is None


def test_a_bad_photo_and_a_missing_document_are_422_on_their_fields(client, partner, programme):
    response = submit(client, partner, programme, doc_bank_card=[photo_upload("x") for _ in range(0)], doc_id_card=[
        photo_upload("id_card", 1),
        __import__("django.core.files.uploadedfile", fromlist=["x"]).SimpleUploadedFile("a.gif", b"GIF89a....", "image/gif"),
    ])
    assert response.status_code == 422
    assert "doc_id_card" in as_json(response)["errors"]
    response = submit(client, partner, programme, doc_bank_card=[])
    assert response.status_code == 422
    assert "doc_bank_card" in as_json(response)["errors"]


def test_unknown_or_closed_programme_is_422(client, partner, programme):
    assert as_json(submit(client, partner, programme, programme="NOPE"))["errors"]["programme"]
    programme.closes_on = timezone.localdate() - dt.timedelta(days=1)
    programme.save()
    response = submit(client, partner, programme)
    assert response.status_code == 422 and as_json(response)["errors"]["programme"]


def test_the_partner_that_filed_a_case_gets_its_reference_on_a_duplicate(client, partner, programme):
    first = as_json(submit(client, partner, programme))
    response = submit(client, partner, programme)
    assert response.status_code == 409
    body = as_json(response)
    assert body["code"] == "duplicate_application" and body["reference"] == first["reference"]


def test_another_partner_is_not_told_whether_or_where_a_person_applied(client, partner, other_partner, programme):
    first = as_json(submit(client, partner, programme))
    response = submit(client, other_partner, programme, headers={"HTTP_ACCEPT_LANGUAGE": "zh-hans"})
    assert response.status_code == 409
    body = as_json(response)
    assert body["code"] == "duplicate_application"
    assert "reference" not in body or body["reference"] is None
    assert first["reference"] not in response.content.decode()
    assert "不能用于新的申请" in body["message"]


def test_a_reviewer_token_gets_the_reference_of_a_duplicate(client, partner, reviewer_token, programme):
    first = as_json(submit(client, partner, programme))
    response = submit(client, reviewer_token, programme)
    assert response.status_code == 409 and as_json(response)["reference"] == first["reference"]


@pytest.mark.parametrize("channel", ["counter", "home_visit", "phone"])
def test_a_partner_cannot_claim_a_staff_channel(client, partner, programme, channel):
    response = submit(client, partner, programme, channel=channel, headers={"HTTP_ACCEPT_LANGUAGE": "en"})
    assert response.status_code == 422
    assert "channels" in as_json(response)["errors"]["channel"][0]
    assert not Application.objects.exists()


def test_the_same_idempotency_key_answers_the_first_submission_again(client, partner, other_partner, programme):
    key = {"HTTP_IDEMPOTENCY_KEY": "req-0001"}
    first = submit(client, partner, programme, headers=key)
    again = submit(client, partner, programme, headers=key)
    assert first.status_code == again.status_code == 201
    assert as_json(first)["reference"] == as_json(again)["reference"]
    assert Application.objects.count() == 1
    # Keys are per token: another partner's same key is its own request (here, a duplicate person).
    assert submit(client, other_partner, programme, headers=key).status_code == 409
    too_long = submit(client, partner, programme, serial=2, headers={"HTTP_IDEMPOTENCY_KEY": "k" * 65})
    assert too_long.status_code == 422


# Reading, documents, rights.


@pytest.fixture
def submitted(client, partner, programme):
    return as_json(submit(client, partner, programme))


def test_partner_reads_its_case_and_photo_but_not_another_partners(client, partner, other_partner, reviewer_token, submitted):
    reference = submitted["reference"]
    response = client.get(f"/api/v1/applications/{reference}", **partner.headers)
    assert response.status_code == 200 and as_json(response)["status"] == "submitted"
    url = submitted["documents"][0]["url"].replace("http://testserver", "")
    photo = client.get(url, **partner.headers)
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert "no-store" in photo["Cache-Control"]
    assert b"".join(photo.streaming_content)[:2] == b"\xff\xd8"
    assert client.get(url, **reviewer_token.headers).status_code == 200
    assert client.get(f"/api/v1/applications/{reference}", **other_partner.headers).status_code == 404
    assert client.get(url, **other_partner.headers).status_code == 404
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/applications/JGBK-2026-99999", **reviewer_token.headers).status_code == 404


def test_partner_cannot_act_as_a_reviewer(client, partner, other_partner, submitted):
    reference = submitted["reference"]
    for action in ("start_review", "approve", "reject", "request_more", "record_payment"):
        assert transition(client, partner, reference, action=action, note="x").status_code == 403
    assert client.get("/api/v1/stats?programme=JGBK", **partner.headers).status_code == 403
    assert transition(client, other_partner, reference, action="withdraw").status_code == 404
    response = transition(client, partner, reference, action="withdraw", note="居民撤回")
    assert response.status_code == 200 and as_json(response)["status"] == "withdrawn"


def test_a_reviewer_token_takes_the_case_through_its_life(client, partner, reviewer_token, submitted):
    reference = submitted["reference"]
    assert as_json(transition(client, reviewer_token, reference, action="start_review"))["status"] == "in_review"
    response = transition(client, reviewer_token, reference, action="request_more", missing_documents=["bank_card"])
    assert response.status_code == 422 and "note" in as_json(response)["errors"]
    response = transition(
        client, reviewer_token, reference, action="request_more", note="请补拍银行卡", missing_documents=["bank_card"]
    )
    assert as_json(response)["missing_documents"] == ["bank_card"]
    # The partner sends the document in; the case goes back to review.
    response = client.post(
        f"/api/v1/applications/{reference}/documents", {"doc_bank_card": [photo_upload("bank_card")]}, **partner.headers
    )
    assert response.status_code == 200, response.content
    body = as_json(response)
    assert body["status"] == "resubmitted" and body["missing_documents"] == []
    assert any(d["supplement"] for d in body["documents"])
    again = client.post(f"/api/v1/applications/{reference}/documents", {"doc_bank_card": [photo_upload("bank_card")]}, **partner.headers)
    assert again.status_code == 409
    assert as_json(transition(client, reviewer_token, reference, action="start_review"))["status"] == "in_review"
    # Illegal now: pay before approval.
    response = transition(client, reviewer_token, reference, action="record_payment", amount="800", paid_on=str(timezone.localdate()))
    assert response.status_code == 409 and as_json(response)["status"] == "in_review"
    assert as_json(transition(client, reviewer_token, reference, action="approve"))["status"] == "approved"
    response = transition(client, reviewer_token, reference, action="record_payment", amount="abc", paid_on="2026-13-01")
    assert response.status_code == 422
    response = transition(client, reviewer_token, reference, action="record_payment", amount="800", paid_on=str(timezone.localdate()))
    body = as_json(response)
    assert body["status"] == "paid" and body["paid_amount"] == "800.00"
    assert [h["status"] for h in body["history"]] == [
        "submitted", "in_review", "needs_more", "resubmitted", "in_review", "approved", "paid"
    ]
    case = Application.objects.get(reference=reference)
    assert case.events.last().actor.username == "api:fenzhihuibu"
    # The partner follows it all.
    assert as_json(client.get(f"/api/v1/applications/{reference}", **partner.headers))["status"] == "paid"


def test_transition_input_errors(client, reviewer_token, submitted):
    reference = submitted["reference"]
    assert transition(client, reviewer_token, reference, action="resubmit").status_code == 422
    assert transition(client, reviewer_token, reference, action="fly").status_code == 422
    response = client.post(
        f"/api/v1/applications/{reference}/transitions", "{not json", content_type="application/json", **reviewer_token.headers
    )
    assert response.status_code in (400, 422)
    response = transition(client, reviewer_token, reference, action="start_review", expected_status="in_review")
    assert response.status_code == 409


def test_documents_endpoint_errors(client, partner, reviewer_token, submitted):
    reference = submitted["reference"]
    response = client.post(f"/api/v1/applications/{reference}/documents", {}, **partner.headers)
    assert response.status_code == 422
    response = client.post(f"/api/v1/applications/{reference}/documents", {"doc_bank_card": [photo_upload("bank_card")]}, **partner.headers)
    assert response.status_code == 409  # nothing was asked for


# Statistics.


def test_stats_are_the_dashboards_numbers(client, reviewer_token, submitted):
    from jiedao.reports.selectors import programme_stats
    from jiedao.intake.models import Programme

    response = client.get(f"/api/v1/stats?programme=JGBK&as_of={timezone.localdate()}", **reviewer_token.headers)
    assert response.status_code == 200
    body = as_json(response)
    figures = programme_stats(reviewer_token.token.user, Programme.objects.get(code="JGBK"), timezone.localdate())
    assert body["total"] == figures.total == 1
    assert body["by_status"]["submitted"] == 1 and body["by_channel"]["partner"] == 1
    assert body["by_neighbourhood"]["zhijiangxincun"] == 1
    assert sum(day["count"] for day in body["by_day"]) == 1
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert as_json(client.get(f"/api/v1/stats?programme=JGBK&as_of={yesterday}", **reviewer_token.headers))["total"] == 0
    assert client.get("/api/v1/stats?programme=NOPE", **reviewer_token.headers).status_code == 404
    assert client.get("/api/v1/stats?programme=JGBK&as_of=yesterday", **reviewer_token.headers).status_code == 422
    assert client.get("/api/v1/stats", **reviewer_token.headers).status_code == 422


# The description and the docs.


def test_openapi_and_docs_are_served_without_a_cdn(client):
    schema = as_json(client.get("/api/v1/openapi.json"))
    assert "/api/v1/applications/{reference}/transitions" in schema["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn" not in html.lower() and "/static/ninja/swagger-ui-bundle.js" in html
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


def test_webhook_registration(client, partner, reviewer_token):
    response = client.put("/api/v1/webhook", json.dumps({"url": "https://partner.example.cn/hook"}), content_type="application/json", **partner.headers)
    assert response.status_code == 200 and len(as_json(response)["secret"]) == 64
    bad = client.put("/api/v1/webhook", json.dumps({"url": "ftp://x"}), content_type="application/json", **partner.headers)
    assert bad.status_code == 422
    assert client.put("/api/v1/webhook", json.dumps({"url": "https://x.cn"}), content_type="application/json", **reviewer_token.headers).status_code == 403


def test_a_nul_character_anywhere_gets_422_not_a_server_error(client, programme, partner, reviewer_token):
    # PostgreSQL refuses U+0000 in text; a partner's stray byte must get an answer, not a 500.
    programme_code = programme.code + "\x00"
    sent = submit(client, partner, programme, programme=programme_code)
    assert sent.status_code == 422 and "programme" in as_json(sent)["errors"]
    assert not Application.objects.exists()
    followed = client.get("/api/v1/applications/JGBK-2026-00001%00", **partner.headers)
    assert followed.status_code == 422
    moved = transition(client, reviewer_token, "JGBK-2026-00001", action="start_review", note="a\x00b")
    assert moved.status_code == 422 and "body" in as_json(moved)["errors"]
    stats = client.get("/api/v1/stats", {"programme": "\x00"}, **reviewer_token.headers)
    assert stats.status_code == 422
