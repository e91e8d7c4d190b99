"""Study lifecycle: which status changes are allowed."""

from __future__ import annotations

from enum import StrEnum


class StudyStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"  # IRB approval recorded
    ENROLLING = "enrolling"
    PAUSED = "paused"  # enrolment paused (e.g. a stopping rule fired); follow-up continues
    CLOSED = "closed"


ALLOWED_TRANSITIONS: dict[StudyStatus, frozenset[StudyStatus]] = {
    StudyStatus.DRAFT: frozenset({StudyStatus.APPROVED}),
    StudyStatus.APPROVED: frozenset({StudyStatus.ENROLLING, StudyStatus.CLOSED}),
    StudyStatus.ENROLLING: frozenset({StudyStatus.PAUSED, StudyStatus.CLOSED}),
    StudyStatus.PAUSED: frozenset({StudyStatus.ENROLLING, StudyStatus.CLOSED}),
    StudyStatus.CLOSED: frozenset(),
}


def can_transition(current: StudyStatus, target: StudyStatus) -> bool:
    return target in ALLOWED_TRANSITIONS[current]
