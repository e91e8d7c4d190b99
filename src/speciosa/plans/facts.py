"""Plan-side facts: care events (sessions) for attendance objectives."""

from collections import defaultdict

from speciosa.clinical.facts import EventFact
from speciosa.plans.models import CareEvent


def care_event_facts(patient_ids: list[int]) -> dict[int, tuple[EventFact, ...]]:
    """All care events of these patients in one query, oldest first."""
    grouped: dict[int, list[EventFact]] = defaultdict(list)
    rows = (
        CareEvent.objects.filter(patient_id__in=patient_ids)
        .order_by("at", "id")
        .values_list("patient_id", "kind", "at", "status")
    )
    for patient_id, kind, at, status in rows:
        grouped[patient_id].append(EventFact(kind=kind, at=at, status=status))
    return {key: tuple(values) for key, values in grouped.items()}
