"""Study analysis: CONSORT flow counts, a linear mixed model of the primary outcome by arm
over visits (statsmodels MixedLM) and Kaplan–Meier retention by arm (lifelines).

Inputs are plain de-identified records (study subject ids, arms, study days), so the same
functions run on the live database, on an export or on synthetic data.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class SubjectFlow:
    """One screened person's path through the study."""

    subject_id: str
    eligible: bool
    consented: bool
    arm: str | None = None  # set once randomized
    completed: bool = False  # reached the primary follow-up visit
    withdrew: bool = False  # withdrew consent or was lost to follow-up
    analysed: bool = False  # has at least one post-baseline primary-outcome value


@dataclass(frozen=True, slots=True)
class ArmFlow:
    arm: str
    allocated: int
    discontinued: int
    followed_up: int
    analysed: int


@dataclass(frozen=True, slots=True)
class ConsortCounts:
    screened: int
    excluded: int  # not eligible
    declined: int  # eligible but did not consent
    consented: int
    not_randomized: int  # consented but not (yet) randomized
    randomized: int
    arms: tuple[ArmFlow, ...]


def consort_counts(flows: Sequence[SubjectFlow], arms: Sequence[str]) -> ConsortCounts:
    eligible = [f for f in flows if f.eligible]
    consented = [f for f in eligible if f.consented]
    randomized = [f for f in consented if f.arm is not None]
    per_arm = []
    for arm in arms:
        members = [f for f in randomized if f.arm == arm]
        per_arm.append(
            ArmFlow(
                arm=arm,
                allocated=len(members),
                discontinued=sum(1 for f in members if f.withdrew),
                followed_up=sum(1 for f in members if f.completed),
                analysed=sum(1 for f in members if f.analysed),
            )
        )
    return ConsortCounts(
        screened=len(flows),
        excluded=len(flows) - len(eligible),
        declined=len(eligible) - len(consented),
        consented=len(consented),
        not_randomized=len(consented) - len(randomized),
        randomized=len(randomized),
        arms=tuple(per_arm),
    )


# --- mixed model -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutcomeObservation:
    subject_id: str
    arm: str
    week: float
    value: float


@dataclass(frozen=True, slots=True)
class MixedModelResult:
    outcome: str
    reference_arm: str
    n_subjects: int
    n_observations: int
    converged: bool
    # fixed effects: name -> (estimate, standard error, p-value, ci_low, ci_high)
    fixed_effects: dict[str, tuple[float, float, float, float, float]]
    slope_by_arm: dict[str, float]  # estimated change per week in each arm
    interaction_term: str  # the arm x week term that tests a difference in slopes
    means: dict[str, dict[float, float]] = field(default_factory=dict)  # arm -> week -> mean
    random_effects: str = ""  # "intercept + slope" or "intercept" (fallback)
    notes: tuple[str, ...] = ()  # optimiser warnings worth showing with the result

    @property
    def slope_difference(self) -> tuple[float, float, float, float, float]:
        return self.fixed_effects[self.interaction_term]


def _frame(observations: Sequence[OutcomeObservation]) -> Any:
    import pandas as pd

    return pd.DataFrame(
        {
            "subject": [o.subject_id for o in observations],
            "arm": [o.arm for o in observations],
            "week": [float(o.week) for o in observations],
            "value": [float(o.value) for o in observations],
        }
    )


