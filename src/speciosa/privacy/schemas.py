"""API schemas for consents, disclosures and break-the-glass (not the models)."""

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field

from speciosa.clinical.privacy.part2 import DataCategory, Purpose
from speciosa.privacy.models import SignatureMethod


class Part2ConsentIn(Schema):
    recipient: str = Field(min_length=1, max_length=200)
    purposes: list[Purpose] = Field(min_length=1)
    categories: list[DataCategory] = Field(min_length=1)
    expires_at: datetime
    effective_at: datetime | None = None
    signature_name: str = Field(min_length=1, max_length=200)
    signature_method: SignatureMethod = SignatureMethod.ELECTRONIC


class Part2ConsentOut(Schema):
    id: UUID
    recipient: str
    purposes: list[str]
    categories: list[str]
    effective_at: datetime
    expires_at: datetime
    signed_at: datetime | None
    signature_name: str
    revoked_at: datetime | None
    version: int

    @staticmethod
    def from_model(c) -> "Part2ConsentOut":
        return Part2ConsentOut(
            id=c.uid,
            recipient=c.recipient,
            purposes=c.purposes,
            categories=c.categories,
            effective_at=c.effective_at,
            expires_at=c.expires_at,
            signed_at=c.signed_at,
            signature_name=c.signature_name,
            revoked_at=c.revoked_at,
            version=c.version,
        )


class RevokeIn(Schema):
    reason: str = Field("", max_length=300)


class DisclosureCheckIn(Schema):
    recipient: str = Field(min_length=1, max_length=200)
    purpose: Purpose
    categories: list[DataCategory] = Field(min_length=1)


class DisclosureCheckOut(Schema):
    allowed: bool
    consent: UUID
    scope: str
    notice: str


class DisclosureOut(Schema):
    id: UUID
    disclosed_at: datetime
    recipient: str
    purpose: str
    categories: list[str]
    channel: str
    description: str
    consent: UUID
    disclosed_by: str

    @staticmethod
    def from_model(d) -> "DisclosureOut":
        return DisclosureOut(
            id=d.uid,
            disclosed_at=d.disclosed_at,
            recipient=d.recipient,
            purpose=d.purpose,
            categories=d.categories,
            channel=d.channel,
            description=d.description,
            consent=d.consent.uid,
            disclosed_by=d.disclosed_by.username if d.disclosed_by else "system",
        )


class AccountingOut(Schema):
    patient: UUID
    since_days: int
    disclosures: list[DisclosureOut]
    citation: str


class BreakGlassIn(Schema):
    patient: UUID
    reason: str = Field(min_length=1, max_length=2000)


class BreakGlassOut(Schema):
    grant: UUID
    patient: UUID
    expires_at: datetime


class BreakGlassReportRow(Schema):
    grant: UUID
    user: str
    program: str
    patient: UUID
    mrn: str
    reason: str
    granted_at: datetime
    expires_at: datetime
    is_active: bool
    chart_reads: int
