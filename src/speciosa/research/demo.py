"""Demo step (order 40): the approved demo study, run through the real services.

Screens every demo patient who uses kratom, consents most eligible ones, randomizes them
(backdated over the last ~4 months), records visits and outcome values from a simple
synthetic model (buprenorphine: faster fall in kratom-use days), a few adverse events,
one on-study liver signal, and closes follow-up for subjects past week 12.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

from django.db import transaction
from django.utils import timezone

from speciosa.clinical.knowledge import load_data_file
from speciosa.clinical.research.study_status import StudyStatus
from speciosa.patients import services as patient_services
from speciosa.patients.models import Patient
from speciosa.research import services
from speciosa.research.models import Enrolment, EnrolmentStatus, Study

PROTOCOL_FILE = Path(__file__).parents[1] / "clinical" / "research" / "data" / "demo_study.yaml"


def demo_protocol() -> dict[str, Any]:
    return load_data_file(PROTOCOL_FILE)


def _create(director, program, protocol: dict[str, Any], today) -> Study:
    study = services.create_study(
        actor=director, program=program, **services.study_fields(protocol)
    )
    services.add_consent_document(
        actor=director,
        study=study,
        title="Consent to take part in KRATOM-BUP-01",
        body=(
            "You are invited to take part in a research study comparing two treatments for "
            "kratom use disorder... Taking part is voluntary; you may withdraw at any time "
            "without affecting your care."
        ),
        irb_approved_on=today - timedelta(days=150),
    )
    services.approve_study(
        actor=director,
        study=study,
        irb_number=protocol["irb_number"],
        approved_on=today - timedelta(days=150),
        expires_on=today + timedelta(days=215),
    )
    services.change_study_status(actor=director, study=study, status=StudyStatus.ENROLLING)
    return study


def _subject_model(seed: int, subject_id: str, arm: str, adhd: bool) -> dict[str, float]:
    """Per-subject intercepts and slopes, so repeated measures correlate within a subject."""
    r = Random(f"{seed}:{subject_id}")
    bup = arm == "buprenorphine"
    return {
        "tlfb_start": r.uniform(20, 28),
        "tlfb_slope": r.gauss(-1.7 if bup else -1.1, 0.35),
        "cows_peak": r.gauss(6 if bup else 11, 2.5),
        "asrs_start": r.gauss(40 if adhd else 24, 5),
        "asrs_slope": -r.uniform(0.2, 0.6),
    }


def _value(rng: Random, model: dict[str, float], instrument: str, week: float) -> float:
    if instrument == "tlfb_kratom":  # days of use in the past 28
        value = model["tlfb_start"] + model["tlfb_slope"] * week + rng.gauss(0, 2)
        return float(round(min(28, max(0, value))))
    if instrument == "cows":  # withdrawal: peaks in weeks 1-2, lower with buprenorphine
        peak = model["cows_peak"] + rng.gauss(0, 1.5) if 0 < week <= 2 else rng.gauss(3, 1.5)
        return float(round(min(48, max(0, peak))))  # COWS 0-48
    value = model["asrs_start"] + model["asrs_slope"] * week + rng.gauss(0, 2)  # ASRS 0-72
    return float(round(max(0, min(72, value))))


def _follow_up(ctx, study, enrolment: Enrolment, adhd: bool, nurse, now: datetime) -> None:
    rng = ctx.rng
    model = _subject_model(ctx.seed, enrolment.subject_id, enrolment.arm.code, adhd)
    dropout = 0.05 if enrolment.arm.code == "buprenorphine" else 0.11
    for visit in study.visit_definitions.all():
        at = enrolment.randomized_at + timedelta(days=visit.day, hours=rng.randint(-30, 30))
        at = max(at, enrolment.randomized_at)
        if at > now:
            return
        if visit.day > 0 and rng.random() < dropout:
            if rng.random() < 0.3:  # withdrew consent: their later data is never collected
                consent = study.consents.get(patient=enrolment.patient, withdrawn_at=None)
                services.withdraw_consent(
                    actor=nurse, consent=consent, withdrawn_at=at, reason="no longer wishes"
                )
            else:
                services.end_follow_up(actor=nurse, enrolment=enrolment, status="lost", at=at)
            return
        for instrument in visit.instruments:
            services.record_assessment(
                actor=nurse,
                enrolment=enrolment,
                visit_code=visit.code,
                instrument_id=instrument,
                value=_value(rng, model, instrument, visit.day / 7),
                assessed_at=at,
            )
    services.end_follow_up(actor=nurse, enrolment=enrolment, status="completed", at=at)


def _adverse_events(study, enrolments: list[Enrolment], prescriber, now: datetime, rng) -> None:
    active = [e for e in enrolments if e.status == EnrolmentStatus.ACTIVE]
    for e in rng.sample(active, min(5, len(active))):
        onset = (e.randomized_at + timedelta(days=rng.randint(1, 10))).date()
        services.report_adverse_event(
            actor=prescriber,
            enrolment=e,
            term=rng.choice(["nausea", "constipation", "headache", "insomnia"]),
            category=rng.choice(["gastrointestinal", "nervous_system"]),
            onset_on=min(onset, now.date()),
            grade=rng.choice([1, 1, 2]),
            relatedness="possible",
            is_expected=True,
            aware_at=min(datetime.combine(onset, datetime.min.time(), now.tzinfo), now),
        )
    tapers = [e for e in active if e.arm.code == "taper"]
    if tapers:
        # an older SAE, already reported to the sponsor ...
        old = services.report_adverse_event(
            actor=prescriber,
            enrolment=tapers[0],
            term="opioid withdrawal with dehydration, admitted",
            category="withdrawal",
            onset_on=(now - timedelta(days=20)).date(),
            resolved_on=(now - timedelta(days=17)).date(),
            grade=3,
            relatedness="probable",
            is_expected=True,
            seriousness=["hospitalisation"],
            aware_at=now - timedelta(days=20),
        )
        services.mark_report_filed(
            actor=prescriber, adverse_event=old, clock_id="sae-investigator-to-sponsor"
        )
    if len(tapers) > 1:
        # ... and a new one whose 24-hour clock is running on the dashboard
        services.report_adverse_event(
            actor=prescriber,
            enrolment=tapers[1],
            term="non-fatal overdose after return to fentanyl use",
            category="overdose",
            onset_on=now.date(),
            grade=4,
            relatedness="unlikely",
            is_expected=False,
            seriousness=["life_threatening", "hospitalisation"],
            aware_at=now - timedelta(hours=6),
        )
    bups = [e for e in active if e.arm.code == "buprenorphine"]
    if bups:
        # an on-study liver test > 8x ULN: the liver-injury rule raises a study alert
        patient_services.record_lab_result(
            actor=prescriber,
            patient=bups[0].patient,
            analyte="ALT",
            value=480.0,
            unit="U/L",
            ref_high=56.0,
            collected_at=now - timedelta(days=2),
        )


# people referred to the study from outside the program's caseload (fewer for the small
# demo programs that tests build, to keep them quick)
REFERRALS, REFERRALS_SMALL = 40, 8
# a demo trial recruits a few dozen people, whatever the program size (and the concealed
# randomization list holds list_size_per_stratum entries per stratum)
MAX_PROGRAM_CANDIDATES = 60


def _record_pregnancy_tests(patients: list[Patient], prescriber, rng: Random) -> None:
    """Screening pregnancy tests: without them females are 'incomplete', not eligible."""
    for patient in patients:
        if patient.sex_at_birth == "female" and patient.is_pregnant is None:
            patient_services.update_patient(
                actor=prescriber,
                patient=patient,
                expected_version=patient.version,
                is_pregnant=rng.random() < 0.04,
            )


def _add_referrals(ctx, prescriber, rng: Random, now: datetime) -> list[Patient]:
    from speciosa.demo.generate import FAMILY, GIVEN

    referred = []
    count = REFERRALS if len(ctx.patient_ids) >= 50 else REFERRALS_SMALL
    for n in range(1, count + 1):
        patient = patient_services.create_patient(
            actor=prescriber,
            program=ctx.program,
            mrn=f"KR{ctx.seed:02d}{n:04d}",
            given_name=rng.choice(GIVEN),
            family_name=rng.choice(FAMILY),
            birth_date=(now - timedelta(days=rng.randint(20 * 365, 62 * 365))).date(),
            sex_at_birth=rng.choice(["female", "male"]),
        )
        patient_services.record_substance_use(
            actor=prescriber,
            patient=patient,
            substance="kratom",
            kratom_form=rng.choice(["leaf_powder", "leaf_powder", "capsules", "extract_shot"]),
            grams_per_day=rng.choice([5, 8, 12, 20, 35]),
            last_use_at=now - timedelta(hours=rng.randint(4, 30)),
        )
        patient_services.record_diagnosis(
            actor=prescriber,
            patient=patient,
            icd10_code="F19.20",
            text="Other psychoactive substance dependence (kratom)",
        )
        if rng.random() < 0.35:
            patient_services.record_diagnosis(
                actor=prescriber, patient=patient, icd10_code="F90.2", text="ADHD, combined"
            )
        for analyte, uln in (("ALT", 56.0), ("AST", 48.0)):
            patient_services.record_lab_result(
                actor=prescriber,
                patient=patient,
                analyte=analyte,
                value=float(rng.randint(12, 60)),
                unit="U/L",
                ref_high=uln,
                collected_at=now - timedelta(days=140),
            )
        referred.append(patient)
    return referred


@transaction.atomic
def load_demo_study(ctx) -> None:
    protocol = demo_protocol()
    if Study.objects.filter(program=ctx.program, protocol_id=protocol["protocol_id"]).exists():
        return
    director, prescriber = ctx.users["program_director"], ctx.users["prescriber"]
    nurse = ctx.users.get("nurse", prescriber)
    now = timezone.now()
    rng = Random(ctx.seed * 1009 + 40)
    study = _create(director, ctx.program, protocol, now.date())
    patients = list(
        Patient.objects.filter(pk__in=ctx.patient_ids, substance_uses__substance="kratom")
        .distinct()
        .order_by("pk")[:MAX_PROGRAM_CANDIDATES]
    )
    patients += _add_referrals(ctx, prescriber, rng, now)
    _record_pregnancy_tests(patients, prescriber, rng)
    advance = ctx.progress("research demo study", len(patients))
    enrolled: list[tuple[Enrolment, bool]] = []
    # people arrive over ~4 months; subject ids follow the order of randomization
    arrivals = sorted(
        ((now - timedelta(days=rng.randint(5, 135), hours=rng.randint(0, 8)), p) for p in patients),
        key=lambda pair: pair[0],
    )
    for randomize_at, patient in arrivals:
        screened_at = randomize_at - timedelta(days=2)
        log = services.screen_patient(
            actor=prescriber, study=study, patient=patient, at=screened_at
        )
        advance(1)
        if log.decision != "eligible" or rng.random() < 0.15:  # 15 % decline consent
            continue
        services.record_consent(
            actor=nurse,
            study=study,
            patient=patient,
            signature_name=patient.full_name,
            method=rng.choice(["electronic", "electronic", "remote", "paper"]),
            signed_at=randomize_at - timedelta(days=1),
        )
        if rng.random() < 0.05:  # consented, not yet randomized
            continue
        enrolment = services.randomize_patient(
            actor=prescriber, study=study, patient=patient, at=randomize_at
        )
        enrolled.append((enrolment, enrolment.stratum == "adhd=yes"))
    for enrolment, adhd in sorted(enrolled, key=lambda pair: pair[0].randomized_at):
        _follow_up(ctx, study, enrolment, adhd, nurse, now)
    refreshed = list(Enrolment.objects.filter(study=study).select_related("arm", "patient"))
    _adverse_events(study, refreshed, prescriber, now, rng)
