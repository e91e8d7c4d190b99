"""Demo step (order 10): plausible, reproducible score trajectories for demo patients.

Weekly PHQ-9, GAD-7 and craving ratings over 6-24 weeks that mostly improve; a COWS
series for patients in an induction; the ASRS screener at intake for some; monthly kratom
dependence (LDQ); a few PHQ-9 item 9 answers above 0 so the safety rules have something
to find. About 50 scored responses per patient.

Built for 100k patients (~5M responses) in minutes: per chunk of patients the answers of
each instrument are drawn as one numpy matrix of item scores, scored together by the real
engine (``score_many``), and the stored FHIR QuestionnaireResponse JSON is assembled from
per-instrument fragments (the same document ``build_questionnaire_response`` builds; a
test checks it). Rows go in through dataio's bulk path (COPY on PostgreSQL, executemany on
SQLite) with response ids allocated up front, so no read-back is needed. One audit row
per chunk, as for the patients.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from random import Random
from typing import TYPE_CHECKING, Any

import orjson
from django.db import connection, transaction
from django.utils import timezone

from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.instruments import get_instrument
from speciosa.clinical.instruments.responses import build_questionnaire_response
from speciosa.clinical.instruments.scoring import score_many
from speciosa.dataio.bulk import insert_dicts, insert_values
from speciosa.demo.steps import DemoContext
from speciosa.measures.models import AssessmentSchedule, QuestionnaireResponse, Score
from speciosa.patients.models import Patient

if TYPE_CHECKING:  # numpy is imported when the step runs, not at start-up
    import numpy as np

CHUNK = 1000  # patients per transaction (~50k responses: ~100 MB of rows in memory)
INSTRUMENTS = ("phq9", "gad7", "craving_nrs", "cows", "asrs_screener", "ldq_kratom")
ITEM9 = "phq9-9"


@dataclass(frozen=True)
class _Form:
    """Everything needed to draw, score and store one instrument's responses in bulk."""

    instrument_id: str
    version: int
    links: tuple[str, ...]  # required scored items, in questionnaire order
    weights: tuple[np.ndarray, ...]  # per item: option index -> item score
    integer: tuple[tuple[int, int] | None, ...]  # per item: (min, max) of an integer item
    fragments: tuple[dict[int, str], ...]  # per item: item score -> JSON of the item
    head: str  # JSON up to the subject reference


@cache
def _form(instrument_id: str) -> _Form:
    import numpy as np

    instrument = get_instrument(instrument_id)
    items = [i for i in instrument.items.values() if i.required and i.is_scored]
    weights, integer, fragments = [], [], []
    for item in items:
        if item.kind == "integer":
            assert item.min_value is not None and item.max_value is not None
            low, high = int(item.min_value), int(item.max_value)
            values = list(range(low, high + 1))
            integer.append((low, high))
        else:
            values = [o.weight for o in item.options]
            integer.append(None)
        weights.append(np.array(values, dtype=np.int64))
        fragments.append({v: _dumps(_item_json(instrument, item.link_id, v)) for v in values})
    q = instrument.questionnaire
    head = (
        '{"resourceType":"QuestionnaireResponse","questionnaire":'
        + _dumps(f"{q['url']}|{q.get('version', '1')}")
        + ',"status":"completed","subject":{"reference":"Patient/'
    )
    return _Form(
        instrument_id=instrument.id,
        version=instrument.scoring.version,
        links=tuple(i.link_id for i in items),
        weights=tuple(weights),
        integer=tuple(integer),
        fragments=tuple(fragments),
        head=head,
    )


