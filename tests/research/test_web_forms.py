"""The research forms of the web UI: the chart's Research panel (screen, consent, withdraw,
enrol) and the adverse-event form of a subject. Each form does what its service does, a
refusal is a message that stores nothing, and roles see only the buttons they may press."""

from datetime import date

import pytest
from django.test import Client

from speciosa.audit.models import AuditAction, AuditEvent
from speciosa.research import services
from speciosa.research.models import (
    AdverseEvent,
    Enrolment,
    RandomizationEntry,
    ScreeningLog,
    StudyConsent,
)
from tests.factories import make_patient
from tests.research.conftest import create_study

pytestmark = pytest.mark.django_db


def chart(client, patient) -> str:
    response = client.get(f"/patients/{patient.uid}/")
    assert response.status_code == 200
    return response.content.decode()


def panel(html: str) -> str:
    """The Research section of a chart page ('' when the chart has none)."""
    start = html.find('<section id="research"')
    return html[start : html.index("</section>", start)] if start >= 0 else ""


def post(client, patient, action, data=None, protocol="KRT-01"):
    return client.post(
        f"/research/{protocol}/patients/{patient.uid}/{action}/", data or {}, follow=True
    )


def creates(**filters) -> int:
    return AuditEvent.objects.filter(action=AuditAction.CREATE, **filters).count()


def consent_form(name="Casey Nguyen", method="electronic", version="1"):
    return {"signature_name": name, "method": method, "document_version": version}


def screen_and_consent(study, patient, actor):
    services.screen_patient(actor=actor, study=study, patient=patient)
    services.record_consent(
        actor=actor, study=study, patient=patient, signature_name="C N", method="paper"
    )


# --- the panel -----------------------------------------------------------------------------


def test_chart_lists_the_enrolling_study_with_the_consent_document(
    client, prescriber, study, candidate
):
    client.force_login(prescriber)
    html = panel(chart(client, candidate))
    assert "KRT-01" in html and "Not screened" in html and "Not enrolled" in html
    assert "Consent</strong>, version 1" in html  # the document the participant signs
    assert "Screen</button>" in html and "Record consent" in html
    assert "Enrol and randomize" not in html  # neither screened nor consented yet


def test_chart_without_an_open_study_has_no_research_panel(client, prescriber, program, director):
    create_study(director, program)  # a draft: not open for screening
    patient = make_patient(program)
    client.force_login(prescriber)
    assert panel(chart(client, patient)) == ""


def test_counsellor_sees_screen_only(client, counsellor, study, candidate):
    client.force_login(counsellor)
    html = panel(chart(client, candidate))
    assert "Screen</button>" in html
    assert "Record consent" not in html and "Enrol and randomize" not in html


def test_director_may_record_consent_but_not_enrol(client, director, prescriber, study, candidate):
    screen_and_consent(study, candidate, prescriber)
    client.force_login(director)
    html = panel(chart(client, candidate))
    assert "Withdraw consent" in html and "Enrol and randomize" not in html


# --- screening -----------------------------------------------------------------------------


def test_screen_button_logs_an_eligible_screening(client, prescriber, study, candidate):
    client.force_login(prescriber)
    response = post(client, candidate, "screen")
    assert response.redirect_chain[-1][0].endswith(f"/patients/{candidate.uid}/#research")
    log = ScreeningLog.objects.get(study=study, patient=candidate)
    assert log.decision == "eligible" and log.created_by == prescriber
    assert creates(object_type="research.ScreeningLog", object_id=str(log.uid)) == 1
    assert "KRT-01 screening: Eligible" in response.content.decode()


def test_screen_fail_shows_each_reason_on_the_chart(client, prescriber, study, program):
    patient = make_patient(program, sex_at_birth="male")  # no kratom use recorded
    client.force_login(prescriber)
    html = panel(post(client, patient, "screen").content.decode())
    assert "Screen fail" in html
    assert "inclusion not met: Current kratom use" in html
    assert "Screen again" in html and "Enrol and randomize" not in html


def test_screening_for_a_study_not_open_is_a_message_and_stores_nothing(
    client, prescriber, director, program, candidate
):
    create_study(director, program, protocol_id="KRT-02")  # still a draft
    client.force_login(prescriber)
    before = creates()
    page = post(client, candidate, "screen", protocol="KRT-02").content.decode()
    assert "KRT-02: Study KRT-02 is draft: screening is not open" in page
    assert not ScreeningLog.objects.exists() and creates() == before


# --- consent -------------------------------------------------------------------------------


def test_record_consent_stores_the_signature_on_the_current_version(
    client, nurse, study, candidate
):
    client.force_login(nurse)
    page = post(client, candidate, "consent", consent_form(method="remote")).content.decode()
    consent = StudyConsent.objects.get(study=study, patient=candidate)
    assert (consent.signature_name, consent.method, consent.document.version) == (
        "Casey Nguyen",
        "remote",
        1,
    )
    assert consent.created_by == nurse
    audit = AuditEvent.objects.get(action=AuditAction.CREATE, object_id=str(consent.uid))
    assert audit.detail == {"document_version": 1, "method": "remote"}
    assert "consent recorded (version 1)" in page
    assert "Consented" in panel(page) and "Record consent" not in panel(page)


