"""API schemas for treatment plans (not the models; no internal ids)."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from ninja import Schema
from pydantic import Field

from speciosa.clinical.planning.templates import TaperRequest
from speciosa.plans.models import CareEventStatus, PlanSignatureMethod, PlanSignerRole, PlanStatus


class PlanCreateIn(Schema):
    patient_id: UUID
    pathway_ids: list[str] = Field(min_length=1, max_length=4)
    start_date: date | None = None
    review_due_on: date | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    taper: TaperRequest | None = None


class PlanChangeIn(Schema):
    version: int = Field(description="The plan version you edited (optimistic lock)")
    reason: str = Field(min_length=1, max_length=500)
    document: dict[str, Any] = Field(description="The whole edited PlanDocument")


class PlanSignatureIn(Schema):
    version_number: int = Field(description="The plan document version being signed")
    signer_role: PlanSignerRole
    typed_name: str = Field(min_length=1, max_length=200)
    method: PlanSignatureMethod


class PlanReviewIn(Schema):
    version: int
    next_review_on: date
    note: str = Field("", max_length=500)
    status: PlanStatus | None = None


class CareEventIn(Schema):
    kind: str = Field(min_length=3, max_length=40, examples=["session:cbt"])
    at: datetime
    status: CareEventStatus


class PlanSignatureOut(Schema):
    signer_role: str
    typed_name: str
    method: str
    signed_at: datetime

    @staticmethod
    def from_model(s) -> "PlanSignatureOut":
        return PlanSignatureOut(
            signer_role=s.signer_role,
            typed_name=s.typed_name,
            method=s.method,
            signed_at=s.signed_at,
        )


class PlanVersionOut(Schema):
    number: int
    author: str
    reason: str
    created_at: datetime
    signatures: list[PlanSignatureOut]

    @staticmethod
    def from_model(v) -> "PlanVersionOut":
        return PlanVersionOut(
            number=v.number,
            author=str(v.author) if v.author else "system",
            reason=v.reason,
            created_at=v.created_at,
            signatures=[PlanSignatureOut.from_model(s) for s in v.signatures.all()],
        )


class PlanSummaryOut(Schema):
    id: UUID
    patient: UUID
    title: str
    status: str
    start_date: date
    review_due_on: date
    current_version: int
    version: int
    objective_statuses: dict[str, str]

    @staticmethod
    def from_model(p) -> "PlanSummaryOut":
        return PlanSummaryOut(
            id=p.uid,
            patient=p.patient.uid,
            title=p.title,
            status=p.status,
            start_date=p.start_date,
            review_due_on=p.review_due_on,
            current_version=p.current_version_number,
            version=p.version,
            objective_statuses={k: v["status"] for k, v in p.last_evaluation.items()},
        )


class PlanOut(PlanSummaryOut):
    document: dict[str, Any]
    evaluation: dict[str, Any]
    evaluated_at: datetime | None
    signatures: list[PlanSignatureOut]

    @staticmethod
    def from_model(p) -> "PlanOut":
        current = p.current_version
        return PlanOut(
            **PlanSummaryOut.from_model(p).model_dump(),
            document=current.document,
            evaluation=p.last_evaluation,
            evaluated_at=p.evaluated_at,
            signatures=[PlanSignatureOut.from_model(s) for s in current.signatures.all()],
        )


class PlanDiffOut(Schema):
    op: str
    path: str
    before: Any = None
    after: Any = None


class PathwayOut(Schema):
    id: str
    title: str
    evidence_note: str
    citations: list[str]


class InterventionOut(Schema):
    id: str
    name: str
    category: str
    summary: str
    default_owner: str
    safeguards: list[str]
    citations: list[str]


class CareEventOut(Schema):
    id: UUID
