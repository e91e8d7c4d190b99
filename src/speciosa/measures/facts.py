"""The ``scores`` fact provider: ScoreFact tuples (oldest first) for many patients at once."""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import F, Q, Subquery, Window
from django.db.models.functions import RowNumber

from speciosa.clinical.facts import ScoreFact
from speciosa.core.compiled import CompiledQuery
from speciosa.measures.models import Score


def score_facts(
    patient_ids: list[int], *, instruments: Iterable[str] | None = None, ends_only: bool = False
) -> dict[int, tuple[ScoreFact, ...]]:
    """One query for any number of patients.

    ``instruments`` limits the instruments; ``ends_only`` keeps just the first (baseline)
    and the latest score of each patient and instrument (what the safety rules read), so
    an incremental re-check does not read a patient's whole score history.
    """
    if len(patient_ids) == 1 and instruments is not None:
        # the incremental safety re-check of one patient: SQL built once per instrument set
        key = (frozenset(instruments), ends_only)
        query = _ONE_PATIENT.get(key)
        if query is None:
            query = _ONE_PATIENT[key] = CompiledQuery(
                (lambda pk: _score_end_rows(pk, key[0]))
                if ends_only
                else (lambda pk: _score_rows([pk], key[0], ends_only=False))
            )
        return _group(query.values(patient_ids[0]))
    return _group(_score_rows(patient_ids, instruments, ends_only=ends_only))


_ONE_PATIENT: dict[tuple[frozenset[str], bool], CompiledQuery] = {}


def _score_rows(patient_ids: list[int], instruments: Iterable[str] | None, *, ends_only: bool):
    rows = Score.objects.filter(patient_id__in=patient_ids)
    if instruments is not None:
        rows = rows.filter(instrument_id__in=sorted(instruments))
    if ends_only:
        by = [F("patient_id"), F("instrument_id")]
        rows = rows.annotate(
            rank_first=Window(RowNumber(), partition_by=by, order_by=[F("taken_at"), F("id")]),
            rank_last=Window(
                RowNumber(), partition_by=by, order_by=[F("taken_at").desc(), F("id").desc()]
            ),
        ).filter(Q(rank_first=1) | Q(rank_last=1))
    return rows.order_by("taken_at", "id").values_list(*_SCORE_FACT_COLUMNS)


_SCORE_FACT_COLUMNS = (
    "patient_id",
    "instrument_id",
    "taken_at",
    "total",
    "band",
    "items",
    "critical_items",
    "is_positive",
    "subscales",
)


def _score_end_rows(patient_id: int, instruments: Iterable[str]):
    """The rows ``_score_rows(..., ends_only=True)`` returns for one patient, found through
    the (patient, instrument, taken_at) index: per instrument, the first and the latest row
    by (taken_at, id), each a ``LIMIT 1`` lookup. The window version ranks the patient's
    whole history, so its cost grew with every response stored."""
    ends = Q(pk__in=[])
    for instrument in sorted(instruments):
        rows = Score.objects.filter(patient_id=patient_id, instrument_id=instrument)
        first = rows.order_by("taken_at", "id").values("id")[:1]
        latest = rows.order_by("-taken_at", "-id").values("id")[:1]
        ends |= Q(id=Subquery(first)) | Q(id=Subquery(latest))
    return Score.objects.filter(ends).order_by("taken_at", "id").values_list(*_SCORE_FACT_COLUMNS)


def _group(values) -> dict[int, tuple[ScoreFact, ...]]:
    grouped: dict[int, list[ScoreFact]] = defaultdict(list)
    for patient_id, instrument_id, at, total, band, items, critical, positive, subs in values:
        grouped[patient_id].append(
            ScoreFact(
                instrument_id=instrument_id,
                at=at,
                total=total,
                band=band,
                items=items,
                critical_items=tuple(critical),
                is_positive=positive,
                subscales=subs,
            )
        )
    return {pid: tuple(facts) for pid, facts in grouped.items()}
