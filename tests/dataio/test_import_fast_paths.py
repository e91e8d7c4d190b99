"""The import's fast paths validate exactly like the services: memoised field cleaning,
positional model construction, generated uids not looked up."""

from datetime import date
from decimal import Decimal

import pytest

from speciosa.clinical.errors import InvalidInput
from speciosa.dataio.tables import TABLES, BuildContext, build_record

ROWS = {
    "patients": [
        {"mrn": "A1", "given_name": "Ana", "family_name": "Lima", "birth_date": "1988-02-03"},
        {"mrn": "A2", "given_name": "B", "family_name": "C", "birth_date": "1990-01-01",
         "sex_at_birth": "robot"},
        {"mrn": "A3", "given_name": "B", "family_name": "C", "birth_date": "1990-01-01",
         "email": "not-an-email"},
        {"mrn": "A4", "given_name": "x" * 500, "family_name": "C", "birth_date": "1990-01-01"},
        {"mrn": "A5", "given_name": "B", "family_name": "C", "birth_date": "2199-01-01"},
        {"mrn": "A6", "given_name": "B", "family_name": "C", "birth_date": "1990-01-01",
         "sex_at_birth": "female", "is_pregnant": "true", "preferred_language": "es"},
    ],
    "substance_uses": [
        {"mrn": "A1", "substance": "kratom", "kratom_form": "capsules", "grams_per_day": "6"},
        {"mrn": "A1", "substance": "kratom", "kratom_form": "gummies", "grams_per_day": "6"},
        {"mrn": "A1", "substance": "kratom", "grams_per_day": "900"},
        {"mrn": "A1", "substance": "unobtainium"},
    ],
    "medications": [
        {"mrn": "A1", "name": "Buprenorphine", "dose": "16", "unit": "mg"},
        {"mrn": "A1", "name": "Buprenorphine", "dose": "-1", "unit": "mg"},
        {"mrn": "A1", "name": "x", "status": "maybe"},
    ],
}  # fmt: skip


def _outcome(table, values, context):
    try:
        obj = build_record(TABLES[table], values, context)
    except InvalidInput as exc:
        return ("rejected", exc.field, exc.reason)
    skip = {"id", "uid", "created_at", "updated_at"}
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.attname not in skip
    }


@pytest.mark.parametrize("table", list(ROWS))
def test_fast_path_accepts_and_rejects_exactly_like_the_services(table, db):
    context = BuildContext()
    for _ in range(2):  # the second pass is served from the memo
        rejected = 0
        for values in ROWS[table]:
            outcome = _outcome(table, values, context)
            assert outcome == _outcome(table, values, None), values
            rejected += isinstance(outcome, tuple)
        assert rejected == {"patients": 4, "substance_uses": 3, "medications": 2}[table]


def test_a_memoised_column_still_rejects_a_new_bad_value(db):
    context = BuildContext()
    good = dict(ROWS["patients"][0])
    build_record(TABLES["patients"], good, context)
    with pytest.raises(InvalidInput) as exc:
        build_record(TABLES["patients"], {**good, "sex_at_birth": "robot"}, context)
    assert exc.value.field == "sex_at_birth"


def test_generated_identities_are_fresh_and_given_ones_kept(db):
    context = BuildContext()
    a = build_record(TABLES["patients"], ROWS["patients"][0], context)
    b = build_record(TABLES["patients"], ROWS["patients"][0], context)
    assert a.uid != b.uid and a.created_at is not None
    uid = "2b7e1b9e-4a33-4f0e-9f0e-1d2c3b4a5f6e"
    c = build_record(TABLES["patients"], {**ROWS["patients"][0], "uid": uid}, context)
    assert str(c.uid) == uid
    use = build_record(TABLES["substance_uses"], ROWS["substance_uses"][0], context)
    assert use.grams_per_day == Decimal("6") and a.birth_date == date(1988, 2, 3)


def test_a_given_uid_that_is_taken_is_still_rejected(prescriber, program, tmp_path):
    from speciosa.dataio.importer import import_source
    from speciosa.dataio.sources import CsvSource
    from tests.dataio.conftest import write_csv
    from tests.factories import make_patient

    existing = make_patient(program, mrn="U0")
    path = write_csv(
        tmp_path / "patients.csv",
        ["uid", "mrn", "given_name", "family_name", "birth_date"],
        [
            [str(existing.uid), "U1", "A", "B", "1990-01-01"],
            ["", "U2", "A", "B", "1990-01-01"],
        ],
    )
    result = import_source(actor=prescriber, program=program, source=CsvSource(path))
    assert result.imported == 1 and result.rejected == 1
