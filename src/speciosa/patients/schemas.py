"""API schemas for patients and their records (not the models; no internal ids)."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from speciosa.clinical.facts import KratomForm, LabMethod, MedicationStatus, Route, Sex, Substance


class PatientIn(Schema):
    mrn: str = Field(min_length=1, max_length=40)
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    birth_date: date
    sex_at_birth: Sex = Sex.UNKNOWN
    gender_identity: str = Field("", max_length=60)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    preferred_language: str = Field("en", max_length=20)
    program: str = Field(description="Program code")


class PatientPatch(Schema):
    version: int = Field(description="The version you edited (optimistic lock)")
    given_name: str | None = Field(None, min_length=1, max_length=100)
    family_name: str | None = Field(None, min_length=1, max_length=100)
    birth_date: date | None = None
    gender_identity: str | None = Field(None, max_length=60)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    preferred_language: str | None = Field(None, max_length=20)
    allergies: str | None = Field(None, max_length=300)
    is_pregnant: bool | None = None


class PatientOut(Schema):
    id: UUID
    program: str
    mrn: str
    given_name: str
    family_name: str
    birth_date: date
    sex_at_birth: str
    gender_identity: str
    preferred_language: str
    version: int
    updated_at: datetime

    @staticmethod
    def from_model(p) -> "PatientOut":
        return PatientOut(
            id=p.uid,
            program=p.program.code,
            mrn=p.mrn,
            given_name=p.given_name,
            family_name=p.family_name,
            birth_date=p.birth_date,
            sex_at_birth=p.sex_at_birth,
            gender_identity=p.gender_identity,
            preferred_language=p.preferred_language,
            version=p.version,
            updated_at=p.updated_at,
        )


class SubstanceUseIn(Schema):
    substance: Substance
    is_current: bool = True
    last_use_at: datetime | None = None
    kratom_form: KratomForm | None = None
    grams_per_day: Decimal | None = Field(None, ge=0, max_digits=6, decimal_places=2)
    doses_per_day: int | None = Field(None, ge=0, le=100)
    years_of_use: Decimal | None = Field(None, ge=0, max_digits=4, decimal_places=1)
    source_vendor: str = Field("", max_length=200)
    amount: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    unit: str = Field("", max_length=30)
    route: Route | None = None
    frequency: str = Field("", max_length=60)

    def to_fields(self) -> dict:
        data = self.model_dump()
        data["kratom_form"] = data["kratom_form"] or ""
        data["route"] = data["route"] or ""
        return data


class SubstanceUseOut(Schema):
    id: UUID
    substance: str
    is_current: bool
    last_use_at: datetime | None
    kratom_form: str
    grams_per_day: Decimal | None
    doses_per_day: int | None
    amount: Decimal | None
    unit: str
    version: int

    @staticmethod
    def from_model(u) -> "SubstanceUseOut":
        return SubstanceUseOut(
            id=u.uid,
            substance=u.substance,
            is_current=u.is_current,
            last_use_at=u.last_use_at,
            kratom_form=u.kratom_form,
            grams_per_day=u.grams_per_day,
            doses_per_day=u.doses_per_day,
            amount=u.amount,
            unit=u.unit,
            version=u.version,
        )


class MedicationIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    rxnorm_code: str = Field("", max_length=20)
    dose: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=3)
    unit: str = Field("", max_length=30)
    route: Route | None = None
    frequency: str = Field("", max_length=60)
    status: MedicationStatus = MedicationStatus.ACTIVE
    start_at: datetime | None = None
    stop_at: datetime | None = None
    indication: str = Field("", max_length=200)

    def to_fields(self) -> dict:
        data = self.model_dump()
        data["route"] = data["route"] or ""
        return data


class MedicationPatch(Schema):
    version: int
    dose: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=3)
    unit: str | None = Field(None, max_length=30)
    frequency: str | None = Field(None, max_length=60)
    status: MedicationStatus | None = None
    stop_at: datetime | None = None


class MedicationOut(Schema):
    id: UUID
    name: str
    rxnorm_code: str
    dose: Decimal | None
    unit: str
    frequency: str
    status: str
    start_at: datetime | None
    stop_at: datetime | None
    version: int

    @staticmethod
    def from_model(m) -> "MedicationOut":
        return MedicationOut(
            id=m.uid,
            name=m.name,
            rxnorm_code=m.rxnorm_code,
            dose=m.dose,
            unit=m.unit,
            frequency=m.frequency,
            status=m.status,
            start_at=m.start_at,
            stop_at=m.stop_at,
            version=m.version,
        )


class DiagnosisIn(Schema):
    icd10_code: str = Field(min_length=3, max_length=10)
    text: str = Field(min_length=1, max_length=200)
    onset_on: date | None = None


class LabIn(Schema):
    analyte: str = Field(min_length=1, max_length=40)
    loinc: str = Field("", max_length=20)
    specimen: str = Field("serum", max_length=20)
    value: float | None = None
    result_text: str = Field("", max_length=40)
    unit: str = Field("", max_length=30)
    ref_low: float | None = None
    ref_high: float | None = None
    method: LabMethod = LabMethod.CHEMISTRY
    collected_at: datetime


class CreatedOut(Schema):
    id: UUID
    version: int
