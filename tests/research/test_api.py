import json

from tests.factories import add_kratom_use, make_patient
from tests.research.conftest import enrol


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_prescriber_screens_consents_and_enrols_over_the_api(api_client, study, candidate):
    base = "/api/research/studies/KRT-01"
    r = _post(api_client, f"{base}/screenings", {"patient": str(candidate.uid)})
    assert r.status_code == 201 and r.json()["decision"] == "eligible"
    r = _post(
        api_client,
        f"{base}/consents",
        {"patient": str(candidate.uid), "signature_name": "Casey Nguyen"},
    )
    assert r.status_code == 201 and r.json()["document_version"] == 1
    r = _post(api_client, f"{base}/enrolments", {"patient": str(candidate.uid)})
    assert r.status_code == 201
    assert r.json()["subject_id"] == "KRT-001" and r.json()["arm"] in {"bup", "taper"}


def test_assessment_without_consent_is_403_consent_required(api_client, enrolment, study):
    study.consents.update(withdrawn_at=enrolment.randomized_at)
    r = _post(
        api_client,
        "/api/research/studies/KRT-01/subjects/KRT-001/assessments",
        {"visit_code": "week1", "instrument_id": "tlfb_kratom", "value": 2},
    )
    assert r.status_code == 403 and r.json()["code"] == "consent_required"


def test_outsider_cannot_see_the_study(client, outsider, study):
    client.force_login(outsider)
    assert client.get("/api/research/studies/KRT-01").status_code == 404
    assert client.get("/api/research/studies").json() == []


def test_researcher_sees_only_consented_subjects(
    client, researcher, study, program, prescriber, enrolment
):
    other = make_patient(program, sex_at_birth="male")
    add_kratom_use(other)
    enrol(study, other, prescriber)
    study.consents.filter(patient=other).update(withdrawn_at=enrolment.randomized_at)
    client.force_login(researcher)
    r = client.get("/api/research/studies/KRT-01/enrolments")
    assert [e["subject_id"] for e in r.json()] == ["KRT-001"]
    assert "Casey" not in r.content.decode()


def test_allocation_list_shows_only_allocated_slots(client, researcher, enrolment):
    client.force_login(researcher)
    r = client.get("/api/research/studies/KRT-01/allocations")
    assert [(a["subject_id"], a["sequence"]) for a in r.json()] == [("KRT-001", 1)]


def test_clinician_cannot_read_the_allocation_list(api_client, enrolment):
    assert api_client.get("/api/research/studies/KRT-01/allocations").status_code == 403


def test_sae_over_the_api_shows_its_deadline(api_client, enrolment):
    r = _post(
        api_client,
        "/api/research/studies/KRT-01/subjects/KRT-001/adverse-events",
        {
            "term": "seizure",
            "category": "nervous_system",
            "onset_on": "2026-02-01",
            "grade": 3,
            "relatedness": "possible",
            "is_expected": False,
            "seriousness": ["hospitalisation"],
        },
    )
    assert r.status_code == 201
    assert r.json()["is_serious"] is True
    assert r.json()["next_deadline_clock"] == "sae-investigator-to-sponsor"


def test_an_uncoded_ae_category_is_refused_over_the_api(api_client, enrolment):
    from speciosa.research.models import AdverseEvent

    r = _post(
        api_client,
        "/api/research/studies/KRT-01/subjects/KRT-001/adverse-events",
        {
            "term": "seizure",
            "category": "vibes",  # exports carry the coded category: it must be one
            "onset_on": "2026-02-01",
            "grade": 1,
            "relatedness": "unlikely",
            "is_expected": True,
        },
    )
    assert r.status_code == 422 and r.json()["detail"]["field"] == "category"
    assert not AdverseEvent.objects.exists()


def test_visits_due_for_a_subject(client, researcher, enrolment):
    client.force_login(researcher)
    r = client.get("/api/research/studies/KRT-01/subjects/KRT-001/visits")
    assert [(v["code"], v["state"]) for v in r.json()] == [
        ("baseline", "due"),
        ("week1", "upcoming"),
        ("week8", "upcoming"),
    ]


def test_consort_counts_over_the_api(client, researcher, enrolment):
    client.force_login(researcher)
    body = client.get("/api/research/studies/KRT-01/consort").json()
    assert (body["screened"], body["consented"], body["randomized"]) == (1, 1, 1)
