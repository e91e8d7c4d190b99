"""Bearer tokens, scopes, program limits, session auth and the audit of every call."""

from speciosa.audit.models import AuditEvent
from tests.factories import make_patient
from tests.fhir.conftest import FhirClient, assert_outcome, new_patient_resource, token_client


def test_no_credentials_is_401_outcome(client, patient):
    response = FhirClient(client, None).get("/fhir/Patient")
    assert_outcome(response, 401, contains="Authentication required")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_is_401_outcome(client, patient):
    response = FhirClient(client, "spc_not-a-token").get("/fhir/Patient")
    assert_outcome(response, 401, contains="unknown, expired or revoked")


def test_read_scope_token_cannot_create(client, prescriber, program):
    reader = token_client(client, prescriber, scope="read")
    response = reader.post("/fhir/Patient", new_patient_resource(program))
    assert_outcome(response, 403, contains="read scope")


def test_read_scope_token_can_search(client, prescriber, patient):
    reader = token_client(client, prescriber, scope="read")
    assert reader.get("/fhir/Patient").status_code == 200


def test_outsider_reads_patient_as_404(fhir_outsider, patient):
    assert_outcome(fhir_outsider.get(f"/fhir/Patient/{patient.uid}"), 404)


def test_outsider_search_does_not_list_patient(fhir_outsider, patient, other_patient):
    body = fhir_outsider.get("/fhir/Patient").json_body
    assert [e["resource"]["id"] for e in body["entry"]] == [str(other_patient.uid)]


def test_token_limited_to_one_program_hides_the_other(
    client, prescriber, program, other_program, patient
):
    from speciosa.accounts.models import Membership

    Membership.objects.create(user=prescriber, program=other_program, role="prescriber")
    second = make_patient(other_program, mrn="B7")
    limited = token_client(client, prescriber, programs=[other_program])
    ids = [e["resource"]["id"] for e in limited.get("/fhir/Patient").json_body["entry"]]
    assert ids == [str(second.uid)]


def test_session_login_reads(client, prescriber, patient):
    client.force_login(prescriber)
    assert client.get(f"/fhir/Patient/{patient.uid}").status_code == 200


def test_session_write_without_csrf_is_refused(prescriber, program):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(prescriber)
    response = FhirClient(csrf_client, None).post("/fhir/Patient", new_patient_resource(program))
    assert_outcome(response, 403, contains="CSRF")


def test_every_read_is_audited(fhir, patient):
    before = AuditEvent.objects.count()
    fhir.get(f"/fhir/Patient/{patient.uid}")
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert event.action == "read"
    assert event.object_id == str(patient.uid)
    assert event.patient_id == patient.pk


def test_search_audit_lists_returned_ids(fhir, patient):
    fhir.get("/fhir/Patient")
    event = AuditEvent.objects.order_by("-id").first()
    assert event.detail["ids"] == [str(patient.uid)]
    assert event.detail["status"] == 200


def test_failed_call_is_audited_too(client, db):
    FhirClient(client, "spc_wrong").get("/fhir/Patient")
    event = AuditEvent.objects.order_by("-id").first()
    assert event.detail["status"] == 401
    assert event.actor_id is None


def test_a_search_is_audited_on_the_chain_of_the_one_program_it_could_touch(
    client, prescriber, program, other_program, patient
):
    """A caller who works in one program (or whose token is limited to one) searches
    only that program: the search is on its chain, where its auditors read. A caller in
    two programs searches both: the row stays on the system chain."""
    from speciosa.accounts.models import Membership

    token_client(client, prescriber).get("/fhir/Patient")
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.chain, event.program_id) == (program.code, program.pk)
    Membership.objects.create(user=prescriber, program=other_program, role="prescriber")
    token_client(client, prescriber).get("/fhir/Patient")
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.chain, event.program_id) == ("system", None)
    token_client(client, prescriber, programs=[other_program]).get("/fhir/Patient")
    event = AuditEvent.objects.order_by("-id").first()
    assert event.chain == other_program.code
