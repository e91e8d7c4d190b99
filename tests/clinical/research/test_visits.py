from datetime import date

from speciosa.clinical.research.visits import (
    STANDARD_SCHEDULE,
    VisitState,
    plan_visits,
    visit_for_date,
)

START = date(2026, 1, 5)


def test_week8_window_is_plus_minus_three_days():
    week8 = plan_visits(STANDARD_SCHEDULE, START, START)[4]
    assert (week8.window_start, week8.target, week8.window_end) == (
        date(2026, 2, 27),
        date(2026, 3, 2),
        date(2026, 3, 5),
    )


def test_states_follow_today_and_done():
    visits = plan_visits(STANDARD_SCHEDULE, START, date(2026, 1, 20), frozenset({"baseline"}))
    assert [v.state for v in visits] == [
        VisitState.DONE,
        VisitState.MISSED,
        VisitState.DUE,
        VisitState.UPCOMING,
        VisitState.UPCOMING,
        VisitState.UPCOMING,
    ]


def test_visit_for_date_uses_the_window():
    assert visit_for_date(STANDARD_SCHEDULE, START, date(2026, 1, 14)) == "week1"
    assert visit_for_date(STANDARD_SCHEDULE, START, date(2026, 1, 25)) is None


def test_study_cannot_skip_irb_approval_or_reopen():
    from speciosa.clinical.research.study_status import StudyStatus as S
    from speciosa.clinical.research.study_status import can_transition

    assert can_transition(S.DRAFT, S.APPROVED)
    assert not can_transition(S.DRAFT, S.ENROLLING)
    assert not can_transition(S.CLOSED, S.ENROLLING)
    assert can_transition(S.PAUSED, S.ENROLLING)
