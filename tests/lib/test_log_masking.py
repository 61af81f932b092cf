"""No ID number or mobile number in a log line, an error e-mail or Django's error page."""

import io
import logging
import sys

import pytest
from django.core import mail
from django.test import RequestFactory
from django.views.debug import get_exception_reporter_class

from jiedao.lib.logging import MaskPersonalData
from jiedao.lib.validators import mask_personal_data
from tests.factories import valid_id_number

ID_NUMBER = valid_id_number("19500101", 106)  # 31010619500101106X
PHONE = "13812345678"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"id {ID_NUMBER} phone {PHONE}", "id 310***********106X phone 138****5678"),
        (f"id={ID_NUMBER.lower()},tel=+86 {PHONE}", "id=310***********106X,tel=138****5678"),
        ("order 1234567890123456789012 and 12345", "order 1234567890123456789012 and 12345"),  # longer numbers stay
        ("call 010-12345678", "call 010-12345678"),  # a landline is not a mobile
    ],
)
def test_id_and_mobile_patterns_are_masked_in_free_text(text, masked):
    assert mask_personal_data(text) == masked


@pytest.fixture
def console():
    """The root logger's configured console handler (settings.LOGGING), writing into a buffer."""
    handler = next(h for h in logging.getLogger().handlers if any(isinstance(f, MaskPersonalData) for f in h.filters))
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_a_log_line_shows_no_id_number_or_phone_whatever_the_logger(console):
    logging.getLogger("jiedao.intake.services").warning("applicant %s, phone %s", ID_NUMBER, PHONE)
    logging.getLogger("some.library").error({"answers": {"id_number": ID_NUMBER, "phone": PHONE}})
    written = console.getvalue()
    assert ID_NUMBER not in written and PHONE not in written
    assert "310***********106X" in written and "138****5678" in written


def test_a_logged_traceback_shows_no_id_number_or_phone(console):
    try:
        raise ValueError(f"no application for {ID_NUMBER} ({PHONE})")
    except ValueError:
        logging.getLogger("jiedao").exception("lookup failed")
    written = console.getvalue()
    assert "ValueError" in written and "310***********106X" in written
    assert ID_NUMBER not in written and PHONE not in written


def _failing_view_report(request):
    answers = {"id_number": ID_NUMBER, "phone": PHONE}  # a local variable the report lists
    try:
        raise RuntimeError(f"could not file {answers['id_number']}")
    except RuntimeError:
        return sys.exc_info()


def _request_with_personal_data():
    return RequestFactory().post(f"/apply/JGBK/applicant/?phone={PHONE}", {"id_number": ID_NUMBER, "phone": PHONE})


def test_the_error_email_to_the_admins_shows_no_id_number_or_phone(settings):
    settings.ADMINS = [("Ops", "ops@example.org")]
    settings.DEBUG = False
    request = _request_with_personal_data()
    exc_info = _failing_view_report(request)
    logging.getLogger("django.request").error(
        "Internal Server Error: %s (%s)", request.path, PHONE, exc_info=exc_info, extra={"status_code": 500, "request": request}
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    everything = message.subject + message.body + "".join(str(content) for content, _type in message.alternatives)
    assert "RuntimeError" in everything
    assert ID_NUMBER not in everything and PHONE not in everything


def test_the_technical_error_page_shows_no_id_number_or_phone(settings):
    settings.DEBUG = True
    request = _request_with_personal_data()
    exc_info = _failing_view_report(request)
    reporter = get_exception_reporter_class(request)(request, *exc_info)
    for report in (reporter.get_traceback_html(), reporter.get_traceback_text()):
        assert "RuntimeError" in report
        assert ID_NUMBER not in report and PHONE not in report
        assert "138****5678" in report
