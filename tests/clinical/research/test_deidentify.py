from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from speciosa.clinical.research.deidentify import (
    DatePolicy,
    TableSpec,
    date_shift_days,
    deidentify_rows,
    find_identifier_leaks,
    safe_harbor_citation,
    top_code_age,
)

SPEC = TableSpec(
    subject_field="subject_id",
    date_fields=frozenset({"visit_date", "collected_at"}),
    age_fields=frozenset({"age"}),
)
ROWS = [
    {
        "subject_id": "BVT-001",
        "given_name": "Alex",
        "family_name": "Rivera",
        "mrn": "A0001",
        "email": "alex@example.org",
        "phone": "555-0100",
        "birth_date": date(1931, 2, 3),
        "age": 95,
        "visit_date": date(2026, 1, 5),
        "value": 31.0,
    },
    {
        "subject_id": "BVT-001",
        "given_name": "Alex",
        "family_name": "Rivera",
        "mrn": "A0001",
        "age": 95,
        "visit_date": date(2026, 3, 2),
        "value": 22.0,
    },
    {
        "subject_id": "BVT-002",
        "given_name": "Sam",
        "family_name": "Lee",
        "mrn": "A0002",
        "age": 40,
        "visit_date": date(2026, 1, 5),
        "collected_at": datetime(2026, 1, 5, 8, 30, tzinfo=UTC),
        "value": 28.0,
    },
]


def test_no_direct_identifier_survives():
    out = deidentify_rows(ROWS, SPEC, secret="s3cret")
    identifiers = ["Alex", "Rivera", "A0001", "alex@example.org", "555-0100", "Sam", "Lee", "A0002"]
    assert find_identifier_leaks(out, identifiers) == []
    assert all(
        not ({"given_name", "mrn", "email", "phone", "birth_date"} & row.keys()) for row in out
    )


def test_dates_shift_by_the_same_offset_within_a_subject():
    out = deidentify_rows(ROWS, SPEC, secret="s3cret")
    original_gap = ROWS[1]["visit_date"] - ROWS[0]["visit_date"]
    assert out[1]["visit_date"] - out[0]["visit_date"] == original_gap
    assert out[0]["visit_date"] != ROWS[0]["visit_date"]


def test_datetimes_lose_their_time_of_day():
    out = deidentify_rows(ROWS, SPEC, secret="s3cret")
    shift = date_shift_days("s3cret", "BVT-002")
    assert out[2]["collected_at"] == date(2026, 1, 5) + timedelta(days=shift)


def test_ages_over_89_are_top_coded():
    out = deidentify_rows(ROWS, SPEC, secret="s3cret")
    assert [row["age"] for row in out] == [90, 90, 40]
    assert top_code_age(89) == 89


def test_year_only_policy_keeps_just_the_year():
    out = deidentify_rows(ROWS, SPEC, secret="s3cret", policy=DatePolicy.YEAR_ONLY)
    assert out[0]["visit_date"] == 2026


def test_inputs_are_not_modified():
    deidentify_rows(ROWS, SPEC, secret="s3cret")
    assert ROWS[0]["given_name"] == "Alex"


@given(subject=st.text(min_size=1, max_size=20), secret=st.text(min_size=1, max_size=20))
def test_shift_is_stable_nonzero_and_bounded(subject, secret):
    shift = date_shift_days(secret, subject, 180)
    assert shift == date_shift_days(secret, subject, 180)
    assert shift != 0 and -180 <= shift <= 180


def test_leak_finder_catches_identifier_in_free_text():
    leaks = find_identifier_leaks([{"note": "seen with Rivera today"}], ["Rivera"])
    assert leaks == [(0, "note", "rivera")]


def test_safe_harbor_is_cited():
    assert "164.514" in safe_harbor_citation().title
