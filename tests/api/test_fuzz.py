"""The whole API under a schema-driven fuzzer (schemathesis): whatever a staff token sends, no
answer is a server error, and every answer matches the published schema.

Bounded: FENGQIAO_FUZZ_EXAMPLES examples per operation (default 8), derandomised, so a run is the
same run and CI time stays small; raise it on a machine with time to spare.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as fuzzing
from schemathesis.checks import not_a_server_error, response_schema_conformance

from fengqiao.wsgi import application

EXAMPLES = int(os.environ.get("FENGQIAO_FUZZ_EXAMPLES", "8"))

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def one_connection():
    """The app is called as WSGI, not through Django's test client, which would keep the test's
    connection open: around each request Django closes a connection that is in a
    transaction (the test's), so keep it, as the test client does."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def staff_token(api, personas):
    return api.token_of(personas.officer)


@schema.parametrize()
@fuzzing(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_input_makes_a_server_error(case, staff_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {staff_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
