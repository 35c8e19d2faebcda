"""The whole API under a schema-driven fuzzer (schemathesis): whatever a staff token sends, no
answer is a server error, and every answer matches the published schema.

Bounded: FENGQIAO_FUZZ_EXAMPLES examples per operation (default 8), derandomised, so a run is the
same run and CI time stays small; raise it on a machine with time to spare.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as fuzzing
from schemathesis.checks import not_a_server_error, response_schema_conformance

from fengqiao.wsgi import application

EXAMPLES = int(os.environ.get("FENGQIAO_FUZZ_EXAMPLES", "8"))

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


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
