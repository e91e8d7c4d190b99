"""Schemathesis fuzzing of the whole NinjaAPI OpenAPI schema: no input yields a 5xx.

Every operation gets ``FUZZ_EXAMPLES`` generated requests (valid and invalid bodies,
queries and path values) from a prescriber's bearer token; ``patient_id`` is the real
patient so the deeper validation paths run. Set SPECIOSA_FUZZ_EXAMPLES for a longer run.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from speciosa.accounts.models import ApiToken

FUZZ_EXAMPLES = int(os.environ.get("SPECIOSA_FUZZ_EXAMPLES", "8"))

CASES: dict[str, int] = {}

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture(scope="module", autouse=True)
def report_case_count():
    # schemathesis calls the real WSGI handler, whose request_finished signal would close
    # the test's database connection (PostgreSQL) mid-transaction; the test client avoids
    # this the same way
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    print(f"\nAPI fuzz: {sum(CASES.values())} cases over {len(CASES)} operations")


@pytest.fixture
def fuzz_target(prescriber, patient):
    _, secret = ApiToken.issue(user=prescriber, name="fuzzer", scope=ApiToken.Scope.READ_WRITE)
    return {"secret": secret, "patient": str(patient.uid)}


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_generated_request_gets_a_server_error(case, fuzz_target):
    if "patient_id" in (case.path_parameters or {}):
        case.path_parameters["patient_id"] = fuzz_target["patient"]
    response = case.call(headers={"Authorization": f"Bearer {fuzz_target['secret']}"})
    key = case.operation.label
    CASES[key] = CASES.get(key, 0) + 1
    case.validate_response(response, checks=[not_a_server_error])
