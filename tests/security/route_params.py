"""Values for path parameters and body fields in the access-matrix test, per side.

``World`` holds program A (the callers' program, side OWN) and program B (side OTHER),
one patient in each, and builds further objects on demand. A route with a path parameter
named here gets the object of the requested side. A new parameter name needs a factory
in ``PATH_PARAMS`` (the matrix test fails and names it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from speciosa.accounts.models import Program, Role
from speciosa.accounts.route_rules import Side
from speciosa.patients.models import Patient
from speciosa.research.queries import active_consent
from tests.factories import (
    add_kratom_use,
    add_medication,
    make_patient,
    make_plan,
    make_program,
    make_user,
)


class World:
    def __init__(self) -> None:
        self.programs: dict[Side, Program] = {
            Side.OWN: make_program("mx-own", "Matrix Own Program"),
            Side.OTHER: make_program("mx-other", "Matrix Other Program"),
        }
        self.patients: dict[Side, Patient] = {
            Side.OWN: make_patient(
                self.programs[Side.OWN], given_name="Olive", family_name="Ownside", mrn="OWN-1"
            ),
            Side.OTHER: make_patient(
                self.programs[Side.OTHER],
                given_name="Leaky",
                family_name="Othersidezq",
                mrn="LEAK-ZQ-1",
            ),
        }
        self._cache: dict[tuple[str, Side], Any] = {}

    def get(self, name: str, side: Side, path: str = "") -> Any:
        """A value for path parameter ``name`` of ``path`` on ``side`` (built once)."""
        factory_key = factory_for(name, path)
        key = (factory_key, side)
        if key not in self._cache:
            self._cache[key] = PATH_PARAMS[factory_key](self, side)
        return self._cache[key]

    def body_overrides(self, side: Side) -> dict[str, Any]:
        """Body/query fields whose value must name the side's program or patient."""
        return {
            "program": self.programs[side].code,
            "patient_id": str(self.patients[side].uid),
            "patient": str(self.patients[side].uid),
        }

    def leak_markers(self) -> list[str]:
        """Strings that must never appear in a response to a program-A caller."""
        other = self.patients[Side.OTHER]
        return [str(other.uid), other.family_name, other.mrn]


def factory_for(name: str, path: str) -> str:
    """``"/api/privacy/:consent_id"`` wins over ``"consent_id"`` for paths under it."""
    for key in PATH_PARAMS:
        prefix, _, param = key.rpartition(":")
        if prefix and param == name and path.startswith(prefix):
            return key
    return name


def has_factory(name: str, path: str) -> bool:
    return factory_for(name, path) in PATH_PARAMS


def part2_consent(w: World, side: Side):
    from datetime import timedelta

    from django.utils import timezone

    from speciosa.privacy.models import Part2Consent

    return Part2Consent.objects.create(
        program=w.programs[side],
        patient=w.patients[side],
        recipient="County Drug Court",
        purposes=["treatment"],
        categories=["demographics"],
        expires_at=timezone.now() + timedelta(days=30),
        signed_at=timezone.now(),
        signature_name="Patient",
    ).uid


def study_of(w: World, side: Side):
    """An enrolling study in the side's program with the side's patient enrolled."""
    from tests.research.conftest import create_study, enrol, open_study

    program = w.programs[side]
    director = make_user(program, Role.PROGRAM_DIRECTOR)
    study = open_study(director, create_study(director, program, protocol_id=f"MX-{side}"))
    add_kratom_use(w.patients[side])
    enrolment = enrol(study, w.patients[side], make_user(program, Role.PRESCRIBER))
    return study, enrolment


def study_part(w: World, side: Side, part: str) -> Any:
    study, enrolment = w.get("_study", side)
    return {
        "protocol_id": study.protocol_id,
        "subject_id": enrolment.subject_id,
        "consent_id": active_consent(study, w.patients[side]).uid,
    }[part]


def serious_event(w: World, side: Side):
    """A serious adverse event of the side's subject: its report clocks are running."""
    from datetime import date

    from speciosa.research import services

    study, enrolment = w.get("_study", side)
    return services.report_adverse_event(
        actor=make_user(w.programs[side], Role.PRESCRIBER),
        enrolment=enrolment,
        term="seizure",
        category="nervous_system",
        onset_on=date(2026, 1, 15),
        grade=3,
        relatedness="possible",
        is_expected=False,
        seriousness=["hospitalisation"],
    )


def study_alert(w: World, side: Side):
    from speciosa.research.models import StudyAlert

    study, _ = w.get("_study", side)
    return StudyAlert.objects.create(study=study, rule_id="matrix", reason="matrix test alert")


def self_report_token(w: World, side: Side) -> str:
    if side is Side.OTHER:
        return "forged-or-expired-token"
    from speciosa.selfreport.services import create_self_report_link

    nurse = make_user(w.programs[side], Role.NURSE)
    return create_self_report_link(actor=nurse, patient=w.patients[side], instrument_ids=["phq9"])[
        1
    ]


def make_alert(patient: Patient):
    from speciosa.safety.models import Alert

    return Alert.objects.create(
        program=patient.program,
        patient=patient,
        rule_id="kratom-benzodiazepine",
        rule_version=1,
        severity="critical",
        severity_rank=0,
        title="Kratom with a benzodiazepine",
        message="matrix test alert",
        action="review",
    )


PATH_PARAMS: dict[str, Callable[[World, Side], Any]] = {
    "patient_id": lambda w, side: w.patients[side].uid,
    "medication_id": lambda w, side: add_medication(w.patients[side], "sertraline").uid,
    # FHIR: instance routes are checked on the Patient resource of the side
    "type_name": lambda w, side: "Patient",
    "resource_id": lambda w, side: w.patients[side].uid,
    "version_id": lambda w, side: 1,
    "path": lambda w, side: "NoSuchType/x/y",
    "group_id": lambda w, side: w.programs[side].uid,
    "job_id": lambda w, side: "00000000-0000-4000-8000-000000000000",
    "filename": lambda w, side: "Patient.ndjson",
    # measures
    "instrument_id": lambda w, side: "phq9",
    # research
    "_study": study_of,
    "protocol_id": lambda w, side: study_part(w, side, "protocol_id"),
    "subject_id": lambda w, side: study_part(w, side, "subject_id"),
    "consent_id": lambda w, side: study_part(w, side, "consent_id"),
    "visit_code": lambda w, side: "baseline",
    "event_id": lambda w, side: serious_event(w, side).uid,
    "study_alert_id": lambda w, side: study_alert(w, side).pk,
    # privacy
    "/api/privacy/:consent_id": part2_consent,
    # safety (issue 4)
    "code": lambda w, side: w.programs[side].code,
    "alert_id": lambda w, side: make_alert(w.patients[side]).uid,
    "card_id": lambda w, side: "C1",
    "plan_id": lambda w, side: make_plan(w.patients[side]).uid,
    # self-report links (issue 6): a valid link of the side's patient, or a forged token
    "token": self_report_token,
}
