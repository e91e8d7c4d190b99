"""API schemas of the research app (no internal ids; subjects by study subject id)."""

from datetime import date, datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field

from speciosa.clinical.research.adverse_events import Relatedness, SeriousnessCriterion
from speciosa.clinical.research.study_status import StudyStatus


class ArmOut(Schema):
    code: str
    name: str
    description: str
    ratio: int


class OutcomeOut(Schema):
    code: str
    name: str
    instrument_id: str
    measure: str
    visit_code: str
    is_primary: bool


class VisitOut(Schema):
    code: str
    label: str
    day: int
    window_days: int


class StudyOut(Schema):
    protocol_id: str
    title: str
    program: str
    status: str
    pause_reason: str
    irb_number: str
    irb_approved_on: date | None
    irb_expires_on: date | None
    randomization_method: str
    arms: list[ArmOut]
    outcomes: list[OutcomeOut]
    visits: list[VisitOut]

    @staticmethod
    def from_model(s) -> "StudyOut":
        return StudyOut(
            protocol_id=s.protocol_id,
            title=s.title,
            program=s.program.code,
            status=s.status,
            pause_reason=s.pause_reason,
            irb_number=s.irb_number,
            irb_approved_on=s.irb_approved_on,
            irb_expires_on=s.irb_expires_on,
            randomization_method=s.randomization_method,
            arms=[
                ArmOut(code=a.code, name=a.name, description=a.description, ratio=a.ratio)
                for a in s.arms.all()
            ],
            outcomes=[
                OutcomeOut(
                    code=o.code,
                    name=o.name,
                    instrument_id=o.instrument_id,
                    measure=o.measure,
                    visit_code=o.visit_code,
                    is_primary=o.is_primary,
                )
                for o in s.outcomes.all()
            ],
            visits=[
                VisitOut(code=v.code, label=v.label, day=v.day, window_days=v.window_days)
                for v in s.visit_definitions.all()
            ],
        )


class StatusIn(Schema):
    status: StudyStatus
    reason: str = Field("", max_length=300)


class PatientRef(Schema):
    patient: UUID


class ScreeningOut(Schema):
    decision: str
    reasons: list[str]
    results: list[dict]
    screened_at: datetime


class ConsentIn(Schema):
    patient: UUID
    signature_name: str = Field(min_length=1, max_length=200)
    method: str = Field("electronic", pattern="^(electronic|paper|remote)$")


class ConsentOut(Schema):
    id: UUID
    document_version: int
    signed_at: datetime
    method: str
    withdrawn_at: datetime | None


class WithdrawIn(Schema):
    reason: str = Field("", max_length=200)


class EnrolmentOut(Schema):
    subject_id: str
    arm: str
    stratum: str
    randomized_at: datetime
    status: str

    @staticmethod
    def from_model(e) -> "EnrolmentOut":
        return EnrolmentOut(
            subject_id=e.subject_id,
            arm=e.arm.code,
            stratum=e.stratum,
            randomized_at=e.randomized_at,
            status=e.status,
        )


class AllocationOut(Schema):
    subject_id: str
    stratum: str
    sequence: int
    arm: str
    allocated_at: datetime


class AssessmentIn(Schema):
    visit_code: str = Field(max_length=20)
    instrument_id: str = Field(max_length=40)
    value: float = Field(ge=0)
    assessed_at: datetime | None = None


class AssessmentFromScoreIn(Schema):
    visit_code: str = Field(max_length=20)
    score_id: UUID


class AssessmentOut(Schema):
    visit_code: str
    instrument_id: str
    value: float
    assessed_at: datetime
    score_id: UUID | None = None  # the scored questionnaire the value came from

    @staticmethod
    def from_model(a) -> "AssessmentOut":
        return AssessmentOut(
            visit_code=a.visit_code,
            instrument_id=a.instrument_id,
            value=a.value,
            assessed_at=a.assessed_at,
            score_id=a.score.uid if a.score_id else None,
        )


class AdverseEventIn(Schema):
    term: str = Field(min_length=1, max_length=200)
    category: str = Field(max_length=20)
    onset_on: date
    resolved_on: date | None = None
    grade: int = Field(ge=1, le=5)
    relatedness: Relatedness
    is_expected: bool
    seriousness: list[SeriousnessCriterion] = []


class AdverseEventOut(Schema):
    id: UUID
    subject_id: str
    arm: str
    category: str
    grade: int
    is_serious: bool
    relatedness: str
    is_expected: bool
    onset_on: date
    resolved_on: date | None
    next_deadline_at: datetime | None
    next_deadline_clock: str

    @staticmethod
    def from_model(ae) -> "AdverseEventOut":
        return AdverseEventOut(
            id=ae.uid,
            subject_id=ae.enrolment.subject_id,
            arm=ae.enrolment.arm.code,
            category=ae.category,
            grade=ae.grade,
            is_serious=ae.is_serious,
            relatedness=ae.relatedness,
            is_expected=ae.is_expected,
            onset_on=ae.onset_on,
            resolved_on=ae.resolved_on,
            next_deadline_at=ae.next_deadline_at,
            next_deadline_clock=ae.next_deadline_clock,
        )


class ReportFiledIn(Schema):
    clock_id: str = Field(max_length=60)


class FollowUpEndIn(Schema):
    status: str = Field(max_length=20, description="completed or lost")


class StudyAlertOut(Schema):
    id: int
    rule_id: str
    reason: str
    arm: str
    subject_id: str
    citation: str
    paused_enrolment: bool
    raised_at: datetime
    acknowledged_at: datetime | None

    @staticmethod
    def from_model(a) -> "StudyAlertOut":
        return StudyAlertOut(
            id=a.pk,
            rule_id=a.rule_id,
            reason=a.reason,
            arm=a.arm_code,
            subject_id=a.subject_id,
            citation=a.citation,
            paused_enrolment=a.paused_enrolment,
            raised_at=a.raised_at,
            acknowledged_at=a.acknowledged_at,
        )


class VisitDueOut(Schema):
    code: str
    label: str
    target: date
    window_start: date
    window_end: date
    state: str


class ArmFlowOut(Schema):
    arm: str
    allocated: int
    discontinued: int
    followed_up: int
    analysed: int


class ConsortOut(Schema):
    screened: int
    excluded: int
    declined: int
    consented: int
    not_randomized: int
    randomized: int
    arms: list[ArmFlowOut]
