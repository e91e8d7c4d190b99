"""Write actions of the research app: one function per action.

Each runs in one transaction: authorise (``require``), check, write, audit. Decisions come
from ``speciosa.clinical.research``. Study data (assessments, adverse events) is refused
with ``ConsentRequired`` unless the patient holds an active research consent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from pydantic import ValidationError

from speciosa.accounts.permissions import Action, require
from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.errors import Conflict, InvalidInput, NotFound
from speciosa.clinical.facts import PatientFacts
from speciosa.clinical.instruments import get_instrument
from speciosa.clinical.instruments.definitions import TotalRule
from speciosa.clinical.research import eligibility, randomization, stopping
from speciosa.clinical.research.adverse_events import (
    AdverseEventFacts,
    Relatedness,
    SeriousnessCriterion,
    SeverityGrade,
    next_deadline,
    reporting_deadlines,
)
from speciosa.clinical.research.study_status import StudyStatus, can_transition
from speciosa.core.signals import patient_facts_changed
from speciosa.measures.models import Score
from speciosa.measures.services import instrument_dir
from speciosa.patients.facts import build_patient_facts
from speciosa.patients.models import LabResult, Patient
from speciosa.research.models import (
    AdverseEvent,
    AdverseEventCategory,
    Arm,
    ConsentDocument,
    ConsentMethod,
    Enrolment,
    EnrolmentStatus,
    Outcome,
    RandomizationEntry,
    RandomizationMethod,
    ScreeningLog,
    Study,
    StudyAlert,
    StudyAssessment,
    StudyConsent,
    VisitDefinition,
)
from speciosa.research.queries import require_active_consent


def _pydantic_field(exc: ValidationError, prefix: str) -> InvalidInput:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ()))
    return InvalidInput(f"{prefix}.{loc}" if loc else prefix, first.get("msg", "invalid"))


def _same_program(study: Study, patient: Patient) -> None:
    if study.program_id != patient.program_id:
        raise NotFound("Patient not found")


# --- studies ------------------------------------------------------------------------------


@transaction.atomic
def create_study(
    *,
    actor,
    program,
    protocol_id: str,
    title: str,
    subject_prefix: str,
    arms: Sequence[dict[str, Any]],
    visits: Sequence[dict[str, Any]] = (),
    outcomes: Sequence[dict[str, Any]] = (),
    eligibility_criteria: Sequence[dict[str, Any]] = (),
    stopping_rules: Sequence[dict[str, Any]] = (),
    stratification_factors: Sequence[dict[str, Any]] = (),
    randomization_method: str = RandomizationMethod.PERMUTED_BLOCKS,
    randomization_seed: int = 0,
    block_multipliers: Sequence[int] = (1, 2, 3),
    summary: str = "",
) -> Study:
    require(actor, Action.MANAGE_STUDY, program.pk)
    if Study.objects.filter(program=program, protocol_id=protocol_id).exists():
        raise Conflict(f"Study {protocol_id} already exists in this program")
    if len(arms) < 2:
        raise InvalidInput("arms", "a randomized study needs at least two arms")
    try:
        eligibility.parse_criteria(list(eligibility_criteria))
    except ValidationError as exc:
        raise _pydantic_field(exc, "eligibility_criteria") from exc
    try:
        stopping.parse_stopping_rules(list(stopping_rules))
    except ValidationError as exc:
        raise _pydantic_field(exc, "stopping_rules") from exc
    _parse_factors(stratification_factors)
    if any(int(m) < 1 for m in block_multipliers) or not block_multipliers:
        raise InvalidInput("block_multipliers", "must be positive integers")
    study = Study.objects.create(
        program=program,
        protocol_id=protocol_id,
        title=title,
        summary=summary,
        subject_prefix=subject_prefix,
        randomization_method=randomization_method,
        randomization_seed=randomization_seed,
        block_multipliers=[int(m) for m in block_multipliers],
        stratification_factors=list(stratification_factors),
        eligibility_criteria=list(eligibility_criteria),
        stopping_rules=list(stopping_rules),
        created_by=actor,
    )
    for arm in arms:
        Arm.objects.create(study=study, **arm)
    for visit in visits:
        VisitDefinition.objects.create(study=study, **visit)
    for outcome in outcomes:
        Outcome.objects.create(study=study, **outcome)
    write_audit(actor=actor, action=AuditAction.CREATE, obj=study)
    return study


PROTOCOL_FIELDS = (
    "protocol_id",
    "title",
    "subject_prefix",
    "arms",
    "visits",
    "outcomes",
    "eligibility_criteria",
    "stopping_rules",
    "stratification_factors",
    "randomization_method",
    "randomization_seed",
    "block_multipliers",
    "summary",
)


def study_fields(protocol: dict[str, Any]) -> dict[str, Any]:
    """``create_study`` arguments from a protocol file's mapping (the shape of
    ``clinical/research/data/demo_study.yaml``); other keys (citations, the consent
    document, the IRB number) are read by their own steps."""
    missing = [k for k in ("protocol_id", "title", "subject_prefix", "arms") if k not in protocol]
    if missing:
        raise InvalidInput("protocol", f"missing {', '.join(missing)}")
    fields = {k: protocol[k] for k in PROTOCOL_FIELDS if k in protocol}
    fields["summary"] = " ".join(str(fields.get("summary", "")).split())
    return fields


@transaction.atomic
def approve_study(
    *, actor, study: Study, irb_number: str, approved_on: date, expires_on: date | None = None
) -> Study:
    """Record the IRB approval and move the study from draft to approved."""
    require(actor, Action.MANAGE_STUDY, study.program_id)
    if not irb_number.strip():
        raise InvalidInput("irb_number", "is required to approve a study")
    if expires_on is not None and expires_on <= approved_on:
        raise InvalidInput("irb_expires_on", "must be after the approval date")
    if not study.consent_documents.filter(is_current=True).exists():
        raise InvalidInput("consent_document", "add the IRB-approved consent document first")
    study.irb_number, study.irb_approved_on, study.irb_expires_on = (
        irb_number,
        approved_on,
        expires_on,
    )
    study.save(update_fields=["irb_number", "irb_approved_on", "irb_expires_on"])
    return _move_status(actor, study, StudyStatus.APPROVED, "")


@transaction.atomic
def change_study_status(*, actor, study: Study, status: StudyStatus, reason: str = "") -> Study:
    require(actor, Action.MANAGE_STUDY, study.program_id)
    if status is StudyStatus.APPROVED:
        raise InvalidInput("status", "use approve_study to record the IRB approval")
    return _move_status(actor, study, status, reason)


def _move_status(actor, study: Study, status: StudyStatus, reason: str) -> Study:
    current = StudyStatus(study.status)
    if not can_transition(current, status):
        raise Conflict(
            f"A {current.value} study cannot become {status.value}",
            detail={"from": current.value, "to": status.value},
        )
    study.status = status
    study.pause_reason = reason if status is StudyStatus.PAUSED else ""
    study.save(update_fields=["status", "pause_reason", "updated_at"])
    write_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=study,
        detail={"status": [current.value, status.value], "reason": reason},
    )
    return study


@transaction.atomic
def add_consent_document(
    *, actor, study: Study, title: str, body: str, irb_approved_on: date | None = None
) -> ConsentDocument:
    """A new version of the consent form; it becomes the one new consents sign."""
    require(actor, Action.MANAGE_STUDY, study.program_id)
    if not body.strip():
        raise InvalidInput("body", "the consent document has no text")
    latest = study.consent_documents.aggregate(v=Max("version"))["v"] or 0
    study.consent_documents.update(is_current=False)
    document = ConsentDocument.objects.create(
        study=study,
        version=latest + 1,
        title=title,
        body=body,
        irb_approved_on=irb_approved_on,
    )
    write_audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=document,
        program=study.program,
        object_id=f"{study.protocol_id}:v{document.version}",
    )
    return document


# --- screening and consent ------------------------------------------------------------


@transaction.atomic
def screen_patient(*, actor, study: Study, patient: Patient, at: datetime | None = None):
    """Evaluate the study's criteria on the patient's recorded facts; log the result."""
    require(actor, Action.VIEW_CHART, patient.program_id)
    _same_program(study, patient)
    if study.status not in {StudyStatus.APPROVED, StudyStatus.ENROLLING, StudyStatus.PAUSED}:
        raise Conflict(f"Study {study.protocol_id} is {study.status}: screening is not open")
    at = at or timezone.now()
    facts = build_patient_facts(patient, as_of=at)
    result = eligibility.evaluate_eligibility(
        eligibility.parse_criteria(study.eligibility_criteria), facts
    )
    log = ScreeningLog.objects.create(
        program_id=study.program_id,
        study=study,
        patient=patient,
        screened_at=at,
        decision=result.decision.value,
        reasons=result.reasons + [r.reason for r in result.undecided],
        results=[
            {"criterion": r.criterion_id, "kind": r.kind.value, "outcome": r.outcome.value}
            for r in result.results
        ],
        created_by=actor,
    )
    write_audit(actor=actor, action=AuditAction.CREATE, obj=log, detail={"decision": log.decision})
    return log


@transaction.atomic
def record_consent(
    *,
    actor,
    study: Study,
    patient: Patient,
    signature_name: str,
    method: str,
    signed_at: datetime | None = None,
    document_version: int | None = None,
) -> StudyConsent:
    """Record the participant's signature on the current consent document.

    ``document_version``: the version the participant was shown (web form); if a newer
    one became current meanwhile, the signature is refused rather than attached to a
    text the participant did not read."""
    require(actor, Action.MANAGE_CONSENT, patient.program_id)
    _same_program(study, patient)
    if not signature_name.strip():
        raise InvalidInput("signature_name", "the participant's typed or drawn name is required")
    if len(signature_name.strip()) > 200:
        raise InvalidInput("signature_name", "at most 200 characters")
    if method not in ConsentMethod.values:
        raise InvalidInput("method", f"one of {', '.join(ConsentMethod.values)}")
    document = study.consent_documents.filter(is_current=True).first()
    if document is None:
        raise InvalidInput("consent_document", "the study has no current consent document")
    if document_version is not None and document_version != document.version:
        raise Conflict(
            f"The consent document is now version {document.version} (the participant was "
            f"shown version {document_version}): show the current version and sign again",
            detail={"current_version": document.version},
        )
    if StudyConsent.objects.filter(
        study=study, patient=patient, withdrawn_at__isnull=True
    ).exists():
        raise Conflict("The patient already has an active consent for this study")
    consent = StudyConsent.objects.create(
        program_id=study.program_id,
        study=study,
        patient=patient,
        document=document,
        signature_name=signature_name.strip(),
        signed_at=signed_at or timezone.now(),
        method=method,
        created_by=actor,
    )
    write_audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=consent,
        detail={"document_version": document.version, "method": method},
    )
    return consent


@transaction.atomic
def withdraw_consent(
    *, actor, consent: StudyConsent, withdrawn_at: datetime | None = None, reason: str = ""
) -> StudyConsent:
    """Withdrawal stops all further study data; data collected before it is kept
    (FDA guidance on data retention when subjects withdraw, 2008)."""
    require(actor, Action.MANAGE_CONSENT, consent.program_id)
    if consent.withdrawn_at is not None:
        raise Conflict("This consent was already withdrawn")
    consent.withdrawn_at = withdrawn_at or timezone.now()
    consent.withdrawal_reason = reason
    consent.save(update_fields=["withdrawn_at", "withdrawal_reason", "updated_at"])
    Enrolment.objects.filter(
        study=consent.study, patient=consent.patient, status=EnrolmentStatus.ACTIVE
    ).update(status=EnrolmentStatus.WITHDRAWN, ended_at=consent.withdrawn_at)
    write_audit(actor=actor, action=AuditAction.UPDATE, obj=consent, detail={"withdrawn": True})
    return consent


# --- randomization --------------------------------------------------------------------


def _parse_factors(raw: Sequence[dict[str, Any]]) -> list[tuple[str, eligibility.Condition]]:
    factors = []
    for index, item in enumerate(raw):
        try:
            criterion = eligibility.Criterion.model_validate(
                {
                    "id": item["name"],
                    "kind": "inclusion",
                    "text": item["name"],
                    "condition": item["condition"],
                }
            )
        except (KeyError, ValidationError) as exc:
            raise InvalidInput(f"stratification_factors.{index}", str(exc)[:200]) from exc
        factors.append((item["name"], criterion.condition))
    return factors


def stratum_factors(study: Study, facts: PatientFacts) -> dict[str, str]:
    levels = {}
    for name, condition in _parse_factors(study.stratification_factors):
        holds = condition.check(facts)
        levels[name] = "unknown" if holds is None else ("yes" if holds else "no")
    return levels


def _arm_ratios(study: Study) -> list[randomization.ArmRatio]:
    return [randomization.ArmRatio(a.code, a.ratio) for a in study.arms.all()]


def _next_list_entry(study: Study, stratum: str) -> RandomizationEntry:
    """The next concealed slot of the stratum, generating the stratum's list on first use
    (deterministic from the study seed, so generating late changes nothing)."""
    if not RandomizationEntry.objects.filter(study=study, stratum=stratum).exists():
        arms = {a.code: a for a in study.arms.all()}
        rows = randomization.permuted_block_list(
            _arm_ratios(study),
            seed=study.randomization_seed,
            stratum=stratum,
            size=study.list_size_per_stratum,
            block_multipliers=study.block_multipliers or (1, 2, 3),
        )
        RandomizationEntry.objects.bulk_create(
            RandomizationEntry(
                study=study,
                stratum=stratum,
                sequence=r.sequence,
                arm=arms[r.arm],
                block=r.block,
                block_size=r.block_size,
            )
            for r in rows
        )
    entry = (
        RandomizationEntry.objects.select_for_update()
        .filter(study=study, stratum=stratum, enrolment__isnull=True)
        .order_by("sequence")
        .first()
    )
    if entry is None:
        raise Conflict(f"The randomization list for stratum {stratum} is used up")
    return entry


def _minimization_arm(study: Study, levels: dict[str, str]) -> str:
    allocated = [
        (code, dict(part.split("=", 1) for part in stratum.split("|") if "=" in part))
        for code, stratum in Enrolment.objects.filter(study=study)
        .order_by("randomized_at", "id")
        .values_list("arm__code", "stratum")
    ]
    return randomization.minimization_choice(
        _arm_ratios(study), levels, allocated, seed=study.randomization_seed
    )


@transaction.atomic
def randomize_patient(
    *, actor, study: Study, patient: Patient, at: datetime | None = None
) -> Enrolment:
    """Enrol a consented, eligible patient and reveal their arm (audited)."""
    require(actor, Action.ENROL_SUBJECT, patient.program_id)
    _same_program(study, patient)
    study = Study.objects.select_for_update().get(pk=study.pk)  # serialises subject numbering
    if not study.is_enrolling:
        reason = f": {study.pause_reason}" if study.pause_reason else ""
        raise Conflict(f"Study {study.protocol_id} is not enrolling ({study.status}{reason})")
    require_active_consent(study, patient)
    screening = ScreeningLog.objects.filter(study=study, patient=patient).first()
    if screening is None or screening.decision != "eligible":
        raise InvalidInput(
            "screening",
            "the patient's latest screening is not eligible",
            decision=getattr(screening, "decision", None),
        )
    if Enrolment.objects.filter(study=study, patient=patient).exists():
        raise Conflict("The patient is already enrolled in this study")
    at = at or timezone.now()
    levels = stratum_factors(study, build_patient_facts(patient, as_of=at))
    stratum = randomization.stratum_key(levels)
    entry = None
    if study.randomization_method == RandomizationMethod.MINIMIZATION:
        arm = study.arms.get(code=_minimization_arm(study, levels))
    else:
        entry = _next_list_entry(study, stratum)
        arm = entry.arm
    number = Enrolment.objects.filter(study=study).count() + 1
    enrolment = Enrolment.objects.create(
        program_id=study.program_id,
        study=study,
        patient=patient,
        subject_id=f"{study.subject_prefix}-{number:03d}",
        arm=arm,
        stratum=stratum,
        randomized_at=at,
        created_by=actor,
    )
    if entry is not None:
        entry.enrolment = enrolment
        entry.allocated_at = at
        entry.save(update_fields=["enrolment", "allocated_at"])
    write_audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=enrolment,
        detail={
            "event": "randomization",
            "subject_id": enrolment.subject_id,
            "arm": arm.code,
            "stratum": stratum,
            "method": study.randomization_method,
            "list_sequence": entry.sequence if entry else None,
        },
    )
    patient_facts_changed.send(sender=Patient, patient=patient, actor=actor, reason="study_arm")
    return enrolment


# --- follow-up data -------------------------------------------------------------------


def _check_study_data(actor, enrolment: Enrolment) -> None:
    require(actor, Action.RECORD_STUDY_DATA, enrolment.program_id)
    require_active_consent(enrolment.study, enrolment.patient)
    if enrolment.status != EnrolmentStatus.ACTIVE:
        raise Conflict(f"Subject {enrolment.subject_id} is {enrolment.status}, not on study")


@transaction.atomic
def record_assessment(
    *,
    actor,
    enrolment: Enrolment,
    visit_code: str,
    instrument_id: str,
    value: float,
    assessed_at: datetime | None = None,
) -> StudyAssessment:
    _check_study_data(actor, enrolment)
    if not enrolment.study.visit_definitions.filter(code=visit_code).exists():
        raise InvalidInput("visit_code", f"{visit_code!r} is not a visit of this study")
    if value < 0:
        raise InvalidInput("value", "must not be negative")
    _check_in_score_range(instrument_id, value)
    return _store_assessment(
        actor,
        enrolment,
        visit_code=visit_code,
        instrument_id=instrument_id,
        value=value,
        assessed_at=assessed_at or timezone.now(),
    )


def _store_assessment(actor, enrolment: Enrolment, **fields) -> StudyAssessment:
    """Insert a checked assessment and its audit row."""
    assessment = StudyAssessment.objects.create(
        program_id=enrolment.program_id, enrolment=enrolment, created_by=actor, **fields
    )
    detail = {"subject_id": enrolment.subject_id, "visit": assessment.visit_code}
    if assessment.score_id:
        detail["score"] = str(assessment.score.uid)
    write_audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=assessment,
        patient=enrolment.patient,
        detail=detail,
    )
    return assessment


def _check_in_score_range(instrument_id: str, value: float) -> None:
    """A value entered for a scored catalog instrument must be a total it can reach (a
    PHQ-9 of 40 is a typing error). Other outcome ids (use days, lab values) are free."""
    try:
        instrument = get_instrument(instrument_id, instrument_dir())
    except NotFound:
        return
    total = instrument.scoring.total
    if total.rule is TotalRule.NONE:
        return
    if not total.min <= value <= total.max:
        raise InvalidInput(
            "value", f"{instrument_id} totals run from {total.min:g} to {total.max:g}"
        )


@transaction.atomic
def record_assessment_from_score(
    *, actor, enrolment: Enrolment, visit_code: str, score: Score
) -> StudyAssessment:
    """A visit's outcome value taken from a scored questionnaire of the subject: the
    value is the score's total and the time its time, and the row keeps the link (source
    data verification reads the response behind the number)."""
    _check_study_data(actor, enrolment)
    visit = enrolment.study.visit_definitions.filter(code=visit_code).first()
    if visit is None:
        raise InvalidInput("visit_code", f"{visit_code!r} is not a visit of this study")
    if score.patient_id != enrolment.patient_id:
        raise InvalidInput("score_id", "is not a score of this subject")
    if score.instrument_id not in visit.instruments:
        raise InvalidInput(
            "score_id",
            f"{score.instrument_id} is not assessed at visit {visit_code} "
            f"({', '.join(visit.instruments) or 'no instruments'})",
        )
    if StudyAssessment.objects.filter(enrolment=enrolment, score=score).exists():
        raise Conflict("This score is already a study assessment of this subject")
    return _store_assessment(
        actor,
        enrolment,
        visit_code=visit_code,
        instrument_id=score.instrument_id,
        value=score.total,
        assessed_at=score.taken_at,
        score=score,
    )


@transaction.atomic
def end_follow_up(*, actor, enrolment: Enrolment, status: str, at: datetime | None = None):
    """Close a subject's follow-up: completed or lost (withdrawal goes via the consent)."""
    require(actor, Action.RECORD_STUDY_DATA, enrolment.program_id)
    if status not in {EnrolmentStatus.COMPLETED, EnrolmentStatus.LOST}:
        raise InvalidInput("status", "completed or lost")
    if enrolment.status != EnrolmentStatus.ACTIVE:
        raise Conflict(f"Subject {enrolment.subject_id} is already {enrolment.status}")
    enrolment.status, enrolment.ended_at = status, at or timezone.now()
    enrolment.save(update_fields=["status", "ended_at", "updated_at"])
    write_audit(actor=actor, action=AuditAction.UPDATE, obj=enrolment, detail={"status": status})
    return enrolment


