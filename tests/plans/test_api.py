"""The /api/plans/ endpoints: create, read, change (412 on stale), sign, review, diff."""

import json
from datetime import timedelta

from django.utils import timezone

from speciosa.plans.models import TreatmentPlan


def send(client, method, url, body):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def test_create_plan_from_template_returns_201_with_document(api_client, kratom_patient):
    response = send(
        api_client,
        "post",
        "/api/plans",
        {
            "patient_id": str(kratom_patient.uid),
            "pathway_ids": ["kratom-taper"],
            "taper": {"step": "2", "step_unit": "grams", "interval_days": 7},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [s["grams_per_day"] for s in body["document"]["taper"]] == [
        "8.00",
        "6.00",
        "4.00",
        "2.00",
        "0.00",
    ]
    assert body["objective_statuses"]["kratom-end"] in {"on_track", "at_risk"}


def test_outsider_gets_404_for_another_programs_plan(client, outsider, taper_plan):
    client.force_login(outsider)
    assert client.get(f"/api/plans/{taper_plan.uid}").status_code == 404


def test_outsider_cannot_create_for_another_programs_patient(client, outsider, kratom_patient):
    client.force_login(outsider)
    response = send(
        client,
        "post",
        "/api/plans",
        {"patient_id": str(kratom_patient.uid), "pathway_ids": ["depression-anxiety"]},
    )
    assert response.status_code == 404


def test_stale_change_gives_412(api_client, taper_plan):
    document = taper_plan.current_version.document
    ok = send(
        api_client,
        "put",
        f"/api/plans/{taper_plan.uid}",
        {"version": 1, "reason": "first", "document": {**document, "title": "A"}},
    )
    assert ok.status_code == 200 and ok.json()["current_version"] == 2
    stale = send(
        api_client,
        "put",
        f"/api/plans/{taper_plan.uid}",
        {"version": 1, "reason": "second", "document": {**document, "title": "B"}},
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"
    assert TreatmentPlan.objects.get().title == "A"


def test_diff_between_versions(api_client, taper_plan):
    document = taper_plan.current_version.document
    send(
        api_client,
        "put",
        f"/api/plans/{taper_plan.uid}",
        {"version": 1, "reason": "rename", "document": {**document, "title": "Renamed"}},
    )
    response = api_client.get(f"/api/plans/{taper_plan.uid}/diff?from_version=1&to_version=2")
    assert response.json() == [
        {"op": "changed", "path": "title", "before": document["title"], "after": "Renamed"}
    ]


def test_sign_then_list_versions_shows_the_signature(api_client, taper_plan):
    response = send(
        api_client,
        "post",
        f"/api/plans/{taper_plan.uid}/signatures",
        {
            "version_number": 1,
            "signer_role": "patient",
            "typed_name": "Alex Rivera",
            "method": "typed_in_person",
        },
    )
    assert response.status_code == 201
    versions = api_client.get(f"/api/plans/{taper_plan.uid}/versions").json()
    assert versions[0]["signatures"][0]["typed_name"] == "Alex Rivera"


def test_review_then_due_list(api_client, taper_plan):
    next_review = (timezone.localdate() + timedelta(days=7)).isoformat()
    response = send(
        api_client,
        "post",
        f"/api/plans/{taper_plan.uid}/reviews",
        {"version": 1, "next_review_on": next_review, "note": "stable"},
    )
    assert response.status_code == 200 and response.json()["review_due_on"] == next_review
    due_now = api_client.get("/api/plans?due_for_review=true").json()
    assert due_now == []


def test_unknown_pathway_is_422_naming_the_field(api_client, patient):
    response = send(
        api_client, "post", "/api/plans", {"patient_id": str(patient.uid), "pathway_ids": ["nope"]}
    )
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == "pathway_ids"


def test_pathway_and_intervention_catalogues(api_client):
    pathways = {p["id"] for p in api_client.get("/api/plans/pathways").json()}
    assert "kratom-oud-buprenorphine" in pathways
    interventions = api_client.get("/api/plans/interventions").json()
    assert all(i["citations"] for i in interventions)


def test_induction_check_reports_hours_and_cows(api_client, kratom_patient, prescriber):
    from speciosa.plans import services

    plan = services.create_plan_from_template(
        actor=prescriber, patient=kratom_patient, pathway_ids=["kratom-oud-buprenorphine"]
    )
    body = api_client.get(f"/api/plans/{plan.uid}/induction-check").json()
    assert body["readiness"] == "not_enough_data"  # no COWS recorded yet
    assert body["hours_since_last_use"] == 12.0
