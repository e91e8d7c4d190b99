"""Demo step (order 30): treatment plans for a share of the demo patients.

Pathways follow each patient's record: current kratom use -> taper (or buprenorphine
induction with an opioid use disorder), ADHD -> ADHD in early recovery. Weekly CBT
sessions give the attendance objectives something to read.
"""

import uuid
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.errors import DomainError
from speciosa.demo.steps import DemoContext
from speciosa.patients.models import Diagnosis, Patient, SubstanceUse
from speciosa.plans import services
from speciosa.plans.models import CareEvent, PlanSignatureMethod, PlanSignerRole

SHARE_WITH_PLAN = 0.4
MAX_DEMO_PLANS = 400  # each plan goes through the real services (audit, evaluation)


def _pathways_for(patient_id: int, kratom: set[int], oud: set[int], adhd: set[int]) -> list[str]:
    pathways = []
    if patient_id in kratom:
        pathways.append("kratom-oud-buprenorphine" if patient_id in oud else "kratom-taper")
    elif patient_id in oud:
        pathways.append("kratom-oud-buprenorphine")
    if patient_id in adhd:
        pathways.append("adhd-early-recovery")
    return pathways or ["depression-anxiety"]


def _sessions(ctx: DemoContext, patient: Patient, start, today, author) -> list[CareEvent]:
    events = []
    day = start + timedelta(days=2)
    now = timezone.now()
    while day < today:
        at = timezone.make_aware(datetime.combine(day, time(15)))
        events.append(
            CareEvent(
                uid=uuid.UUID(int=ctx.rng.getrandbits(128), version=4),
                program_id=patient.program_id,
                patient=patient,
                kind="session:cbt",
                at=at,
                status="attended" if ctx.rng.random() < 0.8 else "missed",
                created_by=author,
                created_at=now,
                updated_at=now,
            )
        )
        day += timedelta(days=7)
    return events


def add_demo_plans(ctx: DemoContext) -> None:
    prescriber = ctx.users["prescriber"]
    chosen = [pid for pid in ctx.patient_ids if ctx.rng.random() < SHARE_WITH_PLAN][:MAX_DEMO_PLANS]
    kratom = set(
        SubstanceUse.objects.filter(
            patient_id__in=chosen, substance="kratom", is_current=True, grams_per_day__gt=0
        ).values_list("patient_id", flat=True)
    )
    oud = set(
        Diagnosis.objects.filter(patient_id__in=chosen, icd10_code__startswith="F11").values_list(
            "patient_id", flat=True
        )
    )
    adhd = set(
        Diagnosis.objects.filter(patient_id__in=chosen, icd10_code__startswith="F90").values_list(
            "patient_id", flat=True
        )
    )
    advance = ctx.progress("treatment plans", len(chosen))
    today = timezone.localdate()
    patients = Patient.objects.in_bulk(chosen)
    for pid in chosen:
        patient = patients[pid]
        start = today - timedelta(days=ctx.rng.randint(0, 56))
        with transaction.atomic():
            events = _sessions(ctx, patient, start, today, prescriber)
            CareEvent.objects.bulk_create(events)
            if events:
                write_audit(
                    actor=prescriber,
                    action=AuditAction.BULK_CREATE,
                    object_type="plans.CareEvent",
                    object_id=str(patient.uid),
                    program=patient.program,
                    patient=patient,
                    detail={"count": len(events), "source": "demo-data"},
                )
            try:
                plan = services.create_plan_from_template(
                    actor=prescriber,
                    patient=patient,
                    pathway_ids=_pathways_for(pid, kratom, oud, adhd),
                    start_date=start,
                    review_due_on=start + timedelta(days=ctx.rng.choice([14, 28, 42])),
                )
            except DomainError:
                advance(1)
                continue
            if ctx.rng.random() < 0.7:
                services.sign_plan(
                    actor=prescriber,
                    plan=plan,
                    version_number=1,
                    signer_role=PlanSignerRole.CLINICIAN,
                    typed_name=str(prescriber),
                    method=PlanSignatureMethod.TYPED_IN_PERSON,
                )
                services.sign_plan(
                    actor=prescriber,
                    plan=plan,
                    version_number=1,
                    signer_role=PlanSignerRole.PATIENT,
                    typed_name=patient.full_name,
                    method=PlanSignatureMethod.TYPED_IN_PERSON,
                )
        advance(1)
