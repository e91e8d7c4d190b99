from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from speciosa.audit.models import AuditEvent
from speciosa.clinical.errors import InvalidInput, NotFound, PermissionDenied, StaleVersion
from speciosa.patients import services
from speciosa.patients.models import Diagnosis, Episode, Medication, Patient, SubstanceUse
from speciosa.patients.queries import get_patient_for_user


def test_create_patient_writes_one_audit_row(director, program):
    patient = services.create_patient(
        actor=director,
        program=program,
        mrn="N1",
        given_name="Sam",
        family_name="Lee",
        birth_date=date(1985, 1, 2),
        sex_at_birth="male",
    )
    rows = AuditEvent.objects.filter(patient=patient)
    assert [(r.action, r.object_id, r.actor_id) for r in rows] == [
        ("create", str(patient.uid), director.pk)
    ]


def test_create_patient_refuses_duplicate_mrn(director, program, patient):
    with pytest.raises(InvalidInput, match="MRN A0001 already exists"):
        services.create_patient(
            actor=director,
            program=program,
            mrn="A0001",
            given_name="X",
            family_name="Y",
            birth_date=date(1990, 1, 1),
        )
    assert Patient.objects.filter(mrn="A0001").count() == 1


def test_outsider_cannot_create_patient_in_other_program(outsider, program):
    with pytest.raises(NotFound):
        services.create_patient(
            actor=outsider,
            program=program,
            mrn="Z",
            given_name="X",
            family_name="Y",
            birth_date=date(1990, 1, 1),
        )
    assert not Patient.objects.filter(mrn="Z").exists()


def test_chart_read_is_audited(prescriber, patient):
    get_patient_for_user(prescriber, patient.uid, audit_read=True)
    row = AuditEvent.objects.get(patient=patient, action="read")
    assert (row.object_type, row.actor_label) == ("chart", "priya")


def test_stale_update_is_refused_and_changes_nothing(director, patient):
    first = Patient.objects.get(pk=patient.pk)
    second = Patient.objects.get(pk=patient.pk)
    services.update_patient(actor=director, patient=first, expected_version=1, phone="555-0100")
    with pytest.raises(StaleVersion) as exc:
        services.update_patient(
            actor=director, patient=second, expected_version=1, phone="555-0199"
        )
    assert exc.value.detail == {"expected_version": 1, "current_version": 2}
    patient.refresh_from_db()
    assert (patient.phone, patient.version) == ("555-0100", 2)


def test_update_audits_the_changed_fields(director, patient):
    services.update_patient(
        actor=director, patient=patient, expected_version=1, gender_identity="non-binary"
    )
    row = AuditEvent.objects.get(patient=patient, action="update")
    assert row.detail == {"changed": {"gender_identity": ["", "non-binary"]}}


def test_negative_kratom_grams_are_refused_and_nothing_saved(nurse, patient):
    with pytest.raises(InvalidInput) as exc:
        services.record_substance_use(
            actor=nurse,
            patient=patient,
            substance="kratom",
            kratom_form="capsules",
            grams_per_day=Decimal("-1"),
        )
    assert exc.value.field == "grams_per_day"
    assert not SubstanceUse.objects.exists()
    assert not AuditEvent.objects.filter(patient=patient).exists()


def test_implausible_kratom_grams_name_the_unit_problem(nurse, patient):
    with pytest.raises(InvalidInput, match="grams, not milligrams"):
        services.record_substance_use(
            actor=nurse, patient=patient, substance="kratom", grams_per_day=Decimal("5000")
        )


def test_kratom_form_on_alcohol_is_refused(nurse, patient):
    with pytest.raises(InvalidInput, match="only applies to kratom"):
        services.record_substance_use(
            actor=nurse, patient=patient, substance="alcohol", kratom_form="capsules"
        )


def test_record_kratom_use_saves_every_kratom_field(nurse, patient):
    last = timezone.now() - timedelta(hours=10)
    use = services.record_substance_use(
        actor=nurse,
        patient=patient,
        substance="kratom",
        kratom_form="seven_oh",
        grams_per_day=Decimal("12.5"),
        doses_per_day=4,
        years_of_use=Decimal("3.5"),
        last_use_at=last,
        source_vendor="smoke shop",
    )
    use.refresh_from_db()
    assert (use.kratom_form, use.grams_per_day, use.doses_per_day, use.years_of_use) == (
        "seven_oh",
        Decimal("12.50"),
        4,
        Decimal("3.5"),
    )
    assert use.last_use_at == last


