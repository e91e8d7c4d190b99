"""EpisodeOfCare <-> patients.Episode (one admission at an ASAM level of care)."""

from typing import Any

from django.db.models import Q

from speciosa.fhir.codesystems import ASAM_LEVEL, DISCHARGE_REASON
from speciosa.fhir.http import FhirContext
from speciosa.fhir.mapping.common import (
    concept,
    day,
    ext,
    first_code,
    invalid,
    meta,
    prune,
    read_date,
    ref,
)
from speciosa.fhir.mapping.subject import patient_for_write
from speciosa.fhir.registry import ParamDoc, ResourceType, Source, register
from speciosa.fhir.search import date_filter, token_parts
from speciosa.patients import services
from speciosa.patients.models import Episode

DISCHARGE_REASON_URL = ext("discharge-reason")


def episode_to_fhir(e: Episode) -> dict[str, Any]:
    extension = []
    if e.discharge_reason:
        extension.append(
            {
                "url": DISCHARGE_REASON_URL,
                "valueCoding": {
                    "system": DISCHARGE_REASON.url,
                    "code": e.discharge_reason,
                    "display": e.get_discharge_reason_display(),
                },
            }
        )
    return prune(
        {
            "resourceType": "EpisodeOfCare",
            "id": str(e.uid),
            "meta": meta(e),
            "extension": extension,
            "status": "finished" if e.discharged_on else "active",
            "type": [concept(ASAM_LEVEL.url, e.asam_level, e.get_asam_level_display())],
            "patient": ref("Patient", e.patient.uid),
            "managingOrganization": ref("Organization", e.program.uid),
            "period": prune({"start": day(e.admitted_on), "end": day(e.discharged_on)}),
            "careManager": ref("Practitioner", e.primary_clinician.uid)
            if e.primary_clinician
            else None,
        }
    )


def episode_fields(resource: dict[str, Any]) -> dict[str, Any]:
    level = None
    for t in resource.get("type") or []:
        level = first_code(t, ASAM_LEVEL.url) or level
    if level not in ASAM_LEVEL.codes():
        raise invalid(
            "EpisodeOfCare.type", f"needs an ASAM level coding ({ASAM_LEVEL.url}): {level!r}"
        )
    period = resource.get("period") or {}
    admitted = read_date(period.get("start"), "EpisodeOfCare.period.start")
    if admitted is None:
        raise invalid("EpisodeOfCare.period.start", "is required (the admission date)")
    discharged = read_date(period.get("end"), "EpisodeOfCare.period.end")
    reason = ""
    for e in resource.get("extension") or []:
        if e.get("url") == DISCHARGE_REASON_URL:
            reason = (e.get("valueCoding") or {}).get("code", "")
    if reason and reason not in DISCHARGE_REASON.codes():
        raise invalid("EpisodeOfCare.extension", f"unknown discharge reason {reason!r}")
    return {
        "asam_level": level,
        "admitted_on": admitted,
        "discharged_on": discharged,
        "discharge_reason": reason,
    }


def create_episode(ctx: FhirContext, resource: dict[str, Any]) -> Episode:
    patient = patient_for_write(ctx, resource.get("patient"), "EpisodeOfCare.patient")
    fields = episode_fields(resource)
    episode = services.admit_patient(
        actor=ctx.user,
        patient=patient,
        asam_level=fields["asam_level"],
        admitted_on=fields["admitted_on"],
    )
    if fields["discharged_on"]:
        services.discharge_episode(
            actor=ctx.user,
            episode=episode,
            expected_version=episode.version,
            discharged_on=fields["discharged_on"],
            discharge_reason=fields["discharge_reason"],
        )
    return episode


def update_episode(ctx: FhirContext, episode: Episode, resource: dict[str, Any], version: int):
    fields = episode_fields(resource)
    changes = {k: v for k, v in fields.items() if getattr(episode, k) != v}
    return services.update_episode(
        actor=ctx.user, episode=episode, expected_version=version, **changes
    )


def status_filter(value: str) -> Q:
    _, code = token_parts(value)
    if code == "active":
        return Q(discharged_on__isnull=True)
    if code == "finished":
        return Q(discharged_on__isnull=False)
    return Q(pk__in=[])


EPISODE = register(
    ResourceType(
        name="EpisodeOfCare",
        sources=[
            Source(
                key="episode",
                model=Episode,
                to_fhir=episode_to_fhir,
                select_related=("patient", "program", "primary_clinician"),
                filters={
                    "status": status_filter,
                    "date": date_filter("admitted_on", is_date=True),
                    "type": lambda v: Q(asam_level=token_parts(v)[1]),
                },
            )
        ],
        params={
            "status": ParamDoc("token", "active (open) or finished (discharged)"),
            "date": ParamDoc("date", "Admission date"),
            "type": ParamDoc("token", "ASAM level code"),
        },
        includes={"patient": ("Patient", "patient_id")},
        create=create_episode,
        update=update_episode,
    )
)
