"""``score_many``'s column paths (orjson template and itemgetter rows) against ``score()``.

Whatever a batch holds, ``score_many`` must give exactly what scoring each response with
``score()`` gives: the same scores, or the same ``InvalidAnswer`` for the first bad one.
"""

import enum

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from speciosa.clinical.errors import InvalidAnswer
from speciosa.clinical.instruments import load_catalog, score
from speciosa.clinical.instruments.scoring import _plan_for, score_many

CATALOG = load_catalog()
COLUMNAR = sorted(i for i, inst in CATALOG.items() if _plan_for(inst).columns is not None)


class Level(enum.IntEnum):
    ONE = 1


def item_scores(instrument_id, n, offset=0):
    inst = CATALOG[instrument_id]
    return [
        {
            i.link_id: (
                i.options[(r + offset + j) % len(i.options)].weight if i.options else (r + j) % 11
            )
            for j, i in enumerate(inst.items.values())
            if i.required
        }
        for r in range(n)
    ]


def one_by_one(instrument_id, batch, sex=None):
    """The scores of ``batch``, or the InvalidAnswer of its first bad response."""
    try:
        return [score(instrument_id, a, sex=sex) for a in batch]
    except InvalidAnswer as exc:
        return ("invalid", exc.item_id, str(exc))


def many(instrument_id, batch, sex=None):
    try:
        return list(score_many(instrument_id, batch, sex=sex))
    except InvalidAnswer as exc:
        return ("invalid", exc.item_id, str(exc))


def test_the_benchmarked_instruments_have_a_column_plan():
    assert set(COLUMNAR) >= {"phq9", "gad7", "cows", "sows", "ciwa_ar", "audit", "audit_c"}
    assert _plan_for(CATALOG["phq9"]).columns.width > 0  # the orjson template path


@pytest.mark.parametrize("instrument_id", COLUMNAR)
def test_item_score_batches_are_scored_column_wise_and_match(instrument_id):
    batch = item_scores(instrument_id, 40)
    result = score_many(instrument_id, batch, sex="female")
    assert result._scores is None
    assert list(result) == one_by_one(instrument_id, batch, sex="female")
    assert result.totals == [s.total for s in result]
    assert all(type(t) is int for t in result.totals)
    first = result[0]
    assert all(type(v) is int for v in first.items.values())
    assert first.is_positive is None or type(first.is_positive) is bool
    assert result[-1] == result[len(result) - 1]
    assert [result[i] for i in range(len(result))] == list(result)  # __getitem__ == __iter__


JUNK = [True, False, 1.0, "1", None, -1, 9, 10, 2**70, Level.ONE, np.int64(1), [1], "x"]


@pytest.mark.parametrize("instrument_id", ["phq9", "audit", "asrs_screener", "craving_nrs"])
@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_a_bad_answer_anywhere_in_the_batch_is_found(instrument_id, junk):
    batch = item_scores(instrument_id, 12)
    link = sorted(batch[7])[-1]
    batch[7] = batch[7] | {link: junk}
    assert many(instrument_id, batch) == one_by_one(instrument_id, batch)


def test_a_boolean_among_item_scores_is_rejected_naming_the_item():
    batch = item_scores("phq9", 5)
    batch[3] = batch[3] | {"phq9-6": True}
    with pytest.raises(InvalidAnswer) as exc:
        score_many("phq9", batch)
    assert exc.value.item_id == "phq9-6"


def test_a_weight_in_the_gap_of_an_items_weights_is_rejected():
    # AUDIT items 9 and 10 score 0, 2 or 4: 1 and 3 are digits in range but not weights
    batch = item_scores("audit", 6)
    batch[2] = batch[2] | {"audit-9": 3}
    with pytest.raises(InvalidAnswer) as exc:
        score_many("audit", batch)
    assert exc.value.item_id == "audit-9"


@pytest.mark.parametrize(
    "change",
    [
        lambda a: {k: a[k] for k in reversed(list(a))},  # other key order: itemgetter rows
        lambda a: {k: v for k, v in a.items() if k != "phq9-9"},  # missing item
        lambda a: a | {"phq9-10": 1},  # unknown item
        lambda a: a | {"phq9-1": "LA6568-5"},  # option code: scored one by one
    ],
)
def test_irregular_responses_match_one_by_one(change):
    batch = item_scores("phq9", 10)
    batch[4] = change(batch[4])
    assert many("phq9", batch) == one_by_one("phq9", batch)


def test_a_tuple_batch_and_a_dict_subclass_are_scored_alike():
    batch = item_scores("cows", 9)

    class Answers(dict):
        pass

    assert list(score_many("cows", tuple(batch))) == one_by_one("cows", batch)
    odd = [Answers(a) for a in batch]
    assert list(score_many("cows", odd)) == one_by_one("cows", batch)


@st.composite
def batches(draw, instrument_id):
    inst = CATALOG[instrument_id]
    items = [i for i in inst.items.values() if i.required]
    n = draw(st.integers(1, 12))
    batch = [
        {
            i.link_id: draw(st.sampled_from([o.weight for o in i.options] or [0, 5, 10]))
            for i in items
        }
        for _ in range(n)
    ]
    if draw(st.booleans()):  # one answer replaced by anything
        r = draw(st.integers(0, n - 1))
        link = draw(st.sampled_from([i.link_id for i in items]))
        batch[r][link] = draw(
            st.one_of(st.integers(-3, 12), st.booleans(), st.floats(0, 5), st.text(max_size=2))
        )
    return batch


@pytest.mark.parametrize("instrument_id", COLUMNAR)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_score_many_equals_scoring_one_by_one_even_with_a_bad_answer(instrument_id, data):
    batch = data.draw(batches(instrument_id))
    sex = data.draw(st.sampled_from([None, "male", "female"]))
    assert many(instrument_id, batch, sex=sex) == one_by_one(instrument_id, batch, sex=sex)


def test_responses_in_another_key_order_still_take_the_column_path():
    batch = [{k: a[k] for k in reversed(list(a))} for a in item_scores("audit", 15)]
    result = score_many("audit", batch)
    assert result._scores is None  # itemgetter rows, not one by one
    assert list(result) == one_by_one("audit", batch)
