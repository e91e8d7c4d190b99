"""FHIR test helpers: a bearer-token client that speaks application/fhir+json."""

import orjson
import pytest

from speciosa.accounts.models import ApiToken
from speciosa.fhir.validation import validate_resource
from tests.factories import add_kratom_use, add_lab, add_medication

FHIR_JSON = "application/fhir+json"


class FhirClient:
    def __init__(self, client, secret: str | None):
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}

    def _call(self, method, url, body=None, **headers):
        kwargs = {**self.headers, **headers}
        if body is not None:
            kwargs["data"] = orjson.dumps(body)
            kwargs["content_type"] = FHIR_JSON
        response = getattr(self.client, method)(url, **kwargs)
        if getattr(response, "streaming", False):
            response.json_body = None
        else:
            response.json_body = orjson.loads(response.content) if response.content else None
        return response

    def get(self, url, **headers):
        return self._call("get", url, **headers)

    def post(self, url, body, **headers):
        return self._call("post", url, body, **headers)

    def put(self, url, body, **headers):
        return self._call("put", url, body, **headers)

    def delete(self, url, **headers):
        return self._call("delete", url, **headers)


def token_client(client, user, scope="read_write", programs=()):
    token, secret = ApiToken.issue(user=user, name="test client", scope=scope)
    if programs:
        token.programs.set(programs)
    return FhirClient(client, secret)


@pytest.fixture
def fhir(client, prescriber):
    """Prescriber of ``program`` with a read_write token."""
    return token_client(client, prescriber)


@pytest.fixture
def fhir_outsider(client, outsider):
    return token_client(client, outsider)


@pytest.fixture
def fhir_director(client, director):
    """Program director of ``program`` (may read its audit log), read scope."""
    return token_client(client, director, scope="read")


@pytest.fixture
def charted_patient(patient):
    """``patient`` with kratom use, a liver panel value and a medication."""
    add_kratom_use(patient, grams="24", form="extract_shot", doses_per_day=3)
    add_lab(patient, "ALT", 96.0, unit="U/L", ref_low=7, ref_high=40)
    add_medication(patient, "buprenorphine", rxnorm_code="1670", dose=8, unit="mg")
    return patient


def assert_outcome(response, status, *, contains=""):
    """The response is an OperationOutcome with ``status`` and a diagnostic."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json_body
    assert body["resourceType"] == "OperationOutcome"
    validate_resource(body)
    diagnostics = body["issue"][0]["diagnostics"]
    assert diagnostics
    assert contains.lower() in diagnostics.lower(), diagnostics
    return body


def new_patient_resource(program, mrn="N100", **extra):
    resource = {
        "resourceType": "Patient",
        "identifier": [
            {"system": f"http://speciosa.org/fhir/sid/mrn/{program.code}", "value": mrn}
        ],
        "name": [{"family": "Nguyen", "given": ["Kim"]}],
        "gender": "female",
        "birthDate": "1988-03-04",
        "managingOrganization": {"reference": f"Organization/{program.uid}"},
    }
    resource.update(extra)
    return resource
