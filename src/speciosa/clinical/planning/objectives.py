"""Measurable objectives: typed conditions over ``PatientFacts`` that evaluate themselves.

Each condition returns an ``Evaluation``: one of met / on_track / at_risk /
not_enough_data, a one-line summary, and the numbers that led there, so a clinician can
check the arithmetic. Only data inside the plan window counts: from the plan's start
date (inclusive) to ``facts.as_of`` (inclusive).

Status rules shared by all types:
- not_enough_data: the data the condition needs is not recorded (yet).
- met: the condition holds on the latest data.
- on_track: not met yet, but the data move toward it and the target date (if any) has
  not passed.
- at_risk: the latest data move away from it, or the target date passed unmet.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from speciosa.clinical.facts import LabFact, LabMethod, PatientFacts, ScoreFact, Substance
from speciosa.clinical.planning.reliable_change import RELIABLE_Z, reliable_change

Number = float | int | str | None

# Display names for instrument ids used in objective text.
INSTRUMENT_NAMES = {
    "cows": "COWS",
    "sows": "SOWS",
    "phq9": "PHQ-9",
    "gad7": "GAD-7",
    "asrs": "ASRS",
    "asrs_screener": "ASRS screener",
    "asrs_18": "ASRS",
    "cssrs": "C-SSRS",
    "audit_c": "AUDIT-C",
    "craving_nrs": "Craving NRS",
    "ciwa_ar": "CIWA-Ar",
    "audit": "AUDIT",
    "dast10": "DAST-10",
    "kds": "KDS",
}


METHOD_NAMES = {
    LabMethod.IMMUNOASSAY: "immunoassay",
    LabMethod.LCMS: "LC-MS/MS",
    LabMethod.GCMS: "GC-MS",
    LabMethod.POINT_OF_CARE: "point-of-care cup",
    LabMethod.CHEMISTRY: "serum chemistry",
}


def instrument_name(instrument_id: str) -> str:
    return INSTRUMENT_NAMES.get(instrument_id, instrument_id.upper())


class ObjectiveStatus(StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    NOT_ENOUGH_DATA = "not_enough_data"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Evaluation(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: ObjectiveStatus
    summary: str
    numbers: dict[str, Number] = Field(default_factory=dict)


class Window(BaseModel):
    """The stretch of time an objective is judged over."""

    model_config = ConfigDict(frozen=True)

    start: date
    target: date | None = None

    def contains(self, at: datetime, as_of: datetime) -> bool:
        return self.start <= at.date() and at <= as_of

    def target_passed(self, as_of: datetime) -> bool:
        return self.target is not None and as_of.date() > self.target


def _scores_in(facts: PatientFacts, instrument_id: str, window: Window) -> list[ScoreFact]:
    scores = [s for s in facts.scores_for(instrument_id) if window.contains(s.at, facts.as_of)]
    return sorted(scores, key=lambda s: s.at)


def _trailing_run(values: list[bool]) -> int:
    run = 0
    for value in reversed(values):
        if not value:
            break
        run += 1
    return run


class _Condition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScoreBelowConsecutive(_Condition):
    """e.g. COWS < 5 on 3 consecutive assessments (withdrawal resolved)."""

    kind: Literal["score_below_consecutive"] = "score_below_consecutive"
    instrument_id: str
    below: float
    consecutive: int = Field(ge=1, le=50)

    def describe(self) -> str:
        return (
            f"{instrument_name(self.instrument_id)} < {self.below:g} on "
            f"{self.consecutive} consecutive assessments"
        )

    def evaluate(self, facts: PatientFacts, window: Window) -> Evaluation:
        scores = _scores_in(facts, self.instrument_id, window)
        name = instrument_name(self.instrument_id)
        if not scores:
            return Evaluation(
                status=ObjectiveStatus.NOT_ENOUGH_DATA,
                summary=f"No {name} recorded since {window.start.isoformat()}",
                numbers={"assessments": 0, "needed": self.consecutive},
            )
        run = _trailing_run([s.total < self.below for s in scores])
        latest = scores[-1].total
        numbers: dict[str, Number] = {
            "assessments": len(scores),
            "latest": latest,
            "consecutive_below": run,
            "needed": self.consecutive,
            "threshold": self.below,
        }
        if run >= self.consecutive:
            status = ObjectiveStatus.MET
        elif window.target_passed(facts.as_of):
            status = ObjectiveStatus.AT_RISK
        elif run > 0:
            status = ObjectiveStatus.ON_TRACK
        else:
            # latest at/above the threshold: on track only while it is falling
            falling = len(scores) >= 2 and latest < scores[-2].total
            status = ObjectiveStatus.ON_TRACK if falling else ObjectiveStatus.AT_RISK
        summary = (
            f"{run} of {self.consecutive} consecutive {name} below {self.below:g} "
            f"(latest {latest:g}, {len(scores)} assessments)"
        )
        return Evaluation(status=status, summary=summary, numbers=numbers)


class KratomDoseAtMost(_Condition):
    """e.g. kratom ≤ 4 g/day by week 3 of a taper. Only ever a *reduction* target."""

    kind: Literal["kratom_dose_at_most"] = "kratom_dose_at_most"
    max_grams_per_day: float = Field(ge=0)
    by_week: int | None = Field(default=None, ge=0, le=104)
    by_date: date | None = None
    baseline_grams_per_day: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _never_above_baseline(self) -> KratomDoseAtMost:
        if (
            self.baseline_grams_per_day is not None
            and self.max_grams_per_day > self.baseline_grams_per_day
        ):
            raise ValueError("a kratom objective may only reduce use (target above baseline)")
        return self

    def deadline(self, start: date) -> date | None:
        if self.by_date is not None:
            return self.by_date
        if self.by_week is not None:
            return start + timedelta(weeks=self.by_week)
        return None

    def describe(self) -> str:
        when = (
            f" by {self.by_date.isoformat()}"
            if self.by_date
            else f" by week {self.by_week}"
            if self.by_week is not None
            else ""
        )
        return f"Kratom ≤ {self.max_grams_per_day:g} g/day{when}"

    def evaluate(self, facts: PatientFacts, window: Window) -> Evaluation:
        kratom = [u for u in facts.substances if u.substance is Substance.KRATOM]
        current = facts.kratom_use()
        deadline = self.deadline(window.start) or window.target
        numbers: dict[str, Number] = {
            "target_g_per_day": self.max_grams_per_day,
            "deadline": deadline.isoformat() if deadline else None,
            "baseline_g_per_day": self.baseline_grams_per_day,
        }
        if not kratom or (current is not None and current.grams_per_day is None):
            return Evaluation(
                status=ObjectiveStatus.NOT_ENOUGH_DATA,
                summary="No kratom amount (g/day) recorded",
                numbers=numbers,
            )
        grams = float(current.grams_per_day or 0) if current is not None else 0.0
        numbers["current_g_per_day"] = grams
        if grams <= self.max_grams_per_day:
            return Evaluation(
                status=ObjectiveStatus.MET,
                summary=f"Kratom {grams:g} g/day ≤ target {self.max_grams_per_day:g} g/day",
                numbers=numbers,
            )
        today = facts.as_of.date()
        if deadline is not None and today > deadline:
            status = ObjectiveStatus.AT_RISK
            summary = f"Kratom {grams:g} g/day; target {self.max_grams_per_day:g} passed"
        elif deadline is not None and self.baseline_grams_per_day is not None:
            # expected dose today on a straight line from baseline (start) to target (deadline)
            span = max((deadline - window.start).days, 1)
            done = min(max((today - window.start).days, 0), span) / span
            expected = self.baseline_grams_per_day - done * (
                self.baseline_grams_per_day - self.max_grams_per_day
            )
            numbers["expected_g_per_day_today"] = round(expected, 2)
            status = ObjectiveStatus.ON_TRACK if grams <= expected else ObjectiveStatus.AT_RISK
            summary = f"Kratom {grams:g} g/day; expected ≤ {expected:.1f} today on the way down"
        else:
            status = ObjectiveStatus.ON_TRACK
            summary = f"Kratom {grams:g} g/day; target {self.max_grams_per_day:g} not due yet"
        return Evaluation(status=status, summary=summary, numbers=numbers)


class ReliableImprovement(_Condition):
    """Reliable improvement from baseline (Jacobson–Truax), e.g. PHQ-9.

    With ``sd`` and ``reliability`` set (a program's reference sample, or the cited
    defaults in ``data/parameters.yaml``) the RCI is computed here. Without them the
    shared instrument library decides (``clinical.instruments.scoring.reliable_change``:
    the instrument's published threshold or its own reliability and SD).
    """

    kind: Literal["reliable_improvement"] = "reliable_improvement"
    instrument_id: str
    sd: float | None = Field(default=None, gt=0)
    reliability: float | None = Field(default=None, gt=0, lt=1)
    lower_is_better: bool = True
    z: float = Field(default=RELIABLE_Z, gt=0)
    parameters_id: str = ""  # the cited parameter set in data/parameters.yaml

    def describe(self) -> str:
        return f"{instrument_name(self.instrument_id)} reliable improvement from baseline"

    def _change(self, baseline: float, latest: float) -> tuple[float | None, float | None, bool]:
        """(rci, points needed, is reliable) for latest - baseline."""
        if self.sd is not None and self.reliability is not None:
            rc = reliable_change(
                baseline, latest, sd=self.sd, reliability=self.reliability, z=self.z
            )
            return rc.rci, rc.threshold_points, rc.is_reliable
        from speciosa.clinical.errors import NotFound
        from speciosa.clinical.instruments.scoring import reliable_change as shared_change

        try:
            shared = shared_change(self.instrument_id, baseline, latest)
        except NotFound:
            return None, None, False
        reliable = shared.is_reliable_improvement or shared.is_reliable_deterioration
        return shared.rci, shared.threshold, reliable

    def evaluate(self, facts: PatientFacts, window: Window) -> Evaluation:
        name = instrument_name(self.instrument_id)
        all_scores = sorted(
            (s for s in facts.scores_for(self.instrument_id) if s.at <= facts.as_of),
            key=lambda s: s.at,
        )
        before = [s for s in all_scores if s.at.date() <= window.start]
        # baseline: the last score on/before the plan start, else the first one after it
        baseline = before[-1] if before else (all_scores[0] if all_scores else None)
        later = [s for s in all_scores if baseline is not None and s.at > baseline.at]
        if baseline is None or not later:
            return Evaluation(
                status=ObjectiveStatus.NOT_ENOUGH_DATA,
                summary=f"Needs a baseline and a follow-up {name}",
                numbers={"assessments": len(all_scores)},
            )
        latest = later[-1]
        rci, needed, is_reliable = self._change(baseline.total, latest.total)
        if needed is None:
            return Evaluation(
                status=ObjectiveStatus.NOT_ENOUGH_DATA,
                summary=f"No reliability data for {name}: set SD and reliability",
                numbers={"baseline": baseline.total, "latest": latest.total},
            )
        change = latest.total - baseline.total
        improvement = -change if self.lower_is_better else change
        numbers: dict[str, Number] = {
            "baseline": baseline.total,
            "baseline_at": baseline.at.date().isoformat(),
            "latest": latest.total,
            "latest_at": latest.at.date().isoformat(),
            "change": change,
            "rci": round(rci, 2) if rci is not None else None,
            "reliable_change_points": round(needed, 2),
            "sd": self.sd,
            "reliability": self.reliability,
        }
        if is_reliable and improvement > 0:
            status = ObjectiveStatus.MET
        elif (is_reliable and improvement < 0) or window.target_passed(facts.as_of):
            status = ObjectiveStatus.AT_RISK
        elif improvement > 0:
            status = ObjectiveStatus.ON_TRACK
        else:
            status = ObjectiveStatus.AT_RISK
        rci_text = f"RCI {rci:.2f}; " if rci is not None else ""
        summary = (
            f"{name} {baseline.total:g} → {latest.total:g} ({rci_text}reliable change "
            f"needs ≥ {needed:.1f} points)"
        )
        return Evaluation(status=status, summary=summary, numbers=numbers)


class ScreenPositiveItemsAtMost(_Condition):
    """e.g. ASRS Part A positive (shaded-box) items ≤ 2 at week 8."""

    kind: Literal["screen_items_at_most"] = "screen_items_at_most"
    instrument_id: str = "asrs_screener"
    max_positive: int = Field(ge=0)
    at_week: int = Field(ge=0, le=104)
    tolerance_days: int = Field(default=7, ge=0, le=60)
    # linkId -> lowest item value that counts as positive (ASRS shaded boxes)
    item_thresholds: dict[str, int] = Field(default_factory=dict)
    # a subscale the scorer already computed (preferred when present)
    count_subscale: str | None = "part_a_positive"

    def describe(self) -> str:
        return (
            f"{instrument_name(self.instrument_id)} positive items ≤ {self.max_positive} "
            f"at week {self.at_week}"
        )

    def positive_items(self, score: ScoreFact) -> int | None:
        if self.count_subscale and self.count_subscale in score.subscales:
            return int(score.subscales[self.count_subscale])
        if not self.item_thresholds or not all(k in score.items for k in self.item_thresholds):
            return None
        return sum(score.items[k] >= v for k, v in self.item_thresholds.items())

    def evaluate(self, facts: PatientFacts, window: Window) -> Evaluation:
        name = instrument_name(self.instrument_id)
        due = window.start + timedelta(weeks=self.at_week)
        opens = due - timedelta(days=self.tolerance_days)
        closes = due + timedelta(days=self.tolerance_days)
        today = facts.as_of.date()
        counted = [
            (s, n)
            for s in _scores_in(facts, self.instrument_id, window)
            if (n := self.positive_items(s)) is not None
        ]
        numbers: dict[str, Number] = {
            "due": due.isoformat(),
            "window_opens": opens.isoformat(),
            "window_closes": closes.isoformat(),
            "max_positive": self.max_positive,
        }
        in_window = [(s, n) for s, n in counted if opens <= s.at.date() <= closes]
        if in_window:
            score, positive = in_window[-1]
            numbers |= {"positive_items": positive, "assessed_on": score.at.date().isoformat()}
            met = positive <= self.max_positive
            return Evaluation(
                status=ObjectiveStatus.MET if met else ObjectiveStatus.AT_RISK,
                summary=f"{name} positive items {positive} at week {self.at_week} "
                f"(target ≤ {self.max_positive})",
                numbers=numbers,
            )
        if today > closes or not counted:
            missed = today > closes
            return Evaluation(
                status=ObjectiveStatus.NOT_ENOUGH_DATA,
                summary=f"No {name} between {opens.isoformat()} and {closes.isoformat()}"
                if missed
                else f"No {name} recorded yet (due {due.isoformat()})",
                numbers=numbers,
            )
        score, positive = counted[-1]
        numbers |= {"positive_items": positive, "assessed_on": score.at.date().isoformat()}
        ok = positive <= self.max_positive
        return Evaluation(
            status=ObjectiveStatus.ON_TRACK if ok else ObjectiveStatus.AT_RISK,
            summary=f"{name} positive items {positive} so far; due {due.isoformat()}",
            numbers=numbers,
        )


def _lab_is_negative(lab: LabFact) -> bool | None:
    result = lab.result.strip().lower()
    if result in {"negative", "neg", "not detected"}:
        return True
    if result in {"positive", "pos", "detected"}:
        return False
    return None


class ConsecutiveNegativeLabs(_Condition):
    """e.g. 2 consecutive urine screens negative for fentanyl."""

    kind: Literal["consecutive_negative_labs"] = "consecutive_negative_labs"
    analyte: str
    consecutive: int = Field(ge=1, le=50)
    # empty: any method; MITRAGYNINE should require LC-MS/MS (opiate panels miss kratom)
    methods: tuple[LabMethod, ...] = ()

    def describe(self) -> str:
        via = f" ({', '.join(METHOD_NAMES[m] for m in self.methods)})" if self.methods else ""
        return (
            f"{self.consecutive} consecutive urine screens negative for {self.analyte.lower()}{via}"
        )

    def evaluate(self, facts: PatientFacts, window: Window) -> Evaluation:
        analyte = self.analyte.upper()
        results = [
            (lab, neg)
            for lab in sorted(facts.labs, key=lambda x: x.collected_at)
            if lab.analyte.upper() == analyte
            and window.contains(lab.collected_at, facts.as_of)
            and (not self.methods or lab.method in self.methods)
            and (neg := _lab_is_negative(lab)) is not None
        ]
        if not results:
            return Evaluation(
                status=ObjectiveStatus.NOT_ENOUGH_DATA,
                summary=f"No qualitative {analyte.lower()} result since {window.start}",
                numbers={"screens": 0, "needed": self.consecutive},
            )
        run = _trailing_run([neg for _, neg in results])
        numbers: dict[str, Number] = {
            "screens": len(results),
            "consecutive_negative": run,
            "needed": self.consecutive,
            "latest": "negative" if results[-1][1] else "positive",
            "latest_at": results[-1][0].collected_at.date().isoformat(),
        }
        if run >= self.consecutive:
            status = ObjectiveStatus.MET
        elif run > 0 and not window.target_passed(facts.as_of):
            status = ObjectiveStatus.ON_TRACK
        else:
            status = ObjectiveStatus.AT_RISK
        return Evaluation(
            status=status,
            summary=f"{run} of {self.consecutive} consecutive negative {analyte.lower()} screens"
            f" (latest {numbers['latest']})",
            numbers=numbers,
        )


class AttendanceAtLeast(_Condition):
    """e.g. attended ≥ 80% of CBT sessions (EventFact kind "session:cbt")."""

    kind: Literal["attendance_at_least"] = "attendance_at_least"
    event_kind: str = "session:cbt"
    min_percent: float = Field(gt=0, le=100)
    min_sessions: int = Field(default=3, ge=1)  # fewer held sessions: too early to judge
    planned_sessions: int | None = Field(default=None, ge=1)

    def describe(self) -> str:
        label = self.event_kind.split(":", 1)[-1].upper()
        return f"Attended ≥ {self.min_percent:g}% of {label} sessions"

    def evaluate(self, facts: PatientFacts, window: Window) -> Evaluation:
        held = [
            e
            for e in facts.events
            if e.kind == self.event_kind
            and e.status in {"attended", "missed"}
            and window.contains(e.at, facts.as_of)
        ]
        attended = sum(e.status == "attended" for e in held)
        numbers: dict[str, Number] = {
            "attended": attended,
            "held": len(held),
            "min_percent": self.min_percent,
            "planned": self.planned_sessions,
        }
        if len(held) < self.min_sessions:
            return Evaluation(
                status=ObjectiveStatus.NOT_ENOUGH_DATA,
                summary=f"{len(held)} sessions held; judged from {self.min_sessions}",
                numbers=numbers,
            )
        percent = 100.0 * attended / len(held)
        numbers["percent"] = round(percent, 1)
        if percent >= self.min_percent:
            status = ObjectiveStatus.MET
        elif self.planned_sessions and not window.target_passed(facts.as_of):
            # still reachable if every remaining planned session is attended
            remaining = max(self.planned_sessions - len(held), 0)
            best = 100.0 * (attended + remaining) / max(self.planned_sessions, len(held))
            numbers["best_possible_percent"] = round(best, 1)
            status = (
                ObjectiveStatus.ON_TRACK if best >= self.min_percent else (ObjectiveStatus.AT_RISK)
            )
        else:
            status = ObjectiveStatus.AT_RISK
        return Evaluation(
            status=status,
            summary=f"Attended {attended} of {len(held)} sessions ({percent:.0f}%; "
            f"target ≥ {self.min_percent:g}%)",
            numbers=numbers,
        )


Condition = Annotated[
    ScoreBelowConsecutive
    | KratomDoseAtMost
    | ReliableImprovement
    | ScreenPositiveItemsAtMost
    | ConsecutiveNegativeLabs
    | AttendanceAtLeast,
    Field(discriminator="kind"),
]

CONDITION_TYPES: tuple[type[_Condition], ...] = (
    ScoreBelowConsecutive,
    KratomDoseAtMost,
    ReliableImprovement,
    ScreenPositiveItemsAtMost,
    ConsecutiveNegativeLabs,
    AttendanceAtLeast,
)


def linked_instruments(condition: Condition) -> list[str]:
    """Instrument ids whose scores a condition reads (for trend charts)."""
    instrument = getattr(condition, "instrument_id", None)
    return [instrument] if isinstance(instrument, str) else []