def test_consent_on_a_superseded_version_is_refused(client, prescriber, director, study, candidate):
    services.add_consent_document(actor=director, study=study, title="Consent v2", body="Now...")
    client.force_login(prescriber)
    page = post(client, candidate, "consent", consent_form(version="1")).content.decode()
    assert "The consent document is now version 2" in page
    assert not StudyConsent.objects.exists()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (consent_form(name="  "), "signature_name: the participant&#x27;s typed or drawn name"),
        (consent_form(method="fax"), "method: one of electronic, paper, remote"),
        (consent_form(version=""), "document_version: reload the chart"),
    ],
)
def test_a_bad_consent_form_is_a_message_and_stores_nothing(
    client, prescriber, study, candidate, form, message
):
    client.force_login(prescriber)
    before = creates()
    assert message in post(client, candidate, "consent", form).content.decode()
    assert not StudyConsent.objects.exists() and creates() == before


def test_withdraw_consent_ends_follow_up(client, prescriber, enrolment, candidate):
    client.force_login(prescriber)
    page = post(client, candidate, "consent/withdraw", {"reason": "moved away"}).content.decode()
    consent = StudyConsent.objects.get(patient=candidate)
    enrolment.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawal_reason == "moved away"
    assert enrolment.status == "withdrawn"
    assert "Withdrawn" in panel(page) and "Withdraw consent</summary>" not in panel(page)


# --- enrolment -----------------------------------------------------------------------------


def test_enrol_randomizes_and_shows_the_arm(client, prescriber, study, candidate):
    screen_and_consent(study, candidate, prescriber)
    client.force_login(prescriber)
    assert "Enrol and randomize" in panel(chart(client, candidate))
    page = post(client, candidate, "enrol").content.decode()
    enrolment = Enrolment.objects.get(study=study, patient=candidate)
    assert enrolment.subject_id == "KRT-001" and enrolment.created_by == prescriber
    assert f"enrolled as KRT-001, arm {enrolment.arm.name}" in page
    assert f'<strong class="arm">{enrolment.arm.name}</strong>' in panel(page)
    audit = AuditEvent.objects.get(action=AuditAction.CREATE, object_id=str(enrolment.uid))
    assert audit.detail["event"] == "randomization" and audit.detail["arm"] == enrolment.arm.code
    assert "Enrol and randomize" not in panel(page) and "Screen again" not in panel(page)


def test_enrol_without_consent_is_a_message_and_stores_nothing(
    client, prescriber, study, candidate
):
    services.screen_patient(actor=prescriber, study=study, patient=candidate)
    client.force_login(prescriber)
    before = creates()
    page = post(client, candidate, "enrol").content.decode()
    assert "No active research consent for KRT-01" in page
    assert not Enrolment.objects.exists()
    assert not RandomizationEntry.objects.filter(enrolment__isnull=False).exists()
    assert creates() == before


def test_enrol_after_a_screen_fail_is_refused(client, prescriber, study, program):
    patient = make_patient(program, sex_at_birth="male")  # no kratom use: ineligible
    screen_and_consent(study, patient, prescriber)
    client.force_login(prescriber)
    assert "Enrol and randomize" not in panel(chart(client, patient))
    page = post(client, patient, "enrol").content.decode()
    assert "the patient&#x27;s latest screening is not eligible" in page
    assert not Enrolment.objects.exists()


# --- who may post --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "action"),
    [
        ("counsellor", "consent"),
        ("counsellor", "consent/withdraw"),
        ("counsellor", "enrol"),
        ("program_director", "enrol"),
    ],
)
def test_roles_without_the_action_get_403(program, study, candidate, prescriber, role, action):
    from tests.factories import make_user

    if action == "enrol":
        screen_and_consent(study, candidate, prescriber)
    client = Client()
    client.force_login(make_user(program, role))
    response = client.post(
        f"/research/KRT-01/patients/{candidate.uid}/{action}/", consent_form(name="X")
    )
    assert response.status_code == 403
    assert not Enrolment.objects.exists()
    assert StudyConsent.objects.count() == (1 if action == "enrol" else 0)


@pytest.mark.parametrize("action", ["screen", "consent", "consent/withdraw", "enrol"])
def test_researchers_and_outsiders_get_404(client, researcher, outsider, study, candidate, action):
    for user in (researcher, outsider):  # no chart access / another program
        client.force_login(user)
        url = f"/research/KRT-01/patients/{candidate.uid}/{action}/"
        assert client.post(url, consent_form()).status_code == 404
    assert not ScreeningLog.objects.exists() and not StudyConsent.objects.exists()


def test_another_programs_patient_is_404_in_this_study(client, prescriber, study, other_patient):
    client.force_login(prescriber)
    assert post(client, other_patient, "screen").status_code == 404
    assert not ScreeningLog.objects.exists()


