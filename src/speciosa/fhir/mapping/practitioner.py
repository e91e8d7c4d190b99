"""Practitioner <-> accounts.User (staff of the caller's programs). Read and search only:
accounts are managed by administrators in Speciosa, not by FHIR clients."""

from typing import Any

from django.db.models import Q

from speciosa.accounts.models import User
from speciosa.fhir.mapping.common import CANONICAL, meta, prune
from speciosa.fhir.registry import ParamDoc, ResourceType, Source, register


def practitioner_to_fhir(user: User) -> dict[str, Any]:
    name: dict[str, Any] = prune(
        {
            "text": str(user),
            "family": user.last_name,
            "given": [user.first_name] if user.first_name else [],
        }
    )
    return prune(
        {
            "resourceType": "Practitioner",
            "id": str(user.uid),
            "meta": meta(user, version=1, updated=user.date_joined),
            "identifier": [{"system": f"{CANONICAL}/sid/username", "value": user.username}],
            "active": user.is_active,
            "name": [name],
            "telecom": [{"system": "email", "value": user.email}] if user.email else [],
            "qualification": [{"code": {"text": user.credentials}}] if user.credentials else [],
        }
    )


def staff_of(program_ids: frozenset[int]):
    """Staff with an active membership in one of the programs (each user once)."""
    return User.objects.filter(
        pk__in=User.objects.filter(
            memberships__program_id__in=program_ids, memberships__is_active=True
        ).values("pk")
    )


PRACTITIONER = register(
    ResourceType(
        name="Practitioner",
        sources=[
            Source(
                key="user",
                model=User,
                to_fhir=practitioner_to_fhir,
                patient_path=None,
                base=staff_of,
                updated_field="date_joined",
                filters={
                    "name": lambda v: (
                        Q(last_name__istartswith=v)
                        | Q(first_name__istartswith=v)
                        | Q(display_name__icontains=v)
                    ),
                    "identifier": lambda v: Q(username=v.split("|")[-1]),
                },
            )
        ],
        params={
            "name": ParamDoc("string", "Start of family or given name"),
            "identifier": ParamDoc("token", "Username"),
        },
    )
)