def _ae_facts(ae: AdverseEvent) -> AdverseEventFacts:
    return AdverseEventFacts(
        seriousness=frozenset(SeriousnessCriterion(s) for s in ae.seriousness),
        grade=SeverityGrade(ae.grade),
        relatedness=Relatedness(ae.relatedness),
        is_expected=ae.is_expected,
        aware_at=ae.aware_at,
    )


def _set_next_deadline(ae: AdverseEvent) -> None:
    deadline = next_deadline(_ae_facts(ae), frozenset(ae.reported_clocks))
    ae.next_deadline_at = deadline.due_at if deadline else None
    ae.next_deadline_clock = deadline.clock_id if deadline else ""


@transaction.atomic
def report_adverse_event(
    *,
    actor,
    enrolment: Enrolment,
    term: str,
    category: str,
    onset_on: date,
    grade: int,
    relatedness: str,
    is_expected: bool,
    seriousness: Sequence[str] = (),
    resolved_on: date | None = None,
    aware_at: datetime | None = None,
) -> AdverseEvent:
    _check_study_data(actor, enrolment)
    if not term.strip():
        raise InvalidInput("term", "describe the event (verbatim term)")
    if len(term.strip()) > 200:
        raise InvalidInput("term", "at most 200 characters")
    if category not in AdverseEventCategory.values:
        raise InvalidInput("category", f"one of {', '.join(AdverseEventCategory.values)}")
    if grade not in set(SeverityGrade):
        raise InvalidInput("grade", "a CTCAE grade from 1 to 5")
    if relatedness not in set(Relatedness):
        raise InvalidInput("relatedness", f"one of {', '.join(Relatedness)}")
    try:
        criteria = sorted({SeriousnessCriterion(s).value for s in seriousness})
    except ValueError as exc:
        raise InvalidInput("seriousness", str(exc)) from exc
    if resolved_on is not None and resolved_on < onset_on:
        raise InvalidInput("resolved_on", "must not be before the onset")
    ae = AdverseEvent(
        program_id=enrolment.program_id,
        enrolment=enrolment,
        term=term.strip(),
        category=category,
        onset_on=onset_on,
        resolved_on=resolved_on,
        aware_at=aware_at or timezone.now(),
        seriousness=criteria,
        is_serious=bool(criteria),
        grade=grade,
        relatedness=relatedness,
        is_expected=is_expected,
        created_by=actor,
    )
    _set_next_deadline(ae)
    ae.save()
    write_audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=ae,
        patient=enrolment.patient,
        detail={"subject_id": enrolment.subject_id, "serious": ae.is_serious, "grade": grade},
    )
    evaluate_study_safety(actor=actor, study=enrolment.study)
    return ae


