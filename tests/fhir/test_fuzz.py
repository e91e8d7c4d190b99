"""Property-based: random requests over the FHIR routes never cause a 5xx, and every
error is an OperationOutcome. (The FHIR routes are plain Django views without an OpenAPI
schema, so hypothesis plays schemathesis' role here.)"""

import itertools
from urllib.parse import quote

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from speciosa.fhir.registry import REGISTRY
from tests.factories import add_kratom_use, add_lab
from tests.fhir.conftest import FhirClient, new_patient_resource, token_client

MRNS = itertools.count(1)
TYPES = sorted(REGISTRY) + ["CodeSystem", "Nope", "patient"]
PARAMS = sorted({p for rt in REGISTRY.values() for p in rt.params}) + [
    "_id",
    "_lastUpdated",
    "_count",
    "_cursor",
    "_include",
    "_total",
    "patient",
    "subject",
    "bogus",
]
VALUES = st.one_of(
    st.sampled_from(["ge2020", "le2030-01-01", "eq2025-02", "gt2025-01-01T00:00:00Z", "x", ""]),
    st.sampled_from(
        ["-1", "0", "3", "99999999999999999999", "final", "active", "a|b", "Patient/1"]
    ),
    st.text(max_size=20),
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def world(client, prescriber, patient):
    add_kratom_use(patient)
    add_lab(patient, "ALT", 50.0)
    return token_client(client, prescriber), patient


def check(response):
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        body = orjson.loads(response.content)
        assert body["resourceType"] == "OperationOutcome"
        assert body["issue"][0]["diagnostics"]


@FUZZ
@given(
    type_name=st.sampled_from(TYPES),
    params=st.lists(st.tuples(st.sampled_from(PARAMS), VALUES), max_size=4),
)
def test_random_searches_never_fail_with_5xx(world, type_name, params):
    fhir, _ = world
    query = "&".join(f"{k}={quote(v)}" for k, v in params)
    check(fhir.get(f"/fhir/{type_name}?{query}"))


@FUZZ
@given(
    type_name=st.sampled_from(TYPES),
    body=JSON,
    method=st.sampled_from(["post", "put"]),
    rid=st.one_of(st.just("pid"), st.text(alphabet="abc-0123456789", min_size=1, max_size=40)),
)
def test_random_bodies_never_fail_with_5xx(world, type_name, body, method, rid):
    fhir, patient = world
    if isinstance(body, dict) and method == "post":
        body.setdefault("resourceType", type_name)
    resource_id = str(patient.uid) if rid == "pid" else rid
    url = f"/fhir/{type_name}" if method == "post" else f"/fhir/{type_name}/{resource_id}"
    check(getattr(fhir, method)(url, body))


@FUZZ
@given(
    field=st.sampled_from(
        ["identifier", "name", "gender", "birthDate", "telecom", "address", "active", "extension"]
    ),
    value=JSON,
)
def test_mutated_patients_are_refused_or_stored_never_5xx(world, field, value):
    fhir, patient = world
    resource = new_patient_resource(patient.program, mrn=f"FZ{next(MRNS)}")
    resource[field] = value
    check(fhir.post("/fhir/Patient", resource))


@FUZZ
@given(path=st.text(alphabet="abcXYZ$/_-.0123456789", max_size=40))
def test_random_paths_never_fail_with_5xx(client, db, path):
    check(FhirClient(client, None).get(f"/fhir/{path}"))
