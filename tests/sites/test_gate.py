"""The gate: what the gatekeeper is told for each pass and temperature, and what is kept.

Passes are signed by the server (a forged or edited QR is refused), expire with their period and
are revoked at once; the same offline entry sent three times counts once; the server's clock
decides the time; a fever or a health code that is not green refuses entry, opens a refusal case
and queues an SMS to the committee's responsible worker."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core import signing
from django.db import connection
from django.utils import timezone

from jiedao.lib.errors import DomainError, ValidationFailed
from jiedao.notices.models import Notice
from jiedao.sites import services
from jiedao.sites.models import GateEntry, Outcome, Refusal, SitePass, SiteWorker
from tests.conftest import run_concurrently
from tests.factories import SiteFactory, builder_uscc, site_worker, valid_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(programme):
    return SiteFactory()


def enter(site, pass_text, temperature="36.5", **kwargs):
    kwargs.setdefault("key", uuid.uuid4())
    kwargs.setdefault("direction", "in")
    return services.gate_entry_record(site=site, pass_text=pass_text, temperature=temperature, **kwargs)


def test_a_builder_with_a_wrong_credit_code_is_refused_and_a_right_one_accepted(programme, admin_user):
    from jiedao.core.models import Neighbourhood

    fields = {
        "code": "gj", "name": "光机小区加装电梯", "neighbourhood": Neighbourhood.objects.get(code="guangji"),
        "place": "1号楼", "builder_name": "某电梯公司", "builder_uscc": "91310106MA1FL7XK2X", "manager_name": "陆建平",
        "manager_phone": "13700000001", "responsible": None, "responsible_phone": "13800000009", "committee_phone": "",
        "work_hours": "8:00—17:00", "rules": "", "status": "stopped",
    }  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        services.site_create(actor=admin_user, fields=fields)
    assert "统一社会信用代码不正确" in refused.value.errors["builder_uscc"][0]
    site = services.site_create(actor=admin_user, fields={**fields, "builder_uscc": builder_uscc().lower()})
    assert site.builder_uscc == builder_uscc()


def test_a_workers_id_number_is_stored_encrypted_and_once_per_site(site):
    worker, _pass = site_worker(site)
    number = valid_id_number("19800101", 1)
    stored = SiteWorker.objects.filter(pk=worker.pk).values_list("id_number_encrypted", flat=True).get()
    assert number not in stored and SiteWorker.objects.get(pk=worker.pk).id_number == number
    with pytest.raises(ValidationFailed) as again:
        services.worker_register(site=site, name="王建国", id_number=number, phone="13600000002")
    assert "已经在本工地登记过了" in again.value.errors["id_number"][0]


def test_a_pass_is_approved_only_after_the_commitment_is_signed(site):
    worker, site_pass = site_worker(site, approved=False, signed=False)
    with pytest.raises(DomainError, match="承诺书"):
        services.pass_approve(site_pass=site_pass, actor=site.responsible, valid_from=site_pass.valid_from, valid_until=site_pass.valid_until)
    services.worker_sign_commitment(worker=worker, signature="王建国")
    approved = services.pass_approve(site_pass=site_pass, actor=site.responsible, valid_from=site_pass.valid_from,
                                     valid_until=site_pass.valid_until)  # fmt: skip
    assert approved.status == "approved"
    sms = Notice.objects.get(event="site_pass")
    assert sms.phone == "13600000001" and "/sites/pass/" in sms.text and "王建国" not in sms.text


def test_the_gate_lets_in_a_worker_with_a_scanned_or_typed_pass(site):
    worker, site_pass = site_worker(site)
    scanned = enter(site, services.pass_token(site_pass))
    assert scanned.outcome == Outcome.ADMITTED and scanned.message == "体温正常，已放行。"
    assert scanned.entry.worker == worker
    typed = enter(site, f" {site_pass.display_number.lower()} ", direction="out", temperature="")
    assert typed.outcome == Outcome.ADMITTED and typed.message == "已登记出场。"


@pytest.mark.parametrize(
    "case, expected",
    [
        ("forged", "不是本系统签发的"),
        ("stretched", "不是本系统签发的"),
        ("unknown", "没有这个出入证号"),
        ("revoked", "已被居委会收回"),
        ("expired", "已过期"),
        ("other_site", "别的工地"),
        ("not_approved", "还没有经过居委会批准"),
    ],
)
def test_a_pass_the_gate_may_not_accept_is_refused_with_a_reason_and_kept(site, case, expected):
    worker, site_pass = site_worker(site)
    text = services.pass_token(site_pass)
    on = None
    if case == "forged":
        text = signing.dumps({"n": site_pass.number, "s": site.code, "u": "2099-01-01"}, salt=services.PASS_SALT, key="not-the-servers-key")
    elif case == "stretched":  # the period edited in a real token: the signature no longer matches
        payload, signature = text.rsplit(":", 1)
        text = payload[:-2] + "xx:" + signature
    elif case == "unknown":
        text = "ABCD-EFGH"
    elif case == "revoked":
        services.pass_revoke(site_pass=site_pass, actor=site.responsible)
    elif case == "expired":
        on = timezone.now() + dt.timedelta(days=40)
    elif case == "other_site":
        other = SiteFactory(responsible=site.responsible)
        _w, other_pass = site_worker(other, serial=2, name="李强")
        text = services.pass_token(other_pass)
    elif case == "not_approved":
        _w, pending = site_worker(site, serial=3, name="赵军", approved=False)
        text = pending.number
    answer = enter(site, text, now=on)
    assert answer.outcome == Outcome.REJECTED and expected in answer.message
    assert GateEntry.objects.filter(outcome=Outcome.REJECTED).count() == 1
    assert not Refusal.objects.exists()


def test_a_revoked_pass_is_refused_at_once_even_from_a_screenshot(site):
    _worker, site_pass = site_worker(site)
    screenshot = services.pass_token(site_pass)
    assert enter(site, screenshot).outcome == Outcome.ADMITTED
    services.pass_revoke(site_pass=site_pass, actor=site.responsible)
    assert enter(site, screenshot).outcome == Outcome.REJECTED


@pytest.mark.parametrize("temperature", ["37.3", "38.1"])
def test_a_fever_refuses_entry_opens_a_case_and_tells_the_committee_by_sms(site, temperature):
    _worker, site_pass = site_worker(site)
    answer = enter(site, site_pass.number, temperature=temperature)
    assert answer.outcome == Outcome.REFUSED
    assert f"体温{temperature}℃，不能进场" in answer.message and "发热门诊" in answer.message
    refusal = Refusal.objects.get()
    assert refusal.reason == "fever" and refusal.closed_at is None
    sms = Notice.objects.get(event="site_refused")
    assert sms.phone == site.responsible_phone and f"体温{temperature}℃" in sms.text and "王建国" not in sms.text


def test_the_fever_threshold_is_a_setting(site, settings):
    settings.JIEDAO_SITES_FEVER_C = 37.8
    _worker, site_pass = site_worker(site)
    assert enter(site, site_pass.number, temperature="37.5").outcome == Outcome.ADMITTED
    assert enter(site, site_pass.number, temperature="37.8").outcome == Outcome.REFUSED


def test_a_health_code_that_is_not_green_refuses_entry(site):
    _worker, site_pass = site_worker(site)
    answer = enter(site, site_pass.number, health_code="yellow")
    assert answer.outcome == Outcome.REFUSED and "健康码不是绿码" in answer.message
    assert "健康码为黄码" in Notice.objects.get(event="site_refused").text


@pytest.mark.parametrize("temperature, message", [("25", "不在人体体温范围内"), ("45.2", "不在人体体温范围内"),
                                                  ("abc", "请填数字"), ("", "进场要先测体温")])  # fmt: skip
def test_a_temperature_out_of_human_range_or_missing_is_refused_and_nothing_is_written(site, temperature, message):
    _worker, site_pass = site_worker(site)
    with pytest.raises(ValidationFailed) as refused:
        enter(site, site_pass.number, temperature=temperature)
    assert message in refused.value.errors["temperature"][0]
    assert not GateEntry.objects.exists()


def test_the_same_offline_entry_sent_three_times_counts_once(site):
    _worker, site_pass = site_worker(site)
    key = uuid.uuid4()
    answers = [enter(site, site_pass.number, key=key, temperature="38.0") for _ in range(3)]
    assert [a.created for a in answers] == [True, False, False]
    assert {a.outcome for a in answers} == {Outcome.REFUSED}
    assert GateEntry.objects.count() == 1 and Refusal.objects.count() == 1
    assert Notice.objects.filter(event="site_refused").count() == 1


def test_a_key_of_another_site_is_refused(site):
    _worker, site_pass = site_worker(site)
    key = uuid.uuid4()
    enter(site, site_pass.number, key=key)
    other = SiteFactory(responsible=site.responsible)
    with pytest.raises(DomainError, match="别的工地"):
        enter(other, "whatever", key=key)


def test_server_time_decides_and_the_phones_wrong_clock_is_kept_for_the_record(site):
    _worker, site_pass = site_worker(site)
    now = timezone.now()
    wrong_clock = now - dt.timedelta(hours=7)
    answer = enter(site, site_pass.number, phone_at=wrong_clock, now=now)
    assert answer.entry.at == now and answer.entry.phone_at == wrong_clock
    # An entry kept 20 minutes on an offline phone: the server's clock less the 20 minutes.
    later = enter(site, site_pass.number, direction="out", temperature="", elapsed_seconds=1200, phone_at=wrong_clock, now=now)
    assert later.entry.at == now - dt.timedelta(minutes=20)
    # A phone claiming a week: no more than 72 hours back.
    old = enter(site, site_pass.number, elapsed_seconds=7 * 86400, now=now)
    assert old.entry.at == now - dt.timedelta(hours=72)


def test_a_refusal_is_closed_only_with_a_note(site):
    _worker, site_pass = site_worker(site)
    enter(site, site_pass.number, temperature="38.5")
    refusal = Refusal.objects.get()
    with pytest.raises(ValidationFailed) as empty:
        services.refusal_close(refusal=refusal, note="  ", actor=site.responsible)
    assert "请写下处理情况" in empty.value.errors["note"][0]
    from jiedao.lib.case_endings import case_ended

    ended = []
    case_ended.subscribe(ended.append)
    try:
        services.refusal_close(refusal=refusal, note="已复测36.9℃，送回宿舍休息，明天再测", actor=site.responsible)
    finally:
        case_ended.unsubscribe(ended.append)
    assert [(e.service, e.case_key, e.phone, e.handler_id) for e in ended] == [
        ("site_refusal", refusal.reference, "13600000001", site.responsible.pk)
    ]
    refusal.refresh_from_db()
    assert refusal.closed_at and refusal.closed_by == site.responsible
    with pytest.raises(DomainError):
        services.refusal_close(refusal=refusal, note="again", actor=site.responsible)


def test_an_sms_outage_loses_nothing_the_refusal_waits_in_the_outbox(site):
    _worker, site_pass = site_worker(site)
    enter(site, site_pass.number, temperature="38.5")
    sms = Notice.objects.get(event="site_refused")
    # Queued in the transaction of the entry, sent (and retried through an outage) by the worker.
    assert sms.status == "queued" and sms.next_attempt_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_same_entry_from_three_phones_at_once_is_written_once(programme):
    site = SiteFactory()
    _worker, site_pass = site_worker(site)
    key = uuid.uuid4()

    def one(index):
        return enter(site, site_pass.number, key=key).created

    results, errors = run_concurrently(3, one)
    assert errors == [] and sorted(results) == [False, False, True]
    assert GateEntry.objects.filter(key=key).count() == 1
    assert connection.vendor in ("sqlite", "postgresql")


def test_figures_of_the_day_count_people_on_site_refusals_and_missed_checks(site):
    from jiedao.sites.selectors import day_figures

    _a, pass_a = site_worker(site, serial=1, name="王建国")
    _b, pass_b = site_worker(site, serial=2, name="李强", phone="13600000002")
    _c, pass_c = site_worker(site, serial=3, name="赵军", phone="13600000003")
    enter(site, pass_a.number)
    enter(site, pass_b.number)
    enter(site, pass_b.number, direction="out", temperature="")
    enter(site, pass_c.number, temperature="38.2")
    enter(site, pass_c.number, direction="out", temperature="")  # left, never checked in: missed
    figures = day_figures(site, timezone.localdate())
    assert (figures.people, figures.on_site, figures.refusals, figures.missed_checks) == (2, 1, 1, 1)
    assert figures.entries == 2 and figures.exits == 2
    assert SitePass.objects.count() == 3 and isinstance(Decimal("1"), Decimal)


def test_jiedao_keys_rotate_re_encrypts_the_workers_id_numbers(site, settings):
    import io

    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from jiedao.lib.crypto import is_current

    worker, _pass = site_worker(site)
    settings.JIEDAO_ID_KEYS = [Fernet.generate_key().decode(), *settings.JIEDAO_ID_KEYS]
    out = io.StringIO()
    call_command("keys", "rotate", stdout=out)
    assert "sites_siteworker：共 1 行，重新加密 1 行" in out.getvalue()
    stored = SiteWorker.objects.get(pk=worker.pk)
    assert is_current(stored.id_number_encrypted) and stored.id_number == valid_id_number("19800101", 1)


def test_no_one_enters_a_stopped_site_but_leaving_is_recorded(site):
    _worker, site_pass = site_worker(site)
    services.site_set_status(site=site, status="stopped", actor=site.responsible)
    site.refresh_from_db()
    refused = enter(site, site_pass.number)
    assert refused.outcome == Outcome.REJECTED and "停工期间不能进场" in refused.message
    assert enter(site, site_pass.number, direction="out", temperature="").outcome == Outcome.ADMITTED
