from speciosa.plans.models import PlanVersion, Signature, TreatmentPlan
from tests.factories import add_kratom_use


def _apply(client, patient, *pathways):
    return client.post(
        f"/patients/{patient.uid}/plans/from-template/", {"pathways": list(pathways)}
    )


def test_apply_template_creates_a_draft_plan_shown_on_the_chart(api_client, patient):
    add_kratom_use(patient, grams="16")
    response = _apply(api_client, patient, "kratom-taper")
    assert response.status_code == 302
    plan = TreatmentPlan.objects.get(patient=patient)
    html = api_client.get(f"/patients/{patient.uid}/").content.decode()
    assert plan.title in html and 'class="table objectives"' in html
    assert "Taper schedule" in html


def test_unknown_template_shows_an_error_and_creates_nothing(api_client, patient):
    response = _apply(api_client, patient, "no-such-pathway")
    assert response.status_code == 302
    assert not TreatmentPlan.objects.exists()
    html = api_client.get(response["Location"]).content.decode()
    assert "no-such-pathway" in html


def test_sign_and_change_status_make_versions(api_client, patient):
    add_kratom_use(patient, grams="16")
    _apply(api_client, patient, "kratom-taper")
    plan = TreatmentPlan.objects.get()
    api_client.post(
        f"/plans/{plan.uid}/sign/",
        {
            "version": "1",
            "signer_role": "clinician",
            "typed_name": "Priya P, MD",
            "method": "typed_in_person",
        },
    )
    assert Signature.objects.get().typed_name == "Priya P, MD"
    objective_id = plan.current_version.document["problems"][0]["goals"][0]["objectives"][0]["id"]
    plan.refresh_from_db()
    api_client.post(
        f"/plans/{plan.uid}/status/",
        {
            "version": str(plan.version),
            "item_id": objective_id,
            "status": "on_hold",
            "reason": "patient in hospital",
        },
    )
    assert PlanVersion.objects.filter(plan=plan).count() == 2
    stale = api_client.post(
        f"/plans/{plan.uid}/status/",
        {"version": "1", "item_id": objective_id, "status": "active", "reason": "stale edit"},
    )
    assert stale.status_code == 302
    assert PlanVersion.objects.filter(plan=plan).count() == 2


def test_outsider_cannot_apply_a_template(client, outsider, patient):
    client.force_login(outsider)
    assert _apply(client, patient, "kratom-taper").status_code == 404
    assert not TreatmentPlan.objects.exists()
