"""Schemathesis over the OpenAPI description, in-process through WSGI (no network): generated
requests to every operation, with a reviewer token and with a partner token, must never get a
server error nor an answer that breaks the described schema or status codes."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings as hypothesis_settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.checks import not_a_server_error

from jiedao.api.services import token_issue
from jiedao.api.models import ApiToken

APP = WSGIHandler()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def tokens(programme):
    # The WSGI handler would close the test's connection at the end of every request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {
            "reviewer": token_issue(ApiToken(name="st-reviewer", role="reviewer")),
            "partner": token_issue(ApiToken(name="st-partner", role="partner")),
        }
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_description(case, tokens):
    for raw in tokens.values():
        case.call_and_validate(headers={"Authorization": f"Bearer {raw}"}, checks=CHECKS)
