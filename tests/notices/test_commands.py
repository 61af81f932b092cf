"""`jiedao notices list` and `jiedao notices work --once`."""

import io
import json

import pytest
from django.core.management import call_command

from jiedao.notices.models import Notice, NoticeStatus

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("notices", *args, stdout=out)
    return out.getvalue()


def test_list_shows_masked_phone_template_text_status_and_attempts(sms, make_case):
    first, second = make_case(), make_case(who="proxy", proxy_name="李建华", proxy_phone="13700002222",
                                           proxy_relationship="child")
    rows = json.loads(run("list", "--json"))
    assert len(rows) == 3
    assert {row["reference"] for row in rows} == {first.reference, second.reference}
    row = next(r for r in rows if r["reference"] == first.reference)
    assert row["phone"] == first.phone[:3] + "****" + first.phone[-4:]
    assert row["template_code"] == sms.JIEDAO_SMS_TEMPLATE_CODES["received"]
    assert row["text"] == Notice.objects.get(application=first).text
    assert (row["status"], row["attempts"]) == ("queued", 0)
    only = json.loads(run("list", "--reference", second.reference.lower(), "--json"))
    assert {r["phone"] for r in only} == {"137****2222", second.phone[:3] + "****" + second.phone[-4:]}

    text = run("list", "--reference", first.reference)
    assert first.reference in text and "待发送" in text and row["text"] in text
    for output in (text, json.dumps(rows)):
        assert first.phone not in output and "13700002222" not in output


def test_work_once_sends_what_is_due_with_the_console_provider(sms, make_case):
    sms.JIEDAO_SMS_PROVIDER = "console"
    application = make_case()
    counts = json.loads(run("work", "--once"))
    assert counts == {"sent": 1}
    assert Notice.objects.get().status == NoticeStatus.SENT
    [line] = sms.JIEDAO_SMS_CONSOLE_FILE.read_text().splitlines()
    assert application.reference in json.loads(line)["text"]
    assert json.loads(run("work", "--once")) == {}
