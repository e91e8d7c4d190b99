"""Synthetic, reproducible demo program: staff of every role and N patients with plausible
kratom/opioid/ADHD histories. Rows are generated as dicts and inserted in chunks with
``dataio.bulk.insert_dicts`` (COPY on PostgreSQL) so it scales to 100k patients."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from random import Random

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from speciosa.accounts.models import Membership, Program, Role, User
from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.dataio.bulk import insert_dicts
from speciosa.demo.steps import DemoContext, demo_steps
from speciosa.patients.models import (
    Diagnosis,
    Episode,
    LabResult,
    Medication,
    Patient,
    SubstanceUse,
)

DEMO_PASSWORD = "kratom-aware-demo-2026"
DEMO_PROGRAM_CODE = "demo"
OTHER_PROGRAM_CODE = "northside"
CHUNK = 2000

GIVEN = [
    "Avery",
    "Jordan",
    "Riley",
    "Casey",
    "Morgan",
    "Taylor",
    "Jamie",
    "Quinn",
    "Rowan",
    "Skyler",
    "Dakota",
    "Emerson",
    "Harper",
    "Logan",
    "Reese",
    "Sawyer",
    "Elliot",
    "Parker",
    "Kendall",
    "Hayden",
    "Maria",
    "James",
    "Aisha",
    "Wei",
    "Diego",
    "Fatima",
    "Noah",
    "Leah",
]
FAMILY = [
    "Nguyen",
    "Garcia",
    "Smith",
    "Johnson",
    "Brown",
    "Williams",
    "Jones",
    "Miller",
    "Davis",
    "Martinez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
]
KRATOM_GRAMS = [
    Decimal("2.5"),
    Decimal("5"),
    Decimal("8"),
    Decimal("12"),
    Decimal("20"),
    Decimal("35"),
    Decimal("50"),
]
ASAM = ["1", "1-OTP", "2.1", "2.5", "3.5", "3.7"]

STAFF = [
    ("admin", Role.ADMINISTRATOR, "Ada Admin", ""),
    ("director", Role.PROGRAM_DIRECTOR, "Dana Director", "LCSW"),
    ("prescriber", Role.PRESCRIBER, "Dr. Priya Prescriber", "MD"),
    ("nurse", Role.NURSE, "Nate Nurse", "RN"),
    ("counsellor", Role.COUNSELLOR, "Cam Counsellor", "LADC"),
    ("researcher", Role.RESEARCHER, "Rae Researcher", "PhD"),
]


def _noop_progress(label: str, total: int) -> Callable[[int], None]:
    return lambda n: None


@cache
def _demo_password_hash() -> str:
    # hashed once per process: the demo accounts share a published password, and each
    # argon2 hash costs ~0.2-0.8 s (12 demo users)
    return make_password(DEMO_PASSWORD)


def ensure_staff(program: Program, prefix: str = "") -> dict[str, User]:
    users = {}
    for username, role, name, creds in STAFF:
        user, created = User.objects.get_or_create(
            username=prefix + username,
            defaults={
                "display_name": name,
                "credentials": creds,
                "is_staff": role == Role.ADMINISTRATOR,
            },
        )
        if created:
            user.password = _demo_password_hash()
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, program=program, role=role)
        users[role.value] = user
    return users


def _patient_rows(program: Program, rng: Random, start: int, count: int, today: date, author):
    now = timezone.now()
    for i in range(start, start + count):
        sex = rng.choice(
            ["female", "male", "male", "female", "intersex"] if i % 97 == 0 else ["female", "male"]
        )
        yield dict(
            uid=uuid.UUID(int=rng.getrandbits(128), version=4),
            program=program,
            mrn=f"{program.code[:2].upper()}{i:06d}",
            given_name=rng.choice(GIVEN),
            family_name=rng.choice(FAMILY),
            birth_date=today - timedelta(days=rng.randint(19 * 365, 68 * 365)),
            sex_at_birth=sex,
            preferred_language=rng.choice(["en", "en", "en", "es"]),
            created_by=author,
            created_at=now,
            updated_at=now,
        )


def _clinical_rows(patient: Patient, rng: Random, now: datetime, author) -> dict[str, list]:
    """One patient's plausible history. Profiles: kratom-only, kratom + OUD, ADHD, alcohol."""
    rows: dict[str, list] = {
        "episode": [],
        "substance": [],
        "diagnosis": [],
        "medication": [],
        "lab": [],
    }
    base = {
        "program_id": patient.program_id,
        "patient_id": patient.pk,
        "created_by_id": author.pk if author else None,
        "created_at": now,
        "updated_at": now,
    }
    admitted = (now - timedelta(days=rng.randint(3, 240))).date()
    discharged = None
    if rng.random() < 0.3:
        discharged = min(admitted + timedelta(days=rng.randint(7, 120)), now.date())
    rows["episode"].append(
        dict(
            uid=uuid.UUID(int=rng.getrandbits(128), version=4),
            asam_level=rng.choice(ASAM),
            admitted_on=admitted,
            discharged_on=discharged,
            discharge_reason=rng.choice(
                ["completed", "completed", "left_against_advice", "transferred"]
            )
            if discharged
            else "",
            **base,
        )
    )

    def uid():
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    uses_kratom = rng.random() < 0.75
    has_oud = rng.random() < 0.45
    has_adhd = rng.random() < 0.35
    if uses_kratom:
        form = rng.choices(
            ["leaf_powder", "capsules", "extract_shot", "seven_oh"], [55, 25, 12, 8]
        )[0]
        grams = rng.choice(KRATOM_GRAMS)
        rows["substance"].append(
            dict(
                uid=uid(),
                substance="kratom",
                kratom_form=form,
                grams_per_day=grams,
                doses_per_day=rng.randint(2, 6),
                years_of_use=Decimal(rng.randint(1, 80)) / 10,
                last_use_at=now - timedelta(hours=rng.randint(4, 96)),
                route="oral",
                source_vendor=rng.choice(["smoke shop", "online vendor", "gas station", ""]),
                **base,
            )
        )
        rows["diagnosis"].append(
            dict(
                uid=uid(),
                icd10_code="F19.20",
                text="Other psychoactive substance dependence (kratom)",
                **base,
            )
        )
    if has_oud:
        rows["substance"].append(
            dict(
                uid=uid(),
                substance="fentanyl",
                amount=Decimal(rng.randint(1, 10)),
                unit="pills/day",
                route=rng.choice(["smoked", "intranasal", "injected"]),
                frequency="daily",
                last_use_at=now - timedelta(days=rng.randint(1, 30)),
                **base,
            )
        )
        rows["diagnosis"].append(
            dict(
                uid=uid(), icd10_code="F11.20", text="Opioid use disorder, moderate/severe", **base
            )
        )
        moud = rng.choices(["buprenorphine", "methadone", "none"], [55, 30, 15])[0]
        if moud == "buprenorphine":
            rows["medication"].append(
                dict(
                    uid=uid(),
                    name="buprenorphine-naloxone",
                    rxnorm_code="351266",
                    dose=Decimal(rng.choice([8, 12, 16, 24])),
                    unit="mg",
                    route="sublingual",
                    frequency="daily",
                    status="active",
                    start_at=now - timedelta(days=rng.randint(1, 60)),
                    indication="OUD",
                    **base,
                )
            )
        elif moud == "methadone":
            rows["medication"].append(
                dict(
                    uid=uid(),
                    name="methadone",
                    rxnorm_code="6813",
                    dose=Decimal(rng.choice([40, 60, 80, 100])),
                    unit="mg",
                    route="oral",
                    frequency="daily",
                    status="active",
                    start_at=now - timedelta(days=rng.randint(1, 90)),
                    indication="OUD",
                    **base,
                )
            )
    if has_adhd:
        rows["diagnosis"].append(
            dict(uid=uid(), icd10_code="F90.2", text="ADHD, combined presentation", **base)
        )
        med = rng.choice(["atomoxetine", "methylphenidate", "none"])
        if med == "atomoxetine":
            rows["medication"].append(
                dict(
                    uid=uid(),
                    name="atomoxetine",
                    rxnorm_code="38400",
                    dose=Decimal(rng.choice([40, 80])),
                    unit="mg",
                    route="oral",
                    frequency="daily",
                    status="active",
                    start_at=now - timedelta(days=rng.randint(5, 90)),
                    indication="ADHD",
                    **base,
                )
            )
        elif med == "methylphenidate":
            rows["medication"].append(
                dict(
                    uid=uid(),
                    name="methylphenidate",
                    rxnorm_code="6901",
                    dose=Decimal(rng.choice([18, 36, 54])),
                    unit="mg",
                    route="oral",
                    frequency="daily (extended release)",
                    status="active",
                    start_at=now - timedelta(days=rng.randint(5, 90)),
                    indication="ADHD",
                    **base,
                )
            )
    if rng.random() < 0.2:
        rows["substance"].append(
            dict(
                uid=uid(),
                substance="alcohol",
                amount=Decimal(rng.randint(2, 12)),
                unit="drinks/day",
                route="oral",
                frequency="most days",
                last_use_at=now - timedelta(days=rng.randint(1, 20)),
                **base,
            )
        )
        rows["diagnosis"].append(
            dict(
                uid=uid(), icd10_code="F10.20", text="Alcohol use disorder, moderate/severe", **base
            )
        )
    if rng.random() < 0.25:
        rows["diagnosis"].append(
            dict(
                uid=uid(),
                icd10_code="F32.1",
                text="Major depressive disorder, single episode, moderate",
                **base,
            )
        )
    collected = now - timedelta(days=rng.randint(0, 20))
    alt_high = uses_kratom and rng.random() < 0.08
    rows["lab"].extend(
        [
            dict(
                uid=uid(),
                analyte="ALT",
                loinc="1742-6",
                value=float(rng.randint(120, 400) if alt_high else rng.randint(12, 45)),
                unit="U/L",
                ref_low=7,
                ref_high=56,
                method="chemistry",
                collected_at=collected,
                **base,
            ),
            dict(
                uid=uid(),
                analyte="AST",
                loinc="1920-8",
                value=float(rng.randint(90, 300) if alt_high else rng.randint(10, 40)),
                unit="U/L",
                ref_low=8,
                ref_high=48,
                method="chemistry",
                collected_at=collected,
                **base,
            ),
            dict(
                uid=uid(),
                analyte="BILIRUBIN_TOTAL",
                loinc="1975-2",
                value=round(rng.uniform(0.2, 1.1), 1),
                unit="mg/dL",
                ref_low=0.1,
                ref_high=1.2,
                method="chemistry",
                collected_at=collected,
                **base,
            ),
            dict(
                uid=uid(),
                analyte="OPIATES",
                loinc="19295-5",
                specimen="urine",
                result_text="positive" if has_oud and rng.random() < 0.3 else "negative",
                cutoff=300,
                method="immunoassay",
                collected_at=collected,
                **base,
            ),
        ]
    )
    if uses_kratom:
        rows["lab"].append(
            dict(
                uid=uid(),
                analyte="MITRAGYNINE",
                specimen="urine",
                result_text="positive",
                method="lc_ms_ms",
                collected_at=collected,
                **base,
            )
        )
    return rows


