"""Properties every scorable instrument must satisfy, checked with hypothesis."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from speciosa.clinical.errors import InvalidAnswer
from speciosa.clinical.instruments import load_catalog, score
from speciosa.clinical.instruments.scoring import score_reference

CATALOG = load_catalog()
SCORABLE = sorted(i for i, inst in CATALOG.items() if inst.is_scorable)
BANDED = sorted(i for i, inst in CATALOG.items() if inst.scoring.bands is not None)


@st.composite
def valid_answers(draw, instrument_id):
    """A complete, valid response: each answer as a code or item score, at random."""
    instrument = CATALOG[instrument_id]
    answers = {}
    for item in instrument.items.values():
        enabled = all(
            CATALOG[instrument_id].items[q].codes.get(answers.get(q)) == code
            for q, code in item.enable_when
        )
        if not enabled or not item.is_scored:
            continue
        if not item.required and not item.enable_when and draw(st.booleans()):
            continue
        if item.kind == "integer":
            answers[item.link_id] = draw(st.integers(item.min_value, item.max_value))
        else:
            accepted = sorted(item.lookup, key=repr)
            answers[item.link_id] = draw(st.sampled_from(accepted))
    return answers


@pytest.mark.parametrize("instrument_id", SCORABLE)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_total_is_within_the_published_range(instrument_id, data):
    answers = data.draw(valid_answers(instrument_id))
    result = score(instrument_id, answers)
    total = CATALOG[instrument_id].scoring.total
    assert total.min <= result.total <= total.max


@pytest.mark.parametrize("instrument_id", SCORABLE)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_fast_path_matches_the_reference_implementation(instrument_id, data):
    answers = data.draw(valid_answers(instrument_id))
    sex = data.draw(st.sampled_from([None, "male", "female", "intersex"]))
    instrument = CATALOG[instrument_id]
    assert score(instrument, answers, sex=sex) == score_reference(instrument, answers, sex=sex)


@pytest.mark.parametrize("instrument_id", SCORABLE)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_dropping_a_required_answer_raises_naming_it(instrument_id, data):
    answers = data.draw(valid_answers(instrument_id))
    required = [
        link
        for link in answers
        if CATALOG[instrument_id].items[link].required
        and not CATALOG[instrument_id].items[link].enable_when
    ]
    dropped = data.draw(st.sampled_from(required))
    del answers[dropped]
    with pytest.raises(InvalidAnswer) as exc:
        score(instrument_id, answers)
    assert exc.value.item_id == dropped


@pytest.mark.parametrize("instrument_id", SCORABLE)
@settings(max_examples=25, deadline=None)
@given(data=st.data(), junk=st.one_of(st.integers(-5, 100), st.text(max_size=5), st.none()))
def test_an_invalid_value_raises_never_scores(instrument_id, data, junk):
    answers = data.draw(valid_answers(instrument_id))
    link = data.draw(st.sampled_from(sorted(answers)))
    item = CATALOG[instrument_id].items[link]
    if junk in item.lookup and type(junk) is not bool or junk is None:
        return  # a valid value (or an omission, covered above)
    answers[link] = junk
    with pytest.raises(InvalidAnswer):
        score(instrument_id, answers)


@pytest.mark.parametrize("instrument_id", BANDED)
def test_bands_cover_every_total_exactly_once(instrument_id):
    scoring = CATALOG[instrument_id].scoring
    bands = scoring.bands.items
    for total in range(int(scoring.total.min), int(scoring.total.max) + 1):
        containing = [b.id for b in bands if b.min <= total <= b.max]
        assert len(containing) == 1, (total, containing)


@pytest.mark.parametrize("instrument_id", BANDED)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_band_is_monotone_in_total(instrument_id, data):
    order = [b.id for b in CATALOG[instrument_id].scoring.bands.items]
    a = score(instrument_id, data.draw(valid_answers(instrument_id)))
    b = score(instrument_id, data.draw(valid_answers(instrument_id)))
    if a.total <= b.total:
        assert order.index(a.band) <= order.index(b.band)
    else:
        assert order.index(a.band) >= order.index(b.band)


@pytest.mark.parametrize("instrument_id", SCORABLE)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_score_many_matches_scoring_one_by_one(instrument_id, data):
    from speciosa.clinical.instruments.scoring import score_many

    batch = data.draw(st.lists(valid_answers(instrument_id), min_size=1, max_size=8))
    sex = data.draw(st.sampled_from([None, "male", "female"]))
    expected = [score(instrument_id, a, sex=sex) for a in batch]
    assert list(score_many(instrument_id, batch, sex=sex)) == expected


@pytest.mark.parametrize("instrument_id", ["phq9", "cows", "audit", "asrs_18", "craving_nrs"])
def test_score_many_with_item_scores_takes_the_column_path(instrument_id):
    from speciosa.clinical.instruments.scoring import score_many

    inst = CATALOG[instrument_id]
    batch = [
        {
            i.link_id: (i.options[n % len(i.options)].weight if i.options else n % 11)
            for i in inst.items.values()
            if i.required
        }
        for n in range(20)
    ]
    result = score_many(inst, batch)
    assert result._scores is None  # computed column-wise
    assert list(result) == [score(inst, a) for a in batch]


def test_score_many_raises_on_the_first_bad_response():
    from speciosa.clinical.instruments.scoring import score_many

    good = {f"phq9-{n}": 1 for n in range(1, 10)}
    with pytest.raises(InvalidAnswer) as exc:
        score_many("phq9", [good, good | {"phq9-3": True}, good | {"phq9-4": 9}])
    assert exc.value.item_id == "phq9-3"
