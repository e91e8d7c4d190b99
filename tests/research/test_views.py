from tests.factories import make_user


def test_dashboard_shows_the_sae_clock_by_subject_id(client, prescriber, enrolment):
    from datetime import date

    from speciosa.research import services

    services.report_adverse_event(
        actor=prescriber,
        enrolment=enrolment,
        term="seizure",
        category="nervous_system",
        onset_on=date.today(),
        grade=3,
        relatedness="possible",
        is_expected=False,
        seriousness=["hospitalisation"],
    )
    client.force_login(prescriber)
    page = client.get("/research/KRT-01/").content.decode()
    assert "sae-investigator-to-sponsor" in page and "KRT-001" in page
    assert "Casey" not in page


def test_study_list_lists_the_programs_studies(client, researcher, study):
    client.force_login(researcher)
    assert "KRT-01" in client.get("/research/").content.decode()


def test_outsider_gets_404_for_the_dashboard(client, outsider, study):
    client.force_login(outsider)
    assert client.get("/research/KRT-01/").status_code == 404


def test_report_page_is_for_study_data_viewers(client, program, study):
    client.force_login(make_user(program, "counsellor"))
    assert client.get("/research/KRT-01/report/").status_code == 403