def get_or_create_program(code: str, name: str) -> Program:
    program, _ = Program.objects.get_or_create(code=code, defaults={"name": name})
    return program


@contextmanager
def _bulk_load_settings():
    """SQLite only, for the length of demo-data: a 256 MB page cache (the default 2 MB
    thrashes on millions of index entries) and no fsync (synthetic data: a crash means
    re-running). The previous values are restored afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    # synchronous cannot change inside a transaction (tests, or a caller's atomic block)
    pragmas = {"cache_size": -262144}
    if not connection.in_atomic_block:
        pragmas["synchronous"] = 0
    with connection.cursor() as cursor:
        saved = {}
        for name, value in pragmas.items():
            cursor.execute(f"PRAGMA {name}")
            saved[name] = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA {name} = {int(value)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in saved.items():
                cursor.execute(f"PRAGMA {name} = {value}")


def generate_demo_program(
    *,
    patients: int,
    seed: int,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
    skip_steps: Collection[str] = (),
) -> dict:
    """Create (or extend) the demo program. Deterministic for a given seed and size."""
    with _bulk_load_settings():
        return _generate(patients=patients, seed=seed, progress=progress, skip_steps=skip_steps)


def _generate(
    *,
    patients: int,
    seed: int,
    progress: Callable[[str, int], Callable[[int], None]] | None,
    skip_steps: Collection[str],
) -> dict:
    progress = progress or _noop_progress
    rng = Random(seed)
    program = get_or_create_program(DEMO_PROGRAM_CODE, "Speciosa Demo Recovery Program")
    other = get_or_create_program(OTHER_PROGRAM_CODE, "Northside Treatment Center (second program)")
    users = ensure_staff(program)
    ensure_staff(other, prefix="northside-")
    author = users[Role.PRESCRIBER.value]
    today = timezone.localdate()
    now = timezone.now()
    start = Patient.objects.filter(program=program).count() + 1
    if start > 1:  # extending: a fresh stream, or the same seed would repeat the uids
        rng = Random(f"{seed}:{start}")
    advance = progress("patients", patients)
    created_ids: list[int] = []
    rows_created: dict[str, int] = {}
    started = time.perf_counter()
    done = 0
    while done < patients:
        size = min(CHUNK, patients - done)
        with transaction.atomic():
            batch = list(_patient_rows(program, rng, start + done, size, today, author))
            # rows as dicts, not model instances: building a million instances costs more
            # than inserting them. COPY on PostgreSQL, executemany on SQLite.
            insert_dicts(Patient, batch)
            batch = list(
                Patient.objects.filter(program=program, mrn__in=[p["mrn"] for p in batch])
                .only("id", "program_id")
                .order_by("id")
            )
            buckets: dict[str, list] = {
                "episode": [],
                "substance": [],
                "diagnosis": [],
                "medication": [],
                "lab": [],
            }
            for patient in batch:
                for kind, items in _clinical_rows(patient, rng, now, author).items():
                    buckets[kind].extend(items)
            for model, kind in (
                (Episode, "episode"),
                (SubstanceUse, "substance"),
                (Diagnosis, "diagnosis"),
                (Medication, "medication"),
                (LabResult, "lab"),
            ):
                insert_dicts(model, buckets[kind])
                rows_created[kind] = rows_created.get(kind, 0) + len(buckets[kind])
            write_audit(
                actor=None,
                action=AuditAction.BULK_CREATE,
                program=program,
                object_type="demo-data",
                detail={"patients": size, "seed": seed},
            )
        created_ids.extend(p.pk for p in batch)
        done += size
        advance(size)
    context = DemoContext(
        program=program, users=users, patient_ids=created_ids, rng=rng, seed=seed, progress=progress
    )
    seconds = {"patients_and_records": round(time.perf_counter() - started, 2)}
    for name, step in demo_steps():
        if name in skip_steps:
            continue
        step_started = time.perf_counter()
        step(context)
        seconds[name] = round(time.perf_counter() - step_started, 2)
    return {
        "program": program.code,
        "patients_created": len(created_ids),
        "rows_created": rows_created,
        "seconds": seconds,
        "users": [u.username for u in users.values()],
        "password": DEMO_PASSWORD,
    }
