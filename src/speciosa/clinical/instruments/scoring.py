"""Scoring engine: answers -> ``Score``, and reliable/clinically significant change.

Pure and exact. Every required item must be answered with one of its allowed values;
a missing, unknown or out-of-range answer raises ``InvalidAnswer(item_id, reason)``, never
a silent zero. An instrument's own missing-item rule (prorating) applies only where its
scoring file declares one with a published citation.

``score()`` has a fast path for the common case (every required item answered, no skip
logic) and falls back to ``score_reference()``, the straightforward implementation that
also produces the precise error. Tests check both agree.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import chain
from operator import itemgetter
from typing import NamedTuple, overload

import numpy as np
import orjson

from speciosa.clinical.citations import Citation
from speciosa.clinical.errors import InvalidAnswer, InvalidInput
from speciosa.clinical.instruments.catalog import (
    MAX_TEXT_ANSWER,
    Instrument,
    Item,
    get_instrument,
    require_scorable,
)
from speciosa.clinical.instruments.definitions import TotalRule

Number = int | float
Answers = Mapping[str, object]


class CriticalFlag(NamedTuple):
    rule_id: str
    item_id: str | None  # the item that triggered it; None for a total-score rule
    message: str


class Score(NamedTuple):
    """The result of scoring one response. A NamedTuple: immutable and cheap to build."""

    instrument_id: str
    total: Number
    band: str | None
    band_label: str | None
    is_positive: bool | None  # None: the instrument is not a screen
    subscales: dict[str, Number]
    critical: tuple[CriticalFlag, ...]
    items: dict[str, int]  # linkId -> weight (scored items that were answered)
    completeness: float  # answered / expected scored items (1.0 unless prorated)
    notes: tuple[str, ...] = ()

    @property
    def is_critical(self) -> bool:
        return bool(self.critical)

    @property
    def critical_items(self) -> tuple[str, ...]:
        return tuple(f.item_id for f in self.critical if f.item_id is not None)


# --- compiled plan ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """Everything ``score()`` needs, precomputed once per instrument (no pydantic on the
    hot path)."""

    instrument: Instrument
    fast: bool  # no skip logic: required items can be checked in one pass
    required: tuple[tuple[str, Mapping[object, int]], ...]  # linkId, answer -> weight
    answer_types: frozenset[type]  # Python types an answer may have (True == 1, so typed)
    sum_all: bool  # the total is the plain sum of exactly the required items
    total_rule: TotalRule
    total_items: tuple[str, ...]
    thresholds: tuple[tuple[str, float], ...]
    band_mins: tuple[float, ...]
    bands: tuple[tuple[str, str], ...]
    risk_levels: tuple[tuple[str, str, tuple[str, ...]], ...]
    risk_default: tuple[str, str] | None
    subscales: tuple[tuple[str, bool, tuple[tuple[str, float], ...]], ...]  # id, is_count
    screen_score: str | None  # "total", a subscale id, or None (not a screen)
    screen_at_least: float | None
    screen_by_sex: dict[str, float] | None
    screen_default: float | None
    item_criticals: tuple[tuple[str, str, float, str], ...]  # rule id, item, at_least, message
    total_criticals: tuple[tuple[str, float, str], ...]
    item_weights: tuple[frozenset[int], ...]  # per required item: its int answer values
    uniform_weights: frozenset[int] | None  # the same for every required item, if so
    columns: _Columns | None = None  # score_many's column-wise plan, where it applies


_plans: dict[int, _Plan] = {}
_INT_ONLY = {int}
_MAX_TABLED_RULES = 10  # critical rules: a table of 2**rules flag tuples is built
_NUMERIC_ANSWERS = frozenset({int, str})  # item score or option code
_YES_NO_ANSWERS = frozenset({bool, str})  # True/False or "yes"/"no"/LOINC code


def _plan_for(instrument: Instrument) -> _Plan:
    plan = _plans.get(id(instrument))
    if plan is not None and plan.instrument is instrument:
        return plan
    plan = _compile(instrument)
    _plans[id(instrument)] = plan
    return plan


def _compile(instrument: Instrument) -> _Plan:
    s = instrument.scoring
    items = instrument.items.values()
    scored = [i for i in items if i.is_scored]
    required = tuple((i.link_id, i.lookup) for i in scored if i.required and not i.enable_when)
    total_items = tuple(s.total.items or (i.link_id for i in items if i.is_scored and i.required))
    bands = s.bands.items if s.bands else []
    risk = s.risk_levels
    screen = s.screen
    # int answers accepted per item (yes/no items accept none: they take names/booleans)
    weights = tuple(frozenset(k for k in lookup if type(k) is int) for _, lookup in required)
    plan = _Plan(
        instrument=instrument,
        # skip logic, or yes/no items mixed with numeric ones: item-by-item path only
        fast=not any(i.enable_when for i in items) and len({i.is_yes_no for i in scored}) == 1,
        required=required,
        answer_types=_YES_NO_ANSWERS if all(i.is_yes_no for i in scored) else _NUMERIC_ANSWERS,
        sum_all=s.total.rule is TotalRule.SUM and total_items == tuple(r[0] for r in required),
        total_rule=s.total.rule,
        total_items=total_items,
        thresholds=tuple((s.total.thresholds or {}).items()),
        band_mins=tuple(b.min for b in bands),
        bands=tuple((b.id, b.label) for b in bands),
        risk_levels=tuple((lv.id, lv.label, tuple(lv.any_of)) for lv in risk.levels)
        if risk
        else (),
        risk_default=(risk.default.id, risk.default.label) if risk else None,
        subscales=tuple(
            (
                sub.id,
                sub.rule is TotalRule.COUNT_AT_LEAST,
                tuple((sub.thresholds or {}).items())
                if sub.rule is TotalRule.COUNT_AT_LEAST
                else tuple((link, 0.0) for link in sub.items or ()),
            )
            for sub in s.subscales
        ),
        screen_score=screen.score if screen else None,
        screen_at_least=screen.at_least if screen else None,
        screen_by_sex={str(k): v for k, v in screen.by_sex.items()}
        if screen and screen.by_sex
        else None,
        screen_default=screen.default if screen else None,
        item_criticals=tuple(
            (c.id, c.item, c.at_least, c.message)
            for c in s.critical
            if c.item is not None and c.at_least is not None
        ),
        total_criticals=tuple(
            (c.id, c.total_at_least, c.message) for c in s.critical if c.total_at_least is not None
        ),
        item_weights=weights,
        uniform_weights=weights[0] if weights and len(set(weights)) == 1 else None,
    )
    if (
        plan.fast
        and required
        and plan.answer_types is _NUMERIC_ANSWERS
        and (plan.sum_all or plan.total_rule is TotalRule.COUNT_AT_LEAST)
        and plan.risk_default is None
        and all(
            i.lookup.get(w) == w for i in scored if i.required for w in i.lookup if type(w) is int
        )
    ):
        # every int answer is its own weight, so rows of answers can be summed as they are
        plan = replace(plan, columns=_Columns(plan))
    return plan


# --- public API -------------------------------------------------------------------------


def score(questionnaire: Instrument | str, answers: Answers, *, sex: str | None = None) -> Score:
    """Score ``answers`` (linkId -> option code, item score, yes/no, or integer).

    ``sex`` ("male"/"female"/other) is used only by sex-specific screens (AUDIT-C); when it
    is unknown the lower threshold applies and the score carries a review note.
    """
    instrument = (
        questionnaire if isinstance(questionnaire, Instrument) else get_instrument(questionnaire)
    )
    plan = _plan_for(instrument)
    if not plan.fast:
        return score_reference(instrument, answers, sex=sex)
    try:
        values = {link: lookup[answers[link]] for link, lookup in plan.required}
    except (KeyError, TypeError):
        # something is missing or out of range: the reference path says exactly what, or
        # applies a published missing-item rule
        return score_reference(instrument, answers, sex=sex)
    if len(answers) != len(values) or (
        # True == 1 in Python, so a boolean passes a numeric lookup (and 1 a yes/no one):
        # the answer types are checked explicitly
        not plan.answer_types.issuperset(map(type, answers.values()))
    ):
        return score_reference(instrument, answers, sex=sex)
    if plan.sum_all:
        return _finish(plan, values, sum(values.values()), 1.0, sex)
    require_scorable(instrument)
    return _finish(plan, values, _total(plan, values), 1.0, sex)


class _BatchColumns(NamedTuple):
    """A batch scored column-wise: NumPy columns plus the tables that name their codes."""

    links: tuple[str, ...]
    answers: np.ndarray  # n x k item scores
    band_index: np.ndarray | None  # into band_names; None: no bands
    band_names: tuple[tuple[str, str], ...]
    positive: np.ndarray | None  # None: not a screen
    critical_code: np.ndarray | None  # bit r set: critical rule r fired; None: no rules
    critical_flags: tuple[tuple[CriticalFlag, ...], ...]  # flags of each code
    subscales: dict[str, np.ndarray]
    notes: tuple[str, ...]


class ScoreBatch(Sequence[Score]):
    """The scores of many responses to one instrument, held column-wise.

    Totals, bands, screen results and critical flags are computed for the whole batch up
    front; a ``Score`` for response ``i`` is assembled when indexed (``batch[i]``) or
    iterated, so bulk consumers can read the columns without per-response objects.
    """

    __slots__ = ("_columns", "_scores", "instrument_id", "totals")

    def __init__(
        self,
        instrument_id: str,
        totals: list[Number],
        *,
        scores: list[Score] | None = None,
        columns: _BatchColumns | None = None,
    ) -> None:
        self.instrument_id = instrument_id
        self.totals = totals
        self._scores = scores
        self._columns = columns

    @classmethod
    def of_scores(cls, instrument_id: str, scores: list[Score]) -> ScoreBatch:
        return cls(instrument_id, [s.total for s in scores], scores=scores)

    def __len__(self) -> int:
        return len(self.totals)

    def __iter__(self) -> Iterator[Score]:
        if self._scores is not None:
            yield from self._scores
            return
        c = self._columns
        assert c is not None
        n = len(self.totals)
        bands = (
            [(None, None)] * n
            if c.band_index is None
            else list(map(c.band_names.__getitem__, c.band_index.tolist()))
        )
        positive = [None] * n if c.positive is None else c.positive.tolist()
        critical = (
            [()] * n
            if c.critical_code is None
            else list(map(c.critical_flags.__getitem__, c.critical_code.tolist()))
        )
        subscales = {sid: values.tolist() for sid, values in c.subscales.items()}
        new, links, instrument_id, notes = tuple.__new__, c.links, self.instrument_id, c.notes
        rows = zip(self.totals, bands, positive, critical, c.answers.tolist(), strict=True)
        for i, (total, (band, label), is_positive, flags, row) in enumerate(rows):
            yield new(
                Score,
                (
                    instrument_id,
                    total,
                    band,
                    label,
                    is_positive,
                    {sid: values[i] for sid, values in subscales.items()},
                    flags,
                    dict(zip(links, row, strict=True)),
                    1.0,
                    notes,
                ),
            )

    @overload
    def __getitem__(self, index: int) -> Score: ...

    @overload
    def __getitem__(self, index: slice) -> list[Score]: ...

    def __getitem__(self, index: int | slice) -> Score | list[Score]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if self._scores is not None:
            return self._scores[index]
        c = self._columns
        assert c is not None
        total = self.totals[index]  # raises IndexError past the end (ends iteration)
        band, label = (None, None) if c.band_index is None else c.band_names[c.band_index[index]]
        return tuple.__new__(
            Score,
            (
                self.instrument_id,
                total,
                band,
                label,
                None if c.positive is None else bool(c.positive[index]),
                {sid: int(values[index]) for sid, values in c.subscales.items()},
                () if c.critical_code is None else c.critical_flags[c.critical_code[index]],
                dict(zip(c.links, c.answers[index].tolist(), strict=True)),
                1.0,
                c.notes,
            ),
        )


def score_many(
    questionnaire: Instrument | str, batch: Sequence[Answers], *, sex: str | None = None
) -> ScoreBatch:
    """Score many responses to one instrument: ``list(score_many(i, b)) == [score(i, a)
    for a in b]``.

    Column-wise: when every answer is an item score, the batch is fetched and checked as
    one n x k matrix (see ``_Columns``: every answer type- and weight-checked) and scored
    with NumPy column operations, which is what makes bulk scoring (imports, demo data,
    recomputation) cheap. Anything else (option codes, missing or extra items, bad
    values, skip logic) is scored one response at a time by ``score()``, which raises
    the first ``InvalidAnswer`` exactly as a loop would.
    """
    instrument = (
        questionnaire if isinstance(questionnaire, Instrument) else get_instrument(questionnaire)
    )
    plan = _plan_for(instrument)
    columns = plan.columns
    if not batch or columns is None:
        return _one_by_one(instrument, batch, sex)
    answers = columns.matrix(batch)
    if answers is None:
        return _one_by_one(instrument, batch, sex)
    return columns.score(plan, answers, sex)


class _Columns:
    """The column-wise scoring of one instrument, compiled once from its ``_Plan``.

    Used only when every answer is an item score (an int): an item score is its own
    weight, so a batch is an n x k integer matrix (one row per response, one column per
    required item) and totals, subscales, critical flags, bands and screen results are
    NumPy column operations. Every answer is still checked: exactly ``int`` (True == 1,
    so a boolean would pass a plain set test) and one of its item's published weights.

    Two ways to fetch and check the matrix:

    - ``_from_json`` (every weight a single digit, a list/tuple of plain dicts): the batch
      is serialised once with orjson and the bytes are compared with the instrument's
      template ``{"<item>":D,...}``: each response must be exactly that text with one
      allowed digit at each item. JSON is unambiguous, so this accepts precisely the
      batches whose responses have the required items, in order, no others, and ints
      among the weights (no subclasses: OPT_PASSTHROUGH_SUBCLASS makes orjson refuse
      them, which sends the batch down the other paths).
    - ``_from_rows`` (otherwise): itemgetter rows, a type check and set membership.
    """

    __slots__ = (
        "band_mins",
        "count_items",
        "critical_table",
        "digits_ok",
        "gappy",
        "highest",
        "item_criticals",
        "k",
        "links",
        "lowest",
        "row_of",
        "sub_plans",
        "template",
        "template_mask",
        "total_criticals",
        "uniform_weights",
        "value_at",
        "weights",
        "width",
    )

    def __init__(self, plan: _Plan) -> None:
        links = tuple(link for link, _ in plan.required)
        position = {link: i for i, link in enumerate(links)}
        self.links = links
        self.k = len(links)
        self.row_of = itemgetter(*links)
        self.weights = plan.item_weights
        self.uniform_weights = plan.uniform_weights
        self.band_mins = np.array(plan.band_mins, dtype=float)
        # the total of a count rule: columns and thresholds
        self.count_items = _columns_and_thresholds(plan.thresholds, position)
        self.sub_plans = tuple(
            (sid, is_count, _columns_and_thresholds(pairs, position))
            for sid, is_count, pairs in plan.subscales
        )
        self.item_criticals = tuple(
            (position[link], float(at_least)) for _, link, at_least, _ in plan.item_criticals
        )
        self.total_criticals = tuple(float(at_least) for _, at_least, _ in plan.total_criticals)
        # bit r of a response's code is set when rule r fired (in _finish's order)
        flags = [CriticalFlag(rule_id, link, msg) for rule_id, link, _, msg in plan.item_criticals]
        flags += [CriticalFlag(rule_id, None, msg) for rule_id, _, msg in plan.total_criticals]
        self.critical_table = tuple(
            tuple(f for r, f in enumerate(flags) if code >> r & 1)
            for code in range(1 << len(flags))
        )
        # the JSON text of one response, and where its k answer digits sit
        single_digits = all(w and w <= frozenset(range(10)) for w in plan.item_weights)
        template = orjson.dumps(dict.fromkeys(links, 0)) + b","
        value_at = []
        start = 0
        for link in links:
            key = orjson.dumps(link) + b":"
            start = template.index(key + b"0", start) + len(key)
            value_at.append(start)
        self.width = len(template) if single_digits else 0  # 0: this path is off
        self.template = np.frombuffer(template, dtype=np.uint8)
        mask = np.full(len(template), 0xFF, dtype=np.uint8)
        mask[value_at] = 0
        mask[-1] = 0  # "," between responses, "]" after the last one
        self.template_mask = mask
        self.value_at = np.array(value_at, dtype=np.intp)
        # allowed digits (as bytes) per item: a lowest..highest range, plus a lookup table
        # for the items whose weights have gaps (AUDIT items 9-10: 0, 2, 4)
        digits = [sorted(w) for w in plan.item_weights]
        self.lowest = np.array([48 + (d[0] if d else 0) for d in digits], dtype=np.uint8)
        self.highest = np.array([48 + (d[-1] if d else 0) for d in digits], dtype=np.uint8)
        self.gappy = [j for j, d in enumerate(digits) if d and len(d) != d[-1] - d[0] + 1]
        self.digits_ok = np.zeros((self.k, 256), dtype=bool)
        for j, allowed in enumerate(digits):
            self.digits_ok[j, [48 + w for w in allowed if 0 <= w <= 9]] = True

    def matrix(self, batch: Sequence[Answers]) -> np.ndarray | None:
        """The n x k answers of a batch, all checked; None if anything is irregular (the
        batch is then scored one response at a time, which names the bad answer)."""
        if self.width and isinstance(batch, list | tuple):
            found = self._from_json(batch)
            if found is not None:
                return found
        return self._from_rows(batch)

    def _from_json(self, batch: Sequence[Answers]) -> np.ndarray | None:
        try:
            text = orjson.dumps(batch, option=orjson.OPT_PASSTHROUGH_SUBCLASS)
        except TypeError:  # orjson.JSONEncodeError: not plain JSON data
            return None
        n, width = len(batch), self.width
        if len(text) != n * width + 1:
            return None
        rows = np.frombuffer(text, dtype=np.uint8, count=n * width, offset=1).reshape(n, width)
        if ((rows ^ self.template) & self.template_mask).any():
            return None
        answers = rows[:, self.value_at]
        if (answers.min(axis=0) < self.lowest).any() or (answers.max(axis=0) > self.highest).any():
            return None
        for j in self.gappy:
            if not self.digits_ok[j, answers[:, j]].all():
                return None
        return answers - 48

    def _from_rows(self, batch: Sequence[Answers]) -> np.ndarray | None:
        k = self.k
        if set(map(len, batch)) != {k}:
            return None
        try:
            if k > 1:
                flat: list[int] = list(chain.from_iterable(map(self.row_of, batch)))
            else:  # itemgetter of one key returns the value itself, not a 1-tuple
                flat = list(map(self.row_of, batch))
        except (KeyError, TypeError):
            return None
        # exactly int (a bool or 1.0 would pass the membership test), then each item's
        # values within its published weights
        if set(map(type, flat)) != _INT_ONLY:
            return None
        if self.uniform_weights is not None:
            if not self.uniform_weights.issuperset(flat):
                return None
        elif not all(w.issuperset(flat[j::k]) for j, w in enumerate(self.weights)):
            return None
        try:
            return np.array(flat, dtype=np.int64).reshape(len(batch), k)
        except OverflowError:
            return None

    def score(self, plan: _Plan, answers: np.ndarray, sex: str | None) -> ScoreBatch:
        totals = (
            answers.sum(axis=1, dtype=np.int64)
            if plan.sum_all
            else _count(answers, *self.count_items)
        )
        subscales = {
            sid: _count(answers, *pairs)
            if is_count
            else answers[:, pairs[0]].sum(axis=1, dtype=np.int64)
            for sid, is_count, pairs in self.sub_plans
        }
        code = None
        if self.item_criticals or self.total_criticals:
            code = np.zeros(len(answers), dtype=np.intp)
            bit = 0
            for j, at_least in self.item_criticals:
                code |= (answers[:, j] >= at_least).astype(np.intp) << bit
                bit += 1
            for at_least in self.total_criticals:
                code |= (totals >= at_least).astype(np.intp) << bit
                bit += 1
        band_index = None
        if plan.band_mins:
            # the band a bisect_right over the minimums finds, as in _finish
            band_index = np.searchsorted(self.band_mins, totals, side="right") - 1
        positive = None
        notes: tuple[str, ...] = ()
        if plan.screen_score is not None:
            threshold = plan.screen_at_least
            if plan.screen_by_sex is not None:
                threshold = plan.screen_by_sex.get(sex or "")
                if threshold is None:
                    threshold = plan.screen_default
                    notes = (
                        f"sex {sex or 'unknown'}: the lower threshold {threshold:g} applied; "
                        "review",
                    )
            assert threshold is not None
            screened = totals if plan.screen_score == "total" else subscales[plan.screen_score]
            positive = screened >= threshold
        return ScoreBatch(
            plan.instrument.id,
            totals.tolist(),
            columns=_BatchColumns(
                links=self.links,
                answers=answers,
                band_index=band_index,
                band_names=plan.bands,
                positive=positive,
                critical_code=code,
                critical_flags=self.critical_table,
                subscales=subscales,
                notes=notes,
            ),
        )


def _columns_and_thresholds(
    pairs: tuple[tuple[str, float], ...], position: Mapping[str, int]
) -> tuple[list[int], np.ndarray]:
    return [position[link] for link, _ in pairs], np.array([t for _, t in pairs], dtype=float)


def _count(answers: np.ndarray, columns: list[int], thresholds: np.ndarray) -> np.ndarray:
    """Per response: how many of ``columns`` are at or above their threshold."""
    return (answers[:, columns] >= thresholds).sum(axis=1, dtype=np.int64)


def _one_by_one(instrument: Instrument, batch: Sequence[Answers], sex: str | None) -> ScoreBatch:
    return ScoreBatch.of_scores(instrument.id, [score(instrument, a, sex=sex) for a in batch])


def score_reference(instrument: Instrument, answers: Answers, *, sex: str | None = None) -> Score:
    """Item-by-item scoring with precise errors; the semantics ``score()`` must match."""
    require_scorable(instrument)
    plan = _plan_for(instrument)
    unknown = sorted(set(answers) - set(instrument.items))
    if unknown:
        raise InvalidAnswer(unknown[0], f"is not an item of {instrument.id}")
    values: dict[str, int] = {}
    missing: list[str] = []
    not_asked: tuple[str, str] | None = None
    for item in instrument.items.values():
        enabled = _is_enabled(instrument, item, answers)
        value = answers.get(item.link_id)
        if value is None:
            if enabled and item.required and item.is_scored:
                missing.append(item.link_id)
            continue
        if not enabled:
            # reported after missing answers: the missing one is usually the real mistake
            cond = ", ".join(f"{q} = {code}" for q, code in item.enable_when)
            not_asked = not_asked or (item.link_id, f"is only asked when {cond}; leave it out")
            continue
        if item.kind == "string":
            if not isinstance(value, str) or len(value) > MAX_TEXT_ANSWER:
                raise InvalidAnswer(item.link_id, f"expected text up to {MAX_TEXT_ANSWER} chars")
            continue
        values[item.link_id] = _weight_of(item, value)
    completeness = 1.0
    notes: tuple[str, ...] = ()
    total = _total(plan, values) if plan.total_rule is not TotalRule.NONE else 0
    if missing:
        rule = instrument.scoring.missing_items
        if rule.rule != "prorate" or len(missing) > rule.max_missing:
            count = f" ({len(missing)} required items unanswered)" if len(missing) > 1 else ""
            raise InvalidAnswer(missing[0], f"is required: no answer given{count}")
    if not_asked:
        raise InvalidAnswer(*not_asked)
    if missing:
        expected = len(plan.total_items)
        completeness = (expected - len(missing)) / expected
        # published prorating: mean of the answered items x item count, rounded half up
        total = math.floor(total / completeness + 0.5)
        notes = (f"prorated: {len(missing)} item(s) missing ({', '.join(missing)})",)
    result = _finish(plan, values, total, completeness, sex)
    return result._replace(notes=notes + result.notes) if notes else result


def _is_enabled(instrument: Instrument, item: Item, answers: Answers) -> bool:
    for question, code in item.enable_when:
        value = answers.get(question)
        try:
            if value is None or instrument.items[question].codes.get(value) != code:
                return False
        except TypeError:  # unhashable answer: the question itself will be rejected
            return False
    return True


def _weight_of(item: Item, value: object) -> int:
    if (value.__class__ is bool) is not item.is_yes_no and value.__class__ is not str:
        kind = "a boolean" if value.__class__ is bool else f"{value!r}"
        raise InvalidAnswer(item.link_id, f"expected {item.allowed_values()}, got {kind}")
    try:
        return item.lookup[value]
    except (KeyError, TypeError):
        raise InvalidAnswer(
            item.link_id, f"{value!r} is out of range: expected {item.allowed_values()}"
        ) from None


def _total(plan: _Plan, values: Mapping[str, int]) -> Number:
    rule = plan.total_rule
    if rule is TotalRule.SUM:
        return sum(values.get(link, 0) for link in plan.total_items)
    if rule is TotalRule.COUNT_AT_LEAST:
        return sum(1 for link, t in plan.thresholds if values.get(link, 0) >= t)
    if rule is TotalRule.HIGHEST_ENDORSED:
        highest = 0
        for position, link in enumerate(plan.total_items, 1):
            if values.get(link, 0) > 0:
                highest = position
        return highest
    raise InvalidInput("instrument_id", f"{plan.instrument.id} has no total rule")


def _finish(
    plan: _Plan, values: dict[str, int], total: Number, completeness: float, sex: str | None
) -> Score:
    band = label = None
    if plan.band_mins:
        band, label = plan.bands[bisect_right(plan.band_mins, total) - 1]
    elif plan.risk_default is not None:
        band, label = plan.risk_default
        for level_id, level_label, any_of in plan.risk_levels:
            if any(values.get(link, 0) > 0 for link in any_of):
                band, label = level_id, level_label
                break
    subscales: dict[str, Number] = {}
    for sub_id, is_count, pairs in plan.subscales:
        if is_count:
            subscales[sub_id] = sum(1 for link, t in pairs if values.get(link, 0) >= t)
        else:
            subscales[sub_id] = sum(values.get(link, 0) for link, _ in pairs)
    notes: tuple[str, ...] = ()
    is_positive: bool | None = None
    if plan.screen_score is not None:
        value = total if plan.screen_score == "total" else subscales[plan.screen_score]
        threshold = plan.screen_at_least
        if plan.screen_by_sex is not None:
            threshold = plan.screen_by_sex.get(sex or "")
            if threshold is None:
                threshold = plan.screen_default
                notes = (
                    f"sex {sex or 'unknown'}: the lower threshold {threshold:g} applied; review",
                )
        assert threshold is not None  # guaranteed by the Screen validator
        is_positive = value >= threshold
    critical: tuple[CriticalFlag, ...] = ()
    if plan.item_criticals or plan.total_criticals:
        flags = [
            CriticalFlag(rule_id, link, message)
            for rule_id, link, at_least, message in plan.item_criticals
            if values.get(link, 0) >= at_least
        ]
        flags += [
            CriticalFlag(rule_id, None, message)
            for rule_id, at_least, message in plan.total_criticals
            if total >= at_least
        ]
        critical = tuple(flags)
    return Score(
        plan.instrument.id,
        total,
        band,
        label,
        is_positive,
        subscales,
        critical,
        values,
        completeness,
        notes,
    )


# --- change between two scores ----------------------------------------------------------

RCI_Z = 1.96  # Jacobson & Truax (1991): |RCI| > 1.96 is reliable at p < .05
JACOBSON_TRUAX = Citation(
    authors="Jacobson NS, Truax P",
    year=1991,
    title="Clinical significance: a statistical approach to defining meaningful change in "
    "psychotherapy research",
    source="J Consult Clin Psychol 59(1):12-19",
    doi="10.1037/0022-006X.59.1.12",
    pmid="2002127",
)


@dataclass(frozen=True, slots=True)
class ChangeAssessment:
    instrument_id: str
    before: float
    after: float
    change: float  # after - before; negative is improvement (higher is worse)
    method: str  # "published_threshold" | "jacobson_truax" | "unavailable"
    threshold: float | None  # points needed for reliable change
    rci: float | None  # Jacobson-Truax RCI when computed
    is_reliable_improvement: bool
    is_reliable_deterioration: bool
    crossed_cutoff: bool  # from the clinical range (>= cutoff) to below it
    is_clinically_significant_improvement: bool  # reliable improvement AND crossed cutoff
    meets_mcid: bool | None  # improvement of at least the MCID (None: no MCID published)
    citations: tuple[Citation, ...]


def reliable_change(
    instrument: Instrument | str,
    before: Score | float,
    after: Score | float,
    *,
    sd: float | None = None,
) -> ChangeAssessment:
    """Reliable change (Jacobson-Truax) and clinically significant change between scores.

    Uses the instrument's published reliable-change threshold when it has one; otherwise
    the Jacobson-Truax RCI from its published reliability and an SD (the instrument's, or
    ``sd`` from the caller's reference sample). Without either, the method is
    "unavailable" and no change is called reliable.
    """
    inst = instrument if isinstance(instrument, Instrument) else get_instrument(instrument)
    x1 = float(before.total if isinstance(before, Score) else before)
    x2 = float(after.total if isinstance(after, Score) else after)
    change = x2 - x1
    spec = inst.scoring.reliable_change
    clinical = inst.scoring.clinical_change
    method, threshold, rci = "unavailable", None, None
    citations: list[Citation] = []
    spread = sd if sd is not None else (spec.sd if spec is not None else None)
    if spec is not None and spec.threshold is not None and sd is None:
        method, threshold = "published_threshold", spec.threshold
        citations.append(spec.citation)
    elif spec is not None and spec.reliability is not None and spread:
        s_diff = math.sqrt(2 * (spread * math.sqrt(1 - spec.reliability)) ** 2)
        method, threshold, rci = "jacobson_truax", RCI_Z * s_diff, change / s_diff
        citations += [spec.citation, JACOBSON_TRUAX]
    if rci is not None:
        improved, worsened = rci < -RCI_Z, rci > RCI_Z
    elif threshold is not None:
        improved, worsened = -change >= threshold, change >= threshold
    else:
        improved = worsened = False
    crossed = False
    meets_mcid: bool | None = None
    if clinical is not None:
        citations.append(clinical.citation)
        if clinical.cutoff is not None:
            crossed = x1 >= clinical.cutoff > x2
        if clinical.mcid is not None:
            meets_mcid = -change >= clinical.mcid
    return ChangeAssessment(
        instrument_id=inst.id,
        before=x1,
        after=x2,
        change=change,
        method=method,
        threshold=threshold,
        rci=rci,
        is_reliable_improvement=improved,
        is_reliable_deterioration=worsened,
        crossed_cutoff=crossed,
        is_clinically_significant_improvement=improved and crossed,
        meets_mcid=meets_mcid,
        citations=tuple(citations),
    )


# --- COWS helper ------------------------------------------------------------------------

# Wesson & Ling (2003) item 1 anchors: <=80, 81-100, 101-120, >120 beats/minute.
_PULSE_WEIGHTS = ((80, 0), (100, 1), (120, 2))


def cows_pulse_score(beats_per_minute: int) -> int:
    """COWS item 1 weight from a measured resting pulse (capture bpm, derive the score)."""
    if not 20 <= beats_per_minute <= 250:
        raise InvalidAnswer("cows-1", f"pulse {beats_per_minute} bpm is not plausible")
    for upper, weight in _PULSE_WEIGHTS:
        if beats_per_minute <= upper:
            return weight
    return 4