def _item_json(instrument, link_id: str, value: int) -> dict[str, Any]:
    # the engine's own FHIR builder, for one item: the stored documents match the API's
    resource = build_questionnaire_response(
        instrument, {link_id: value}, patient_ref="", authored=timezone.now()
    )
    return resource["item"][0]


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _uuid_hex(rng: Random) -> str:
    """A random (version 4) UUID as 32 hex digits, from ``rng``: reproducible by seed."""
    bits = rng.getrandbits(128)
    bits = (bits & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
    return f"{bits:032x}"


def _dashed(h: str) -> str:
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def draw_scores(form: _Form, severity: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    """Item scores (n x items) whose options sit around ``severity`` (0 = none, 1 = max)."""
    import numpy as np

    columns = []
    for weights, integer in zip(form.weights, form.integer, strict=True):
        top = len(weights) - 1
        noise = gen.normal(0.0, 1.0 if integer else 0.6, len(severity))
        index = np.clip(np.rint(severity * top + noise), 0, top).astype(np.int64)
        columns.append(weights[index])
    return np.column_stack(columns) if columns else np.zeros((len(severity), 0), np.int64)


class _Draws:
    """One instrument's responses in a chunk, as columns (filled patient by patient)."""

    def __init__(self) -> None:
        self.patient: list[int] = []  # index into the chunk's patients
        self.at: list[datetime] = []
        self.severity: list[float] = []
        self.item9: list[bool] = []

    def add(self, patient: int, at: datetime, severity: float, item9: bool = False) -> None:
        self.patient.append(patient)
        self.at.append(at)
        self.severity.append(min(1.0, max(0.0, severity)))
        self.item9.append(item9)


def _series(index: int, rng: Random, now: datetime, draws: dict[str, _Draws]) -> None:
    """One patient's schedule of responses (times and severities, not yet answers)."""
    weeks = rng.randint(6, 24)
    intake = now - timedelta(weeks=weeks, hours=rng.randint(1, 72))
    mood = rng.uniform(0.15, 0.8)
    anxiety = rng.uniform(0.1, 0.75)
    craving = rng.uniform(0.4, 0.9)
    improves = rng.random() < 0.75
    item9_week = rng.randrange(weeks + 1) if rng.random() < 0.05 else None
    for week in range(weeks + 1):
        at = intake + timedelta(weeks=week, hours=rng.randint(0, 8))
        if at > now:
            continue
        drift = -0.05 * week if improves else 0.01 * week
        draws["phq9"].add(index, at, mood + drift, week == item9_week)
        draws["gad7"].add(index, at, anxiety + drift)
        draws["craving_nrs"].add(index, at, craving + drift)
    if rng.random() < 0.25:  # induction: COWS every 4 h over the first day
        level = rng.uniform(0.25, 0.45)
        for step in range(6):
            draws["cows"].add(index, intake + timedelta(hours=4 * step), level - 0.06 * step)
    if rng.random() < 0.4:
        draws["asrs_screener"].add(index, intake, rng.uniform(0.2, 0.8))
    if rng.random() < 0.6:
        level = rng.uniform(0.3, 0.8)
        for month in range(weeks // 4 + 1):
            draws["ldq_kratom"].add(index, intake + timedelta(days=30 * month), level - 0.1 * month)


def _allocate_ids(model, count: int) -> list[int]:
    """``count`` fresh primary keys for ``model`` (inside the writing transaction)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the transaction holds the write lock (rows were written before this
        # call), so nobody else can take these ids; AUTOINCREMENT never reuses an id
        quoted = connection.ops.quote_name(table)
        # a model's own table name, quoted: no outside input
        sql = f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), coalesce((SELECT max(id) FROM {quoted}), 0))"  # noqa: E501, S608
        cursor.execute(sql, [table])
        first = cursor.fetchone()[0] + 1
    return list(range(first, first + count))


def _columns(model, names: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


RESPONSE_FIELDS = (
    "id",
    "uid",
    "program",
    "created_at",
    "updated_at",
    "created_by",
    "version",
    "patient",
    "instrument_id",
    "instrument_version",
    "authored_at",
    "author",
    "source",
    "resource",
)
SCORE_FIELDS = (
    "uid",
    "program",
    "created_at",
    "updated_at",
    "created_by",
    "version",
    "response",
    "patient",
    "instrument_id",
    "taken_at",
    "total",
    "band",
    "is_positive",
    "critical_items",
    "critical_flags",
    "subscales",
    "items",
    "completeness",
    "notes",
)


def _instrument_rows(
    form: _Form,
    draws: _Draws,
    patients: list[tuple[int, str, str, int]],
    gen: np.random.Generator,
    uids: Random,
    ids: list[int],
    *,
    now: datetime,
    author,
    to_db,
) -> tuple[list[tuple], list[tuple]]:
    """Draw, score and build the response and score rows of one instrument."""
    import numpy as np

    n = len(draws.patient)
    scores = draw_scores(form, np.array(draws.severity), gen)
    if form.instrument_id == "phq9":
        scores[:, form.links.index(ITEM9)] = np.array(draws.item9, dtype=np.int64)
    answers = [dict(zip(form.links, row, strict=True)) for row in scores.tolist()]
    # score_many takes one sex per batch (sex-specific screens): score each sex apart
    by_sex: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(draws.patient):
        by_sex[patients[p][2]].append(i)
    results: list[Any] = [None] * n
    for sex, positions in by_sex.items():
        batch = score_many(form.instrument_id, [answers[i] for i in positions], sex=sex)
        for i, result in zip(positions, batch, strict=True):
            results[i] = result
    clinician = form.instrument_id == "cows"
    source = "clinician" if clinician else "self_report"
    author_id = author.pk if (clinician and author is not None) else None
    author_json = (
        f',"author":{{"reference":"Practitioner/{author.uid}"}}'
        if clinician and getattr(author, "uid", None)
        else ""
    )
    created_by = author.pk if author is not None else None
    fragments = form.fragments
    json_cache: dict[Any, str] = {}

    def cached(value: Any) -> str:
        key = repr(value)
        if key not in json_cache:
            json_cache[key] = _dumps(value)
        return json_cache[key]

    responses, rows = [], []
    stamp = to_db(now.isoformat())
    for i in range(n):
        patient_id, patient_uid, _sex, program_id = patients[draws.patient[i]]
        iso = draws.at[i].isoformat()
        taken = to_db(iso)
        row = answers[i]
        response_uid, score_uid = _uuid_hex(uids), _uuid_hex(uids)
        resource = (
            form.head
            + patient_uid
            + '"},"authored":"'
            + iso
            + '","item":['
            + ",".join([fragments[j][v] for j, v in enumerate(row.values())])
            + '],"id":"'
            + _dashed(response_uid)
            + '"'
            + author_json
            + "}"
        )
        responses.append(
            (
                ids[i],
                response_uid,
                program_id,
                stamp,
                stamp,
                created_by,
                1,
                patient_id,
                form.instrument_id,
                form.version,
                taken,
                author_id,
                source,
                resource,
            )
        )
        result = results[i]
        critical = result.critical
        rows.append(
            (
                score_uid,
                program_id,
                stamp,
                stamp,
                created_by,
                1,
                ids[i],
                patient_id,
                form.instrument_id,
                taken,
                float(result.total),
                result.band or "",
                result.is_positive,
                cached([f.item_id for f in critical if f.item_id is not None])
                if critical
                else "[]",
                cached([f._asdict() for f in critical]) if critical else "[]",
                cached(result.subscales) if result.subscales else "{}",
                _dumps(result.items),
                result.completeness,
                cached(list(result.notes)) if result.notes else "[]",
            )
        )
    return responses, rows


def _datetime_to_db():
    """ISO text of a UTC time -> the column value, per backend."""
    if connection.vendor == "sqlite":
        # what adapt_datetimefield_value stores, naive UTC text ("2026-01-02 03:04:05.678"),
        # without its per-value checks: every demo time derives from timezone.now() (UTC)
        return lambda iso: f"{iso[:10]} {iso[11:-6]}"
    return lambda iso: iso  # PostgreSQL parses ISO 8601 with its offset


def add_demo_scores(ctx: DemoContext) -> None:
    import numpy as np

    now = timezone.now()
    assert now.utcoffset() == timedelta(0)
    author = ctx.users.get("nurse")
    base = ctx.rng.getrandbits(64)  # one draw from the shared stream: reproducible by seed
    to_db = _datetime_to_db()
    total = len(ctx.patient_ids)
    advance = ctx.progress("scores", total)
    response_columns = _columns(QuestionnaireResponse, RESPONSE_FIELDS)
    score_columns = _columns(Score, SCORE_FIELDS)
    for number, start in enumerate(range(0, total, CHUNK)):
        ids = ctx.patient_ids[start : start + CHUNK]
        rng = Random(f"{base}:{number}")
        gen = np.random.default_rng([base, number])
        patients = [
            (pk, str(uid), sex, program_id)
            for pk, uid, sex, program_id in Patient.objects.filter(pk__in=ids)
            .order_by("id")
            .values_list("id", "uid", "sex_at_birth", "program_id")
        ]
        if not patients:
            continue
        # uids from their own stream, keyed by the first patient id too: the same seed run
        # again in the same database (another program, or tests) must not repeat them
        uids = Random(f"{base}:{number}:{patients[0][0]}")
        draws = {instrument_id: _Draws() for instrument_id in INSTRUMENTS}
        schedules = []
        for index, (pk, _uid, _sex, program_id) in enumerate(patients):
            _series(index, rng, now, draws)
            schedules.append(
                dict(
                    uid=uuid.UUID(_uuid_hex(uids)),
                    program_id=program_id,
                    patient_id=pk,
                    instrument_id="phq9",
                    kind="interval",
                    interval_hours=336,
                    grace_hours=72,
                    starts_at=now - timedelta(days=rng.randint(0, 60)),
                    preset="phq9-biweekly",
                    created_by_id=author.pk if author is not None else None,
                    created_at=now,
                    updated_at=now,
                )
            )
        count = 0
        with transaction.atomic():
            insert_dicts(AssessmentSchedule, schedules)  # (takes SQLite's write lock)
            for instrument_id in INSTRUMENTS:
                if not draws[instrument_id].patient:
                    continue
                form = _form(instrument_id)
                pks = _allocate_ids(QuestionnaireResponse, len(draws[instrument_id].patient))
                responses, rows = _instrument_rows(
                    form,
                    draws[instrument_id],
                    patients,
                    gen,
                    uids,
                    pks,
                    now=now,
                    author=author,
                    to_db=to_db,
                )
                insert_values(QuestionnaireResponse, response_columns, responses, prepared=True)
                insert_values(Score, score_columns, rows, prepared=True)
                count += len(rows)
            write_audit(
                actor=None,
                action=AuditAction.BULK_CREATE,
                program=ctx.program,
                object_type="demo-scores",
                detail={"patients": len(patients), "scores": count, "seed": ctx.seed},
            )
        advance(len(patients))
