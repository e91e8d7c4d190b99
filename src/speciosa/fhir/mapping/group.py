"""Group <-> accounts.Program: the patients of one program, for Group-level $export."""

from typing import Any

from django.db.models import Count, Q

from speciosa.accounts.models import Program
from speciosa.fhir.mapping.common import meta, ref
from speciosa.fhir.registry import ParamDoc, ResourceType, Source, register


def group_to_fhir(program: Program) -> dict[str, Any]:
    count = getattr(program, "patient_count", None)
    out: dict[str, Any] = {
        "resourceType": "Group",
        "id": str(program.uid),
        "meta": meta(program, version=1, updated=program.created_at),
        "type": "person",
        "actual": True,
        "name": f"Patients of {program.name}",
        "managingEntity": ref("Organization", program.uid, program.name),
    }
    if count is not None:
        out["quantity"] = count
    return out


def _patient_count_subquery():
    from django.db.models import IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from speciosa.patients.models import Patient

    per_program = (
        Patient.objects.filter(program_id=OuterRef("pk"))
        .order_by()
        .values("program_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(per_program, output_field=IntegerField()), 0)


GROUP = register(
    ResourceType(
        name="Group",
        sources=[
            Source(
                key="group",
                model=Program,
                to_fhir=group_to_fhir,
                patient_path=None,
                program_path="pk",
                updated_field="created_at",
                base=lambda ids: Program.objects.filter(pk__in=ids).annotate(
                    patient_count=_patient_count_subquery()
                ),
                filters={"name": lambda v: Q(name__icontains=v)},
            )
        ],
        params={"name": ParamDoc("string", "Part of the program name")},
        documentation="One Group per program (all its patients); use with Group/<id>/$export",
    )
)