def fit_mixed_model(
    observations: Sequence[OutcomeObservation], *, reference_arm: str, outcome: str = "outcome"
) -> MixedModelResult:
    """``value ~ arm * week`` with a random intercept and slope per subject (REML).

    Falls back to a random intercept only when the random-slope model cannot be fitted
    (few subjects). Exactly two arms: the interaction tests the difference in slopes.
    """
    import numpy as np
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    frame = _frame(observations)
    arms = sorted(set(frame["arm"]))
    if len(arms) != 2 or reference_arm not in arms:
        raise ValueError(f"need observations from exactly two arms incl. {reference_arm!r}")
    other = next(a for a in arms if a != reference_arm)
    formula = f"value ~ C(arm, Treatment(reference={reference_arm!r})) * week"
    fitted = None
    converged = False
    notes: list[str] = []
    random_effects = ""
    for re_formula in ("~week", "1"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                model = smf.mixedlm(formula, frame, groups=frame["subject"], re_formula=re_formula)
                candidate = model.fit(reml=True, method=["lbfgs", "powell"])
            except (ValueError, ArithmeticError, np.linalg.LinAlgError):
                continue
        messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
        # "MLE on the boundary" = a variance component estimated at zero: a valid fit
        ok = bool(getattr(candidate, "converged", False)) and all("boundary" in m for m in messages)
        if fitted is None or ok:
            fitted, converged, notes = candidate, ok, messages
            random_effects = "intercept + slope" if re_formula == "~week" else "intercept"
        if ok:
            break
    if fitted is None:
        raise ValueError("the mixed model could not be fitted to these data")
    ci = fitted.conf_int()
    effects = {}
    for name in fitted.fe_params.index:
        effects[str(name)] = (
            float(fitted.fe_params[name]),
            float(fitted.bse_fe[name]),
            float(fitted.pvalues[name]),
            float(ci.loc[name, 0]),
            float(ci.loc[name, 1]),
        )
    interaction = next(n for n in effects if ":week" in n)
    base_slope = effects["week"][0]
    means: dict[str, dict[float, float]] = {}
    for (arm, week), value in frame.groupby(["arm", "week"])["value"].mean().items():
        means.setdefault(str(arm), {})[float(week)] = float(value)
    return MixedModelResult(
        outcome=outcome,
        reference_arm=reference_arm,
        n_subjects=int(frame["subject"].nunique()),
        n_observations=len(frame),
        converged=converged,
        fixed_effects=effects,
        slope_by_arm={reference_arm: base_slope, other: base_slope + effects[interaction][0]},
        interaction_term=interaction,
        means=means,
        random_effects=random_effects,
        notes=tuple(notes),
    )


# --- retention (Kaplan–Meier) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetentionRecord:
    subject_id: str
    arm: str
    days: float  # days from randomization to dropout or last contact
    dropped_out: bool  # True = event (withdrew / lost), False = censored (still in / completed)


@dataclass(frozen=True, slots=True)
class RetentionCurve:
    arm: str
    n: int
    events: int
    times: tuple[float, ...]
    survival: tuple[float, ...]  # probability of still being retained
    median_days: float | None  # None when retention never falls to 50 %

    def retained_at(self, day: float) -> float:
        value = 1.0
        for t, s in zip(self.times, self.survival, strict=True):
            if t > day:
                break
            value = s
        return value


@dataclass(frozen=True, slots=True)
class RetentionResult:
    curves: tuple[RetentionCurve, ...]
    logrank_p: float | None  # two arms only


def fit_retention(records: Sequence[RetentionRecord]) -> RetentionResult:
    # lifelines calls pandas APIs that pandas 3 flags as changing in 4.0: not ours to fix
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*keyword-only.*")
        return _fit_retention(records)


def _fit_retention(records: Sequence[RetentionRecord]) -> RetentionResult:
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test

    arms = sorted({r.arm for r in records})
    curves = []
    for arm in arms:
        rows = [r for r in records if r.arm == arm]
        kmf = KaplanMeierFitter()
        kmf.fit([r.days for r in rows], event_observed=[r.dropped_out for r in rows], label=arm)
        sf = kmf.survival_function_[arm]
        median = float(kmf.median_survival_time_)
        curves.append(
            RetentionCurve(
                arm=arm,
                n=len(rows),
                events=sum(1 for r in rows if r.dropped_out),
                times=tuple(float(t) for t in sf.index),
                survival=tuple(float(s) for s in sf.values),
                median_days=None if math.isinf(median) else median,
            )
        )
    p_value = None
    if len(arms) == 2:
        a = [r for r in records if r.arm == arms[0]]
        b = [r for r in records if r.arm == arms[1]]
        test = logrank_test(
            [r.days for r in a],
            [r.days for r in b],
            event_observed_A=[r.dropped_out for r in a],
            event_observed_B=[r.dropped_out for r in b],
        )
        p_value = float(test.p_value)
    return RetentionResult(tuple(curves), p_value)
