"""Pure schedule arithmetic and the FHIR QuestionnaireResponse builder."""

from datetime import UTC, datetime, timedelta

from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from speciosa.clinical.instruments import get_instrument, load_catalog, score
from speciosa.clinical.instruments.responses import (
    build_questionnaire_response,
    stored_answers,
)
from speciosa.clinical.instruments.schedules import (
    DueStatus,
    ScheduleSpec,
    assessment_due,
    load_presets,
)

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)


def cows_q4h(ends: datetime | None = None) -> ScheduleSpec:
    return ScheduleSpec("interval", T0, grace=2 * H, interval=4 * H, ends_at=ends)


def test_interval_never_taken_is_due_at_start():
    due = assessment_due(cows_q4h(), [], T0 + H)
    assert (due.status, due.due_at) == (DueStatus.DUE, T0)


def test_interval_next_is_one_interval_after_the_last():
    due = assessment_due(cows_q4h(), [T0, T0 + 4 * H], T0 + 5 * H)
    assert (due.status, due.due_at) == (DueStatus.UPCOMING, T0 + 8 * H)


def test_interval_past_grace_is_overdue():
    due = assessment_due(cows_q4h(), [T0], T0 + 6 * H)
    assert (due.status, due.due_at) == (DueStatus.OVERDUE, T0 + 4 * H)


def test_interval_after_end_is_complete():
    due = assessment_due(cows_q4h(ends=T0 + 6 * H), [T0, T0 + 4 * H], T0 + 7 * H)
    assert due.status is DueStatus.COMPLETE


def asrs_intake_week8() -> ScheduleSpec:
    days = timedelta(days=1)
    return ScheduleSpec("fixed", T0, grace=7 * days, offsets=(0 * days, 56 * days))


def test_fixed_schedule_waits_for_week_8_after_intake():
    due = assessment_due(asrs_intake_week8(), [T0 + H], T0 + timedelta(days=10))
    assert (due.status, due.due_at) == (DueStatus.UPCOMING, T0 + timedelta(days=56))


def test_fixed_schedule_missed_intake_is_overdue():
    due = assessment_due(asrs_intake_week8(), [], T0 + timedelta(days=10))
    assert (due.status, due.due_at) == (DueStatus.OVERDUE, T0)


def test_fixed_schedule_done_when_both_points_taken():
    taken = [T0, T0 + timedelta(days=58)]
    assert assessment_due(asrs_intake_week8(), taken, T0 + timedelta(days=60)).status == "complete"


def test_presets_name_existing_instruments_and_cite_a_source():
    presets = load_presets()
    assert {"cows-induction", "phq9-biweekly", "asrs-intake-week8"} <= set(presets)
    for preset in presets.values():
        get_instrument(preset.instrument_id)
        assert preset.citation.doi or preset.citation.url


def test_questionnaire_response_is_valid_fhir_r4():
    inst = get_instrument("cssrs")
    answers = {"cssrs-1": True, "cssrs-2": "yes", "cssrs-3": "no", "cssrs-4": "no"}
    answers |= {"cssrs-5": "no", "cssrs-6": "no"}
    resource = build_questionnaire_response(
        inst, answers, patient_ref="Patient/p1", authored=T0, author_ref="Practitioner/u1"
    )
    parsed = QuestionnaireResponse.model_validate(resource)
    assert parsed.status == "completed"
    first = resource["item"][0]["answer"][0]["valueCoding"]
    assert (first["code"], first["display"]) == ("LA33-6", "Yes")


def test_questionnaire_response_keeps_integer_and_text_answers():
    inst = get_instrument("craving_nrs")
    resource = build_questionnaire_response(
        inst, {"craving-1": 6, "craving-substance": "kratom"}, patient_ref="Patient/p", authored=T0
    )
    QuestionnaireResponse.model_validate(resource)
    assert resource["item"][0]["answer"] == [{"valueInteger": 6}]
    assert resource["item"][1]["answer"] == [{"valueString": "kratom"}]


def test_stored_answers_read_back_what_scores_the_same():
    """The answers read from a stored response (what an export writes) score exactly as
    the answers given: codes for choice and yes/no items, never the item score."""
    for index in range(3):
        for inst in load_catalog("").values():
            if not inst.is_scorable:
                continue
            given: dict[str, object] = {}
            for item in inst.items.values():
                if not item.required or any(given.get(q) != c for q, c in item.enable_when):
                    continue
                if item.kind == "integer":
                    assert item.min_value is not None
                    given[item.link_id] = item.min_value + index
                elif item.options:
                    given[item.link_id] = item.options[index % len(item.options)].code
            resource = build_questionnaire_response(inst, given, patient_ref="", authored=T0)
            answers = stored_answers(resource, inst)
            assert answers == given, inst.id
            assert score(inst, answers, sex="male") == score(inst, given, sex="male"), inst.id


def test_stored_answers_give_the_code_of_an_answer_given_as_item_score():
    inst = get_instrument("phq9")
    given = {f"phq9-{k}": 2 for k in range(1, 10)}
    resource = build_questionnaire_response(inst, given, patient_ref="", authored=T0)
    assert set(stored_answers(resource, inst).values()) == {"LA6570-1"}
    assert score(inst, stored_answers(resource, inst)).total == 18
