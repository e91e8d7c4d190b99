"""Fact provider ``study_arms``: the arms a patient is on (``PROTOCOL:arm``), active only."""

from collections import defaultdict

from speciosa.research.models import Enrolment, EnrolmentStatus


def study_arms_for(patient_ids: list[int]) -> dict[int, tuple[str, ...]]:
    arms: dict[int, list[str]] = defaultdict(list)
    rows = Enrolment.objects.filter(
        patient_id__in=patient_ids, status=EnrolmentStatus.ACTIVE
    ).values_list("patient_id", "study__protocol_id", "arm__code")
    for patient_id, protocol, arm in rows:
        arms[patient_id].append(f"{protocol}:{arm}")
    return {pid: tuple(sorted(values)) for pid, values in arms.items()}
