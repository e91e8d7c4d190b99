from datetime import UTC, datetime, timedelta

from speciosa.clinical.research.adverse_events import (
    AdverseEventFacts,
    Relatedness,
    SeriousnessCriterion,
    SeverityGrade,
    next_deadline,
    reporting_deadlines,
)
from speciosa.clinical.research.safety_data import liver_thresholds, reporting_clocks

AWARE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def event(seriousness=(), related=Relatedness.POSSIBLE, expected=False, grade=SeverityGrade.SEVERE):
    return AdverseEventFacts(frozenset(seriousness), grade, related, expected, AWARE)


def test_non_serious_event_has_no_expedited_deadline():
    assert reporting_deadlines(event()) == []


def test_expected_sae_gets_only_the_24h_investigator_clock():
    deadlines = reporting_deadlines(event({SeriousnessCriterion.HOSPITALISATION}, expected=True))
    assert [(d.clock_id, d.due_at) for d in deadlines] == [
        ("sae-investigator-to-sponsor", AWARE + timedelta(hours=24))
    ]


def test_unexpected_related_sae_adds_15_day_report():
    deadlines = reporting_deadlines(event({SeriousnessCriterion.HOSPITALISATION}))
    assert deadlines[1].clock_id == "susar-other"
    assert deadlines[1].due_at == AWARE + timedelta(days=15)


def test_unexpected_related_life_threatening_event_gets_7_days():
    deadlines = reporting_deadlines(event({SeriousnessCriterion.LIFE_THREATENING}))
    assert deadlines[1].due_at == AWARE + timedelta(days=7)


def test_unrelated_unexpected_sae_has_no_sponsor_ind_clock():
    deadlines = reporting_deadlines(
        event({SeriousnessCriterion.DEATH}, related=Relatedness.UNLIKELY)
    )
    assert [d.clock_id for d in deadlines] == ["sae-investigator-to-sponsor"]


def test_next_deadline_skips_reports_already_filed():
    e = event({SeriousnessCriterion.HOSPITALISATION})
    assert next_deadline(e, frozenset({"sae-investigator-to-sponsor"})).clock_id == "susar-other"


def test_every_clock_and_threshold_is_cited():
    for clock in reporting_clocks().values():
        assert clock.citation.url
    for threshold in liver_thresholds():
        assert threshold.citation.url
