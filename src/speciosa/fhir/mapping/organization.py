"""Organization <-> accounts.Program (a treatment program or site). Read and search."""

from typing import Any

from django.db.models import Q

from speciosa.accounts.models import Program
from speciosa.fhir.mapping.common import CANONICAL, meta
from speciosa.fhir.registry import ParamDoc, ResourceType, Source, register

PROVIDER_TYPE = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/organization-type",
            "code": "prov",
            "display": "Healthcare Provider",
        }
    ]
}


def organization_to_fhir(program: Program) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": str(program.uid),
        "meta": meta(program, version=1, updated=program.created_at),
        "identifier": [{"system": f"{CANONICAL}/sid/program", "value": program.code}],
        "active": True,
        "type": [PROVIDER_TYPE],
        "name": program.name,
    }


ORGANIZATION = register(
    ResourceType(
        name="Organization",
        sources=[
            Source(
                key="program",
                model=Program,
                to_fhir=organization_to_fhir,
                patient_path=None,
                program_path="pk",
                updated_field="created_at",
                filters={
                    "name": lambda v: Q(name__icontains=v),
                    "identifier": lambda v: Q(code=v.split("|")[-1]),
                },
            )
        ],
        params={
            "name": ParamDoc("string", "Part of the program name"),
            "identifier": ParamDoc("token", "Program code"),
        },
    )
)