def test_discharge_before_admission_is_refused(nurse, patient):
    episode = services.admit_patient(
        actor=nurse, patient=patient, asam_level="3.7", admitted_on=date(2026, 3, 10)
    )
    with pytest.raises(InvalidInput, match="before admission"):
        services.discharge_episode(
            actor=nurse,
            episode=episode,
            expected_version=1,
            discharged_on=date(2026, 3, 1),
            discharge_reason="completed",
        )
    episode.refresh_from_db()
    assert episode.discharged_on is None and episode.version == 1


def test_second_open_episode_is_refused(nurse, patient):
    services.admit_patient(
        actor=nurse, patient=patient, asam_level="2.1", admitted_on=date(2026, 1, 1)
    )
    with pytest.raises(InvalidInput, match="open episode"):
        services.admit_patient(
            actor=nurse, patient=patient, asam_level="2.1", admitted_on=date(2026, 2, 1)
        )
    assert Episode.objects.filter(patient=patient).count() == 1


@pytest.mark.parametrize("bad", ["F11-20", "11.20", "F11.20000", "kratom", ""])
def test_unknown_icd10_format_is_refused(prescriber, patient, bad):
    with pytest.raises(InvalidInput) as exc:
        services.record_diagnosis(actor=prescriber, patient=patient, icd10_code=bad, text="x")
    assert exc.value.field == "icd10_code"
    assert not Diagnosis.objects.exists()


def test_icd10_without_dot_is_normalised(prescriber, patient):
    diagnosis = services.record_diagnosis(
        actor=prescriber, patient=patient, icd10_code="f1120", text="OUD"
    )
    assert diagnosis.icd10_code == "F11.20"


def test_only_prescribers_order_medications(nurse, counsellor, patient):
    for actor in (nurse, counsellor):
        with pytest.raises(PermissionDenied):
            services.record_medication(actor=actor, patient=patient, name="atomoxetine")
    assert not Medication.objects.exists()


def test_medication_stop_before_start_is_refused(prescriber, patient):
    now = timezone.now()
    with pytest.raises(InvalidInput, match="stop_at"):
        services.record_medication(
            actor=prescriber,
            patient=patient,
            name="Methadone",
            start_at=now,
            stop_at=now - timedelta(days=1),
        )


def test_medication_name_is_stored_as_lower_case_generic(prescriber, patient):
    med = services.record_medication(
        actor=prescriber, patient=patient, name=" Atomoxetine ", dose=Decimal("40"), unit="mg"
    )
    assert med.name == "atomoxetine" and med.prescriber == prescriber


def test_lab_needs_a_value_or_result(nurse, patient):
    with pytest.raises(InvalidInput, match="value"):
        services.record_lab_result(
            actor=nurse, patient=patient, analyte="ALT", collected_at=timezone.now()
        )


def test_lab_mitragynine_lcms_is_recorded(nurse, patient):
    lab = services.record_lab_result(
        actor=nurse,
        patient=patient,
        analyte="mitragynine",
        result_text="positive",
        method="lc_ms_ms",
        specimen="urine",
        collected_at=timezone.now() - timedelta(hours=1),
    )
    assert (lab.analyte, lab.method) == ("MITRAGYNINE", "lc_ms_ms")


def test_invalid_choice_is_reported_by_field(nurse, patient):
    with pytest.raises(InvalidInput) as exc:
        services.record_substance_use(
            actor=nurse, patient=patient, substance="kratom", kratom_form="tea-bag"
        )
    assert exc.value.field == "kratom_form"


def test_facts_changed_signal_fires_inside_the_write(nurse, patient):
    from speciosa.core.signals import patient_facts_changed

    seen = []

    def receiver(sender, patient, actor, reason, **kwargs):
        seen.append((patient.pk, actor.pk, reason))

    patient_facts_changed.connect(receiver)
    try:
        services.record_substance_use(actor=nurse, patient=patient, substance="alcohol")
    finally:
        patient_facts_changed.disconnect(receiver)
    assert seen == [(patient.pk, nurse.pk, "substance_use")]
