"""The ``scores`` fact provider: ScoreFact tuples (oldest first) for many patients at once."""

from collections import defaultdict

from speciosa.clinical.facts import ScoreFact
from speciosa.measures.models import Score


def score_facts(patient_ids: list[int]) -> dict[int, tuple[ScoreFact, ...]]:
    """One query for any number of patients."""
    rows = (
        Score.objects.filter(patient_id__in=patient_ids)
        .order_by("taken_at", "id")
        .values_list(
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
    )
    grouped: dict[int, list[ScoreFact]] = defaultdict(list)
    for patient_id, instrument_id, at, total, band, items, critical, positive, subs in rows:
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
