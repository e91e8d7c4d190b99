"""Patient <-> patients.Patient."""

from typing import Any

from django.db.models import Q

from speciosa.accounts.models import Program
from speciosa.fhir.http import FhirContext
from speciosa.fhir.mapping.common import (
    CANONICAL,
    day,
    ext,
    invalid,
    meta,
    prune,
    read_date,
    ref,
    reference_id,
)
from speciosa.fhir.registry import NOTHING, ParamDoc, ResourceType, Source, register
from speciosa.fhir.search import date_filter, token_parts
from speciosa.patients import services
from speciosa.patients.models import Patient

MRN_TYPE = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}],
    "text": "Medical record number",
}
SEX_AT_BIRTH_URL = ext("sex-at-birth")
GENDER_FOR_SEX = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}
SEX_FOR_GENDER = {"female": "female", "male": "male", "other": "unknown", "unknown": "unknown"}
SEX_CODES = set(GENDER_FOR_SEX)


def mrn_system(program_code: str) -> str:
    """MRNs are unique per program, so each program is its own identifier system."""
    return f"{CANONICAL}/sid/mrn/{program_code}"


def patient_to_fhir(p: Patient) -> dict[str, Any]:
    telecom = []
    if p.phone:
        telecom.append({"system": "phone", "value": p.phone})
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    return prune(
        {
            "resourceType": "Patient",
            "id": str(p.uid),
            "meta": meta(p),
            "extension": [{"url": SEX_AT_BIRTH_URL, "valueCode": p.sex_at_birth}],
            "identifier": [
                {
                    "use": "usual",
                    "type": MRN_TYPE,
                    "system": mrn_system(p.program.code),
                    "value": p.mrn,
                }
            ],
            "active": p.is_active,
            "name": [{"use": "official", "family": p.family_name, "given": [p.given_name]}],
            "telecom": telecom,
            "gender": GENDER_FOR_SEX.get(p.sex_at_birth, "unknown"),
            "birthDate": day(p.birth_date),
            "address": [{"text": p.address}] if p.address else [],
            "communication": [
                {
                    "language": {
                        "coding": [{"system": "urn:ietf:bcp:47", "code": p.preferred_language}]
                    },
                    "preferred": True,
                }
            ]
            if p.preferred_language
            else [],
            "managingOrganization": ref("Organization", p.program.uid, p.program.name),
        }
    )


def patient_fields(resource: dict[str, Any]) -> dict[str, Any]:
    """The Patient model fields a resource sets (validated; 422 names the element)."""
    identifiers = resource.get("identifier") or []
    mrn = next(
        (
            i.get("value")
            for i in identifiers
            if str(i.get("system", "")).startswith(f"{CANONICAL}/sid/mrn/")
        ),
        None,
    ) or next((i.get("value") for i in identifiers if i.get("value")), None)
    if not mrn:
        raise invalid("Patient.identifier", "an identifier (the MRN) is required")
    names = resource.get("name") or []
    name = names[0] if names else {}
    family = name.get("family") or ""
    given = (name.get("given") or [""])[0]
    if not family or not given:
        raise invalid("Patient.name", "a family name and a given name are required")
    birth = read_date(resource.get("birthDate"), "Patient.birthDate")
    if birth is None:
        raise invalid("Patient.birthDate", "is required")
    sex = next(
        (
            e.get("valueCode")
            for e in resource.get("extension") or []
            if e.get("url") == SEX_AT_BIRTH_URL
        ),
        None,
    )
    gender = resource.get("gender") or "unknown"
    if gender not in SEX_FOR_GENDER:
        raise invalid("Patient.gender", f"{gender!r} is not male, female, other or unknown")
    sex = sex or SEX_FOR_GENDER[gender]
    if sex not in SEX_CODES:
        raise invalid(
            "Patient.extension", f"sex at birth {sex!r} is not one of {sorted(SEX_CODES)}"
        )
    telecom = resource.get("telecom") or []
    phone = next((t.get("value") for t in telecom if t.get("system") == "phone"), "")
    email = next((t.get("value") for t in telecom if t.get("system") == "email"), "")
    addresses = resource.get("address") or []
    address = ""
    if addresses:
        a = addresses[0]
        address = a.get("text") or ", ".join(
            [*(a.get("line") or []), a.get("city", ""), a.get("state", ""), a.get("postalCode", "")]
        ).strip(", ")
    language = "en"
    for comm in resource.get("communication") or []:
        codes = [c.get("code") for c in (comm.get("language") or {}).get("coding") or []]
        if codes and codes[0]:
            language = codes[0]
            break
    return {
        "mrn": mrn,
        "given_name": given,
        "family_name": family,
        "birth_date": birth,
        "sex_at_birth": sex,
        "phone": phone or "",
        "email": email or "",
        "address": address,
        "preferred_language": language,
        "is_active": resource.get("active", True),
    }