@transaction.atomic
def mark_report_filed(*, actor, adverse_event: AdverseEvent, clock_id: str) -> AdverseEvent:
    """Record that the report of one expedited clock was sent (stops that clock)."""
    require(actor, Action.RECORD_STUDY_DATA, adverse_event.program_id)
    applies = [d.clock_id for d in reporting_deadlines(_ae_facts(adverse_event))]
    if clock_id not in applies:
        raise InvalidInput(
            "clock_id",
            f"{clock_id!r} is not a report this event needs ({', '.join(applies) or 'none'})",
        )
    if clock_id in adverse_event.reported_clocks:
        raise Conflict("That report was already filed")
    adverse_event.reported_clocks = [*adverse_event.reported_clocks, clock_id]
    _set_next_deadline(adverse_event)
    adverse_event.save(
        update_fields=["reported_clocks", "next_deadline_at", "next_deadline_clock", "updated_at"]
    )
    write_audit(
        actor=actor, action=AuditAction.UPDATE, obj=adverse_event, detail={"filed": clock_id}
    )
    return adverse_event


# --- safety monitoring ----------------------------------------------------------------


def _subject_labs(study: Study) -> list[stopping.SubjectLabs]:
    from speciosa.patients.facts import _lab_fact  # same conversion as every PatientFacts

    enrolments = list(Enrolment.objects.filter(study=study).select_related("arm"))
    by_patient: dict[int, list] = {e.patient_id: [] for e in enrolments}
    start = {e.patient_id: e.randomized_at for e in enrolments}
    for lab in LabResult.objects.filter(patient_id__in=by_patient).order_by("collected_at"):
        if lab.collected_at >= start[lab.patient_id]:  # on-study labs only
            by_patient[lab.patient_id].append(_lab_fact(lab))
    return [
        stopping.SubjectLabs(e.subject_id, e.arm.code, tuple(by_patient[e.patient_id]))
        for e in enrolments
    ]