def test_chart_forms_need_the_csrf_token(prescriber, study, candidate):
    client = Client(enforce_csrf_checks=True)
    client.force_login(prescriber)
    url = f"/research/KRT-01/patients/{candidate.uid}/screen/"
    assert client.post(url).status_code == 403
    assert not ScreeningLog.objects.exists()
    client.get(f"/patients/{candidate.uid}/")  # sets the csrftoken cookie, as a browser would
    token = client.cookies["csrftoken"].value
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 302
    assert ScreeningLog.objects.count() == 1


# --- adverse events ------------------------------------------------------------------------


def ae_form(**overrides):
    form = {
        "term": "seizure after missed dose",
        "category": "nervous_system",
        "onset_on": date.today().isoformat(),
        "grade": "3",
        "relatedness": "possible",
        "is_expected": "no",
        "seriousness": ["hospitalisation"],
    }
    form.update(overrides)
    return form


AE_URL = "/research/KRT-01/subjects/KRT-001/adverse-events/"


def test_dashboard_links_each_active_subject_to_the_ae_form(client, prescriber, enrolment):
    client.force_login(prescriber)
    page = client.get("/research/KRT-01/").content.decode()
    assert f'href="{AE_URL}"' in page


def test_a_serious_event_is_stored_and_shows_its_clock_on_the_dashboard(client, nurse, enrolment):
    client.force_login(nurse)
    response = client.post(AE_URL, ae_form(), follow=True)
    assert response.redirect_chain[-1][0] == "/research/KRT-01/"
    ae = AdverseEvent.objects.get(enrolment=enrolment)
    assert (ae.grade, ae.category, ae.relatedness, ae.is_expected) == (
        3,
        "nervous_system",
        "possible",
        False,
    )
    assert ae.is_serious and ae.seriousness == ["hospitalisation"]
    assert ae.next_deadline_clock == "sae-investigator-to-sponsor"
    assert creates(object_id=str(ae.uid), patient=enrolment.patient) == 1
    page = response.content.decode()
    assert "Adverse event reported for KRT-001; report due" in page
    deadlines = page[page.index("reports due") : page.index("Study alerts")]
    assert "KRT-001" in deadlines and "sae-investigator-to-sponsor" in deadlines


def test_a_non_serious_event_starts_no_clock(client, prescriber, enrolment):
    client.force_login(prescriber)
    client.post(AE_URL, ae_form(seriousness=[], grade="1", is_expected="yes"))
    ae = AdverseEvent.objects.get()
    assert not ae.is_serious and ae.is_expected and ae.next_deadline_at is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("grade", "6", "grade: a CTCAE grade from 1 to 5"),
        ("grade", "", "grade: a CTCAE grade from 1 to 5"),
        ("category", "vibes", "category: one of"),
        ("term", " ", "term: describe the event"),
        ("onset_on", "yesterday", "onset_on: enter a date"),
        ("is_expected", "", "is_expected: say whether the event is expected"),
        ("seriousness", ["bored"], "seriousness:"),
        ("relatedness", "maybe", "relatedness: one of"),
    ],
)
def test_a_bad_adverse_event_is_a_message_and_stores_nothing(
    client, prescriber, enrolment, field, value, message
):
    client.force_login(prescriber)
    before = creates()
    response = client.post(AE_URL, ae_form(**{field: value}))
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page
    assert not AdverseEvent.objects.exists() and creates() == before


def test_a_refused_form_keeps_what_was_typed(client, prescriber, enrolment):
    client.force_login(prescriber)
    page = client.post(AE_URL, ae_form(grade="6")).content.decode()
    assert 'value="seizure after missed dose"' in page
    assert 'value="hospitalisation" checked' in page


def test_a_withdrawn_subject_gets_no_new_adverse_event(client, prescriber, study, enrolment):
    services.withdraw_consent(actor=prescriber, consent=study.consents.get(), reason="")
    client.force_login(prescriber)
    assert "not on study" in client.get(AE_URL).content.decode()
    page = client.post(AE_URL, ae_form()).content.decode()
    assert "No active research consent" in page
    assert not AdverseEvent.objects.exists()


@pytest.mark.parametrize("role", ["counsellor", "researcher", "program_director"])
def test_ae_form_is_403_without_record_study_data(client, program, enrolment, role):
    from tests.factories import make_user

    client.force_login(make_user(program, role))
    assert client.get(AE_URL).status_code == 403
    assert client.post(AE_URL, ae_form()).status_code == 403
    assert not AdverseEvent.objects.exists()
    assert "Report adverse event" not in client.get("/research/KRT-01/").content.decode()


def test_ae_form_is_404_for_another_program(client, outsider, enrolment):
    client.force_login(outsider)
    assert client.post(AE_URL, ae_form()).status_code == 404
    assert not AdverseEvent.objects.exists()


def test_ae_form_needs_the_csrf_token(prescriber, enrolment):
    client = Client(enforce_csrf_checks=True)
    client.force_login(prescriber)
    assert client.post(AE_URL, ae_form()).status_code == 403
    client.get(AE_URL)
    token = client.cookies["csrftoken"].value
    assert client.post(AE_URL, {**ae_form(), "csrfmiddlewaretoken": token}).status_code == 302
    assert AdverseEvent.objects.count() == 1
