"""The cited planning data: every entry cites a source and every reference resolves."""

from speciosa.clinical.planning.library import load_library

EXPECTED_INTERVENTIONS = {
    "cbt",
    "motivational-interviewing",
    "contingency-management",
    "group-counselling",
    "family-counselling",
    "peer-recovery-support",
    "mindfulness",
    "sleep-plan",
    "exercise-plan",
    "buprenorphine",
    "methadone",
    "xr-naltrexone",
    "atomoxetine",
    "long-acting-stimulant",
    "kratom-psychoeducation",
}


def test_library_has_every_required_intervention():
    assert set(load_library().interventions) >= EXPECTED_INTERVENTIONS


def test_every_intervention_cites_a_source_with_a_locator():
    library = load_library()
    for entry in library.interventions.values():
        cited = library.cite(entry.citations)
        assert cited, entry.id
        assert all(c.doi or c.pmid or c.url for c in cited), entry.id


def test_the_four_pathways_exist_and_cite_sources():
    library = load_library()
    assert set(library.pathways) == {
        "kratom-taper",
        "kratom-oud-buprenorphine",
        "adhd-early-recovery",
        "depression-anxiety",
    }
    assert all(library.cite(p.citations) for p in library.pathways.values())


def test_every_parameter_set_is_cited():
    library = load_library()
    for key, params in library.parameters.items():
        assert library.cite(params.citations), key
