"""The study dashboard's actions, in the web UI and the API: an expedited report filed
(its clock stops), a subject's follow-up ended, a stopping-rule alert acknowledged."""

import json

import pytest

from speciosa.audit.models import AuditEvent
from speciosa.clinical.errors import InvalidInput
from speciosa.research import services
from speciosa.research.models import StudyAlert
from tests.research.test_safety_monitoring import _sae

INVESTIGATOR = "sae-investigator-to-sponsor"


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_only_a_clock_the_event_needs_can_be_filed(enrolment, prescriber):
    ae = _sae(enrolment, prescriber)  # serious, not suspected: the 24-hour clock only
    with pytest.raises(InvalidInput, match="'susar-other' is not a report this event needs"):
        services.mark_report_filed(actor=prescriber, adverse_event=ae, clock_id="susar-other")
    ae.refresh_from_db()
    assert ae.reported_clocks == [] and ae.next_deadline_clock == INVESTIGATOR


def test_nurse_marks_the_report_filed_on_the_dashboard(client, nurse, enrolment, prescriber):
    ae = _sae(enrolment, prescriber, relatedness="probable")  # 24 h, then the 15-day SUSAR
    client.force_login(nurse)
    page = client.get("/research/KRT-01/").content.decode()
    assert f"/research/KRT-01/adverse-events/{ae.uid}/filed/" in page
    r = client.post(
        f"/research/KRT-01/adverse-events/{ae.uid}/filed/", {"clock_id": INVESTIGATOR}, follow=True
    )
    assert "report filed; next: susar-other" in r.content.decode()
    ae.refresh_from_db()
    assert (ae.reported_clocks, ae.next_deadline_clock) == ([INVESTIGATOR], "susar-other")
    assert AuditEvent.objects.filter(object_id=str(ae.uid), detail__filed=INVESTIGATOR).exists()
    r = client.post(
        f"/research/KRT-01/adverse-events/{ae.uid}/filed/", {"clock_id": INVESTIGATOR}, follow=True
    )
    assert "already filed" in r.content.decode()


def test_api_files_a_report_and_refuses_an_unknown_clock(api_client, enrolment, prescriber):
    ae = _sae(enrolment, prescriber)
    url = f"/api/research/studies/KRT-01/adverse-events/{ae.uid}/filed-reports"
    r = _post(api_client, url, {"clock_id": "made-up"})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "clock_id"
    r = _post(api_client, url, {"clock_id": INVESTIGATOR})
    assert r.status_code == 200, r.content
    assert r.json()["next_deadline_at"] is None and r.json()["next_deadline_clock"] == ""


def test_follow_up_ends_as_completed_or_lost_only(client, nurse, api_client, enrolment):
    client.force_login(nurse)
    url = f"/research/KRT-01/subjects/{enrolment.subject_id}/end-follow-up/"
    r = client.post(url, {"status": "withdrawn"}, follow=True)
    assert "completed or lost" in r.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
    client.post(url, {"status": "completed"})
    enrolment.refresh_from_db()
    assert enrolment.status == "completed" and enrolment.ended_at is not None
    r = _post(
        api_client,
        f"/api/research/studies/KRT-01/subjects/{enrolment.subject_id}/end-follow-up",
        {"status": "lost"},
    )
    assert r.status_code == 409  # already completed


def test_director_acknowledges_a_study_alert_nurse_may_not(client, director, nurse, study):
    alert = StudyAlert.objects.create(study=study, rule_id="sae2", reason="2 SAEs in arm bup")
    url = f"/research/KRT-01/alerts/{alert.pk}/acknowledge/"
    client.force_login(nurse)
    assert url not in client.get("/research/KRT-01/").content.decode()
    assert client.post(url).status_code == 403
    client.force_login(director)
    assert url in client.get("/research/KRT-01/").content.decode()
    r = client.post(url, follow=True)
    assert "Alert sae2 acknowledged" in r.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_by == director
    r = _post(client, f"/api/research/studies/KRT-01/alerts/{alert.pk}/acknowledge", {})
    assert r.status_code == 409  # already acknowledged
