"""Assemble the patient chart from already-loaded rows (a fixed number of queries)."""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str  # css class / icon: admission, discharge, medication, lab, score, alert, plan
    text: str


def _as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return timezone.make_aware(datetime.combine(value, time.min))


def age_on(birth_date: date, today: date) -> int:
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def build_timeline(
    *, episodes=(), medications=(), labs=(), substances=(), extra=()
) -> list[TimelineEvent]:
    """Newest first. ``extra`` lets other panels (scores, alerts, plans) add events."""
    events: list[TimelineEvent] = []
    for e in episodes:
        events.append(
            TimelineEvent(
                _as_datetime(e.admitted_on),
                "admission",
                f"Admitted — ASAM {e.get_asam_level_display()}",
            )
        )
        if e.discharged_on:
            events.append(
                TimelineEvent(
                    _as_datetime(e.discharged_on),
                    "discharge",
                    f"Discharged — {e.get_discharge_reason_display()}",
                )
            )
    for m in medications:
        if m.start_at:
            events.append(TimelineEvent(m.start_at, "medication", f"Started {m}"))
        if m.stop_at:
            events.append(TimelineEvent(m.stop_at, "medication", f"Stopped {m.name}"))
    for lab in labs:
        events.append(TimelineEvent(lab.collected_at, "lab", f"Lab: {lab}"))
    for s in substances:
        if s.last_use_at:
            events.append(TimelineEvent(s.last_use_at, "substance", f"Last use: {s}"))
    events.extend(extra)
    events.sort(key=lambda ev: ev.at, reverse=True)
    return events
