"""The instrument library: valid FHIR, cited scoring, licences respected."""

import json

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from speciosa.clinical.instruments.catalog import DATA_DIR, load_catalog
from speciosa.clinical.instruments.definitions import InstrumentScoring, LicenceStatus

CATALOG = load_catalog()
REQUIRED = {
    "cows",
    "sows",
    "ciwa_ar",
    "phq9",
    "gad7",
    "asrs_screener",
    "asrs_18",
    "audit",
    "audit_c",
    "dast10",
    "kds",
    "craving_nrs",
    "cssrs",
}


def test_library_has_every_instrument_of_the_issue():
    assert set(CATALOG) >= REQUIRED


@pytest.mark.parametrize("path", sorted(DATA_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_questionnaire_is_valid_fhir_r4(path):
    resource = Questionnaire.model_validate(json.loads(path.read_text()))
    assert resource.id == path.stem.replace("_", "-")


@pytest.mark.parametrize("instrument_id", sorted(CATALOG))
def test_every_scoring_file_cites_a_locatable_source(instrument_id):
    scoring = CATALOG[instrument_id].scoring
    assert scoring.citations
    assert all(c.doi or c.pmid or c.url for c in scoring.citations)


@pytest.mark.parametrize(
    ("instrument_id", "items"),
    [
        ("cows", 11),
        ("sows", 16),
        ("ciwa_ar", 10),
        ("phq9", 9),
        ("gad7", 7),
        ("asrs_screener", 6),
        ("asrs_18", 18),
        ("audit", 10),
        ("audit_c", 3),
        ("dast10", 10),
        ("ldq_kratom", 10),
        ("craving_nrs", 1),
        ("cssrs", 7),
    ],
)
def test_scored_item_count_matches_the_source(instrument_id, items):
    scored = [i for i in CATALOG[instrument_id].scored_items if i.required or i.enable_when]
    assert len(scored) == items


@pytest.mark.parametrize("instrument_id", sorted(CATALOG))
def test_restricted_wording_is_not_bundled(instrument_id):
    instrument = CATALOG[instrument_id]
    if instrument.scoring.licence.wording_bundled:
        return
    assert all(not item.text for item in instrument.items.values())


def test_restricted_instruments_are_the_expected_ones():
    not_bundled = {i for i, inst in CATALOG.items() if not inst.scoring.licence.wording_bundled}
    assert not_bundled == {
        "asrs_screener",
        "asrs_18",
        "cssrs",
        "kds",
        "sows",
        "ldq_kratom",
    }


def test_kds_is_a_draft_without_items_or_weights():
    kds = CATALOG["kds"]
    assert kds.questionnaire["status"] == "draft"
    assert kds.items == {}
    assert kds.scoring.licence.status is LicenceStatus.UNKNOWN
    assert not kds.is_scorable


def test_phq9_items_carry_their_loinc_codes():
    codes = [CATALOG["phq9"].items[f"phq9-{n}"].loinc for n in range(1, 10)]
    assert codes[0] == "44250-9" and codes[8] == "44260-8"
    assert CATALOG["phq9"].questionnaire["code"][0]["code"] == "44249-1"


def test_cows_weights_are_the_published_non_contiguous_scores():
    weights = [o.weight for o in CATALOG["cows"].items["cows-11"].options]
    assert weights == [0, 3, 5]


def test_a_cut_off_without_citation_is_refused():
    raw = CATALOG["phq9"].scoring.model_dump()
    raw["bands"]["citation"] = None
    with pytest.raises(ValueError, match="citation"):
        InstrumentScoring.model_validate(raw)


def test_bands_with_a_gap_are_refused():
    raw = CATALOG["phq9"].scoring.model_dump()
    raw["bands"]["items"][1]["min"] = 6  # 5 is now in no band
    with pytest.raises(ValueError, match="expected 5"):
        InstrumentScoring.model_validate(raw)


def test_prorating_needs_a_published_source():
    raw = CATALOG["phq9"].scoring.model_dump()
    raw["missing_items"] = {"rule": "prorate", "max_missing": 1}
    with pytest.raises(ValueError, match="published source"):
        InstrumentScoring.model_validate(raw)


def test_a_program_can_supply_the_kds(tmp_path):
    """A program holding the KDS drops its Questionnaire and scoring into its folder."""
    from speciosa.clinical.instruments import score

    bundled = CATALOG["ldq_kratom"]
    questionnaire = dict(bundled.questionnaire, id="kds", url="https://example.org/kds")
    raw = bundled.scoring.model_dump(mode="json")
    raw.update(id="kds", status="active", title="KDS (program copy)")
    (tmp_path / "kds.json").write_text(json.dumps(questionnaire))
    import yaml

    (tmp_path / "kds.scoring.yaml").write_text(yaml.safe_dump(raw))
    supplied = load_catalog(str(tmp_path))["kds"]
    assert supplied.is_scorable
    assert score(supplied, {f"ldq-{n}": 1 for n in range(1, 11)}).total == 10
    assert not load_catalog()["kds"].is_scorable  # the bundled catalog is unchanged