@transaction.atomic
def evaluate_study_safety(*, actor, study: Study) -> list[StudyAlert]:
    """Run the study's stopping rules; raise new alerts; pause enrolment if a rule says so.

    Called after every adverse event and whenever an enrolled patient's facts change (labs).
    Returns the alerts raised by this call.
    """
    rules = stopping.parse_stopping_rules(study.stopping_rules)
    if not rules:
        return []
    sae_counts = {a.code: 0 for a in study.arms.all()}
    for code in AdverseEvent.objects.filter(enrolment__study=study, is_serious=True).values_list(
        "enrolment__arm__code", flat=True
    ):
        sae_counts[code] += 1
    fired = stopping.evaluate_stopping_rules(
        rules, sae_counts=sae_counts, subjects=_subject_labs(study)
    )
    raised = []
    for rule in fired:
        alert, created = StudyAlert.objects.get_or_create(
            study=study,
            rule_id=rule.rule_id,
            arm_code=rule.arm or "",
            subject_id=rule.subject_id or "",
            defaults={
                "reason": rule.reason[:400],
                "citation": rule.citation[:400],
                "paused_enrolment": rule.pause_enrolment and study.is_enrolling,
            },
        )
        if not created:
            continue
        raised.append(alert)
        write_audit(
            actor=actor,
            action=AuditAction.CREATE,
            obj=alert,
            program=study.program,
            detail={"rule": rule.rule_id, "reason": rule.reason},
        )
        if alert.paused_enrolment and study.is_enrolling:
            _move_status(actor, study, StudyStatus.PAUSED, f"stopping rule: {rule.reason}"[:300])
    return raised


@transaction.atomic
def acknowledge_study_alert(*, actor, alert: StudyAlert) -> StudyAlert:
    require(actor, Action.MANAGE_STUDY, alert.study.program_id)
    if alert.acknowledged_at is not None:
        raise Conflict("The alert was already acknowledged")
    alert.acknowledged_at, alert.acknowledged_by = timezone.now(), actor
    alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    write_audit(actor=actor, action=AuditAction.UPDATE, obj=alert, program=alert.study.program)
    return alert


def reevaluate_after_facts_change(*, patient: Patient, actor) -> None:
    """Signal hook: an enrolled patient's facts changed (e.g. a new ALT) -> rerun rules."""
    studies = Study.objects.filter(
        enrolments__patient=patient, status__in=[StudyStatus.ENROLLING, StudyStatus.PAUSED]
    ).distinct()
    for study in studies:
        evaluate_study_safety(actor=actor, study=study)
