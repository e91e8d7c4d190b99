"""API schemas for alerts and evidence cards (not the models; no internal ids)."""

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Schema
from pydantic import Field

from speciosa.clinical.citations import Citation
from speciosa.clinical.evidence.cards import EvidenceCard
from speciosa.clinical.safety.rules import Rule


class AlertOut(Schema):
    id: UUID
    version: int
    patient_id: UUID
    patient_name: str
    rule_id: str
    rule_version: int
    severity: str
    status: str
    title: str
    message: str
    action: str
    triggers: list[dict[str, Any]]
    citations: list[str]
    evidence_cards: list[str]
    opened_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    acknowledgement_reason: str
    resolved_at: datetime | None

    @staticmethod
    def from_model(alert) -> "AlertOut":
        return AlertOut(
            id=alert.uid,
            version=alert.version,
            patient_id=alert.patient.uid,
            patient_name=alert.patient.full_name,
            rule_id=alert.rule_id,
            rule_version=alert.rule_version,
            severity=alert.severity,
            status=alert.status,
            title=alert.title,
            message=alert.message,
            action=alert.action,
            triggers=alert.triggers,
            citations=alert.citations,
            evidence_cards=alert.evidence_cards,
            opened_at=alert.opened_at,
            acknowledged_by=alert.acknowledged_by.username if alert.acknowledged_by else None,
            acknowledged_at=alert.acknowledged_at,
            acknowledgement_reason=alert.acknowledgement_reason,
            resolved_at=alert.resolved_at,
        )


class AcknowledgeIn(Schema):
    version: int = Field(description="The alert version you saw (optimistic lock)")
    reason: str = Field("", max_length=2000)


class OverrideIn(Schema):
    version: int = Field(description="The alert version you saw (optimistic lock)")
    reason: str = Field(min_length=1, max_length=2000, description="Why you proceed anyway")


class CitationOut(Schema):
    text: str
    doi: str | None
    pmid: str | None
    url: str | None
    note: str | None

    @staticmethod
    def from_citation(c: Citation) -> "CitationOut":
        return CitationOut(text=c.short(), doi=c.doi, pmid=c.pmid, url=c.url, note=c.note)


class EvidenceCardOut(Schema):
    id: str
    version: int
    claim: str
    grade: str
    grade_text: str
    clinician_summary: str
    patient_summary: str
    citations: list[CitationOut]

    @staticmethod
    def from_card(card: EvidenceCard) -> "EvidenceCardOut":
        return EvidenceCardOut(
            id=card.id,
            version=card.version,
            claim=card.claim,
            grade=card.grade.value,
            grade_text=card.grade_text,
            clinician_summary=card.clinician_summary,
            patient_summary=card.patient_summary,
            citations=[CitationOut.from_citation(c) for c in card.citations],
        )


class RuleOut(Schema):
    id: str
    version: int
    severity: str
    title: str
    message: str
    rationale: str
    action: str
    citations: list[CitationOut]
    evidence_cards: list[str]

    @staticmethod
    def from_rule(rule: Rule) -> "RuleOut":
        return RuleOut(
            id=rule.id,
            version=rule.version,
            severity=rule.severity.value,
            title=rule.title,
            message=rule.message,
            rationale=rule.rationale,
            action=rule.action,
            citations=[CitationOut.from_citation(c) for c in rule.citations],
            evidence_cards=list(rule.evidence_cards),
        )
