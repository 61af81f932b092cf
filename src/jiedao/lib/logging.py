"""No ID number or mobile number in a log line or an error report (PIPL).

- ``MaskPersonalData`` is a logging filter on every handler of ``settings.LOGGING`` (the console
  and the admins' error e-mail): it renders each record's message with its arguments and masks
  ID numbers and mobiles in it, and in the formatted traceback. Masking the rendered message, not
  only ``msg``, also catches numbers inside objects passed as arguments.
- ``MaskingExceptionReporterFilter`` (``DEFAULT_EXCEPTION_REPORTER_FILTER``) and
  ``MaskingExceptionReporter`` (``DEFAULT_EXCEPTION_REPORTER``) do the same for Django's error
  reports (the technical 500 page with DEBUG, the error e-mail): POST and GET data, request
  headers, every frame's local variables and the exception's message.
"""

from __future__ import annotations

import logging
from pprint import pformat

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from .validators import mask_personal_data

_formatter = logging.Formatter()


class MaskPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is, masked
            message = f"{record.msg} {record.args!r}"
        record.msg = mask_personal_data(str(message))
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True


class _Shown:
    """A variable's masked representation, shown as is by the report's ``pprint``."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _masked_repr(value) -> _Shown:
    try:
        text = pformat(value)
    except Exception as error:  # noqa: BLE001 — the report must still be made
        text = f"Error in formatting: {error.__class__.__name__}"
    return _Shown(mask_personal_data(text))


class MaskingExceptionReporterFilter(SafeExceptionReporterFilter):
    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)
        if not parameters:
            return parameters
        masked = parameters.copy()
        for key in masked:
            masked.setlist(key, [mask_personal_data(value) if isinstance(value, str) else value for value in parameters.getlist(key)])
        return masked

    def get_safe_request_meta(self, request):
        return {key: mask_personal_data(value) if isinstance(value, str) else value
                for key, value in super().get_safe_request_meta(request).items()}  # fmt: skip

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, _masked_repr(value)) for name, value in super().get_traceback_frame_variables(request, tb_frame)]


class MaskingExceptionReporter(ExceptionReporter):
    def get_traceback_data(self):
        data = super().get_traceback_data()
        if isinstance(data.get("exception_value"), str):
            data["exception_value"] = mask_personal_data(data["exception_value"])
        if data.get("request_GET_items") is not None:
            data["request_GET_items"] = [(key, mask_personal_data(str(value))) for key, value in data["request_GET_items"]]
        if data.get("request_COOKIES_items") is not None:
            data["request_COOKIES_items"] = [(key, mask_personal_data(str(value))) for key, value in data["request_COOKIES_items"]]
        for frame in data.get("frames", []):
            if isinstance(frame.get("exc_cause"), BaseException):
                frame["exc_cause"] = mask_personal_data(str(frame["exc_cause"]))
        for key in ("request_insecure_uri", "exception_notes"):
            if isinstance(data.get(key), str):
                data[key] = mask_personal_data(data[key])
        return data