def program_for_new_patient(ctx: FhirContext, resource: dict[str, Any]) -> Program:
    org = resource.get("managingOrganization")
    programs = Program.objects.filter(pk__in=ctx.program_ids)
    if org:
        uid = reference_id(org, "Organization", "Patient.managingOrganization")
        program = programs.filter(uid=uid).first() if _is_uuid(uid) else None
        if program is None:
            raise invalid("Patient.managingOrganization", "is not a program you may write to", 404)
        return program
    candidates = list(programs[:2])
    if len(candidates) != 1:
        raise invalid(
            "Patient.managingOrganization",
            "is required: you belong to several programs (reference Organization/<id>)",
        )
    return candidates[0]


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def create_patient(ctx: FhirContext, resource: dict[str, Any]) -> Patient:
    program = program_for_new_patient(ctx, resource)
    return services.create_patient(actor=ctx.user, program=program, **patient_fields(resource))


def update_patient(ctx: FhirContext, patient: Patient, resource: dict[str, Any], version: int):
    fields = patient_fields(resource)
    changes = {k: v for k, v in fields.items() if getattr(patient, k) != v}
    return services.update_patient(
        actor=ctx.user, patient=patient, expected_version=version, **changes
    )


def identifier_filter(value: str) -> Q:
    system, code = token_parts(value)
    if system:
        prefix = f"{CANONICAL}/sid/mrn/"
        if not system.startswith(prefix):
            return NOTHING
        return Q(mrn=code, program__code=system[len(prefix) :])
    return Q(mrn=code)


def name_filter(value: str) -> Q:
    return Q(family_name__istartswith=value) | Q(given_name__istartswith=value)


def gender_filter(value: str) -> Q:
    _, code = token_parts(value)
    sexes = [s for s, g in GENDER_FOR_SEX.items() if g == code]
    return Q(sex_at_birth__in=sexes)


def organization_filter(value: str) -> Q:
    uid = value.rstrip("/").split("/")[-1]
    return Q(program__uid=uid) if _is_uuid(uid) else NOTHING


def active_filter(value: str) -> Q:
    _, code = token_parts(value)
    if code not in ("true", "false"):
        return NOTHING
    return Q(is_active=code == "true")


PATIENT_SOURCE = Source(
    key="patient",
    model=Patient,
    to_fhir=patient_to_fhir,
    patient_path="self",
    select_related=("program",),
    filters={
        "identifier": identifier_filter,
        "name": name_filter,
        "family": lambda v: Q(family_name__istartswith=v),
        "given": lambda v: Q(given_name__istartswith=v),
        "birthdate": date_filter("birth_date", is_date=True),
        "gender": gender_filter,
        "organization": organization_filter,
        "active": active_filter,
    },
)

PATIENT = register(
    ResourceType(
        name="Patient",
        sources=[PATIENT_SOURCE],
        params={
            "identifier": ParamDoc("token", "MRN (system is the program's MRN namespace)"),
            "name": ParamDoc("string", "Start of family or given name"),
            "family": ParamDoc("string", "Start of family name"),
            "given": ParamDoc("string", "Start of given name"),
            "birthdate": ParamDoc("date", "Date of birth (prefixes ge, le, gt, lt, eq)"),
            "gender": ParamDoc("token", "Administrative gender"),
            "organization": ParamDoc("reference", "Managing organization (program)"),
            "active": ParamDoc("token", "true or false"),
        },
        includes={"organization": ("Organization", "program_id")},
        create=create_patient,
        update=update_patient,
        documentation="Sex at birth travels in the extension " + SEX_AT_BIRTH_URL,
    )
)
