"""API schemas of the measures app (not the models; no internal ids)."""

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Schema
from pydantic import BaseModel, Field, StrictBool, StrictInt, StrictStr

from speciosa.clinical.instruments import Instrument
from speciosa.clinical.instruments.schedules import Due
from speciosa.measures.models import AssessmentSchedule, ResponseSource, Score

# an answer: option code / "yes" / "no" (str), item score or integer rating (int), yes/no
AnswerValue = StrictInt | StrictBool | StrictStr


class InstrumentOut(Schema):
    id: str
    title: str
    short_name: str
    status: str
    item_count: int
    total_min: float
    total_max: float
    bands: list[dict[str, Any]]
    recall_period: str
    administered_by: str
    licence_status: str
    wording_bundled: bool
    loinc_panel: str | None

    @staticmethod
    def from_instrument(i: Instrument) -> "InstrumentOut":
        s = i.scoring
        return InstrumentOut(
            id=i.id,
            title=s.title,
            short_name=s.short_name,
            status=s.status,
            item_count=len([x for x in i.scored_items if x.required or x.enable_when]),
            total_min=s.total.min,
            total_max=s.total.max,
            bands=[b.model_dump() for b in s.bands.items] if s.bands else [],
            recall_period=s.recall_period,
            administered_by=s.administered_by.value,
            licence_status=s.licence.status.value,
            wording_bundled=s.licence.wording_bundled,
            loinc_panel=s.loinc.panel,
        )


class ResponseIn(Schema):
    instrument_id: str = Field(min_length=1, max_length=40)
    answers: dict[str, AnswerValue] = Field(description="linkId -> answer")
    taken_at: datetime | None = None
    source: ResponseSource = ResponseSource.CLINICIAN


# Output schemas built only by from_model() from keyword values are plain pydantic models:
# a ninja Schema validates through its Django attribute getter (one Python call per field)
# for objects these never receive. Same OpenAPI components, same JSON.
class CriticalFlagOut(BaseModel):
    rule_id: str
    item_id: str | None
    message: str


class ScoreOut(BaseModel):
    id: UUID
    response_id: UUID
    instrument_id: str
    taken_at: datetime
    total: float
    band: str
    is_positive: bool | None
    critical_items: list[str]
    critical_flags: list[CriticalFlagOut]
    subscales: dict[str, float]
    items: dict[str, int]
    completeness: float
    notes: list[str]

    @staticmethod
    def from_model(s: Score) -> "ScoreOut":
        return ScoreOut(
            id=s.uid,
            response_id=s.response.uid,
            instrument_id=s.instrument_id,
            taken_at=s.taken_at,
            total=s.total,
            band=s.band,
            is_positive=s.is_positive,
            critical_items=s.critical_items,
            critical_flags=[CriticalFlagOut(**f) for f in s.critical_flags],
            subscales=s.subscales,
            items=s.items,
            completeness=s.completeness,
            notes=s.notes,
        )


class ScheduleIn(Schema):
    instrument_id: str = Field(min_length=1, max_length=40)
    preset: str | None = Field(None, max_length=40)
    kind: str | None = Field(None, pattern="^(interval|fixed)$")
    interval_hours: int | None = Field(None, ge=1, le=24 * 366)
    offsets_days: list[int] | None = Field(None, max_length=50)
    grace_hours: int | None = Field(None, ge=1, le=24 * 90)
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class ScheduleOut(Schema):
    id: UUID
    patient_id: UUID
    instrument_id: str
    kind: str
    interval_hours: int | None
    offsets_days: list[int]
    grace_hours: int
    starts_at: datetime
    ends_at: datetime | None
    preset: str
    is_active: bool

    @staticmethod
    def from_model(s: AssessmentSchedule) -> "ScheduleOut":
        return ScheduleOut(
            id=s.uid,
            patient_id=s.patient.uid,
            instrument_id=s.instrument_id,
            kind=s.kind,
            interval_hours=s.interval_hours,
            offsets_days=s.offsets_days,
            grace_hours=s.grace_hours,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            preset=s.preset,
            is_active=s.is_active,
        )


class DueOut(Schema):
    schedule: ScheduleOut
    patient_mrn: str
    patient_name: str
    status: str
    due_at: datetime | None

    @staticmethod
    def from_pair(schedule: AssessmentSchedule, due: Due) -> "DueOut":
        p = schedule.patient
        return DueOut(
            schedule=ScheduleOut.from_model(schedule),
            patient_mrn=p.mrn,
            patient_name=f"{p.given_name} {p.family_name}",
            status=due.status.value,
            due_at=due.due_at,
        )
