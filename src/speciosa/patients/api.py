"""JSON API for patients and their records. Every read is scoped and audited."""

from uuid import UUID

from django.shortcuts import get_object_or_404
from ninja import Router, Status

from speciosa.accounts.access import program_ids_for
from speciosa.accounts.models import Program
from speciosa.clinical.errors import NotFound
from speciosa.patients import services
from speciosa.patients.models import Medication
from speciosa.patients.queries import get_patient_for_user, patients_for_user
from speciosa.patients.schemas import (
    CreatedOut,
    DiagnosisIn,
    LabIn,
    MedicationIn,
    MedicationOut,
    MedicationPatch,
    PatientIn,
    PatientOut,
    PatientPatch,
    SubstanceUseIn,
    SubstanceUseOut,
)

router = Router(tags=["patients"])


@router.get("", response=list[PatientOut])
def list_patients(request, q: str = "", limit: int = 50):
    limit = max(1, min(limit, 200))
    qs = patients_for_user(request.auth).select_related("program").order_by("family_name", "id")
    if q:
        qs = qs.filter(family_name__istartswith=q) | qs.filter(mrn=q)
    return [PatientOut.from_model(p) for p in qs[:limit]]


@router.post("", response={201: PatientOut})
def create_patient(request, body: PatientIn):
    program = Program.objects.filter(
        code=body.program, pk__in=program_ids_for(request.auth)
    ).first()
    if program is None:
        raise NotFound("Program not found")
    fields = body.model_dump(exclude={"program"})
    patient = services.create_patient(actor=request.auth, program=program, **fields)
    return Status(201, PatientOut.from_model(patient))


@router.get("/{patient_id}", response=PatientOut)
def read_patient(request, patient_id: UUID):
    return PatientOut.from_model(get_patient_for_user(request.auth, patient_id, audit_read=True))


@router.patch("/{patient_id}", response=PatientOut)
def update_patient(request, patient_id: UUID, body: PatientPatch):
    patient = get_patient_for_user(request.auth, patient_id)
    changes = body.model_dump(exclude={"version"}, exclude_unset=True)
    services.update_patient(
        actor=request.auth, patient=patient, expected_version=body.version, **changes
    )
    return PatientOut.from_model(patient)


@router.get("/{patient_id}/substance-use", response=list[SubstanceUseOut])
def list_substance_use(request, patient_id: UUID):
    patient = get_patient_for_user(request.auth, patient_id, audit_read=True)
    return [SubstanceUseOut.from_model(u) for u in patient.substance_uses.order_by("id")]


@router.post("/{patient_id}/substance-use", response={201: SubstanceUseOut})
def add_substance_use(request, patient_id: UUID, body: SubstanceUseIn):
    patient = get_patient_for_user(request.auth, patient_id)
    use = services.record_substance_use(actor=request.auth, patient=patient, **body.to_fields())
    return Status(201, SubstanceUseOut.from_model(use))


@router.get("/{patient_id}/medications", response=list[MedicationOut])
def list_medications(request, patient_id: UUID):
    patient = get_patient_for_user(request.auth, patient_id, audit_read=True)
    return [MedicationOut.from_model(m) for m in patient.medications.order_by("id")]


@router.post("/{patient_id}/medications", response={201: MedicationOut})
def add_medication(request, patient_id: UUID, body: MedicationIn):
    patient = get_patient_for_user(request.auth, patient_id)
    fields = body.to_fields()
    medication = services.record_medication(
        actor=request.auth, patient=patient, name=fields.pop("name"), **fields
    )
    return Status(201, MedicationOut.from_model(medication))


@router.patch("/{patient_id}/medications/{medication_id}", response=MedicationOut)
def update_medication(request, patient_id: UUID, medication_id: UUID, body: MedicationPatch):
    patient = get_patient_for_user(request.auth, patient_id)
    medication = get_object_or_404(Medication, patient=patient, uid=medication_id)
    changes = body.model_dump(exclude={"version"}, exclude_unset=True)
    services.update_medication(
        actor=request.auth, medication=medication, expected_version=body.version, **changes
    )
    return MedicationOut.from_model(medication)


@router.post("/{patient_id}/diagnoses", response={201: CreatedOut})
def add_diagnosis(request, patient_id: UUID, body: DiagnosisIn):
    patient = get_patient_for_user(request.auth, patient_id)
    diagnosis = services.record_diagnosis(actor=request.auth, patient=patient, **body.model_dump())
    return Status(201, CreatedOut(id=diagnosis.uid, version=diagnosis.version))


@router.post("/{patient_id}/labs", response={201: CreatedOut})
def add_lab(request, patient_id: UUID, body: LabIn):
    patient = get_patient_for_user(request.auth, patient_id)
    fields = body.model_dump()
    lab = services.record_lab_result(
        actor=request.auth, patient=patient, analyte=fields.pop("analyte"), **fields
    )
    return Status(201, CreatedOut(id=lab.uid, version=lab.version))
