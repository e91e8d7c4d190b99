"""The one citation library: one entry per work, aliases resolve, plan data cites
canonical ids."""

from collections import Counter

import pytest

from speciosa.clinical.evidence.sources import (
    UnknownSource,
    load_sources,
    resolve_sources,
    source_ids,
)
from speciosa.clinical.planning.library import _walk_pathway_refs, load_library


def test_each_work_has_one_entry():
    """Two entries with the same DOI, PMID or URL would let a correction reach one
    citing rule and miss another (the plan and evidence libraries had 14 such pairs)."""
    locators: Counter[str] = Counter()
    for c in load_sources().values():
        for kind, value in (("doi", c.doi), ("pmid", c.pmid), ("url", c.url)):
            if value:
                locators[f"{kind}:{value.lower()}"] += 1
    assert [k for k, n in locators.items() if n > 1] == []


def test_an_alias_resolves_to_its_entry_and_unknown_ids_still_fail():
    assert source_ids()["kroenke-2001-phq9"] == "kroenke2001"
    (old,) = resolve_sources(["kroenke-2001-phq9"], owner="stored plan")
    (new,) = resolve_sources(["kroenke2001"], owner="rule")
    assert old is new and "10.1046/j.1525-1497.2001.016009606.x" in new.short()
    with pytest.raises(UnknownSource, match="stored plan: unknown source id"):
        resolve_sources(["kroenke-2001"], owner="stored plan")


def test_plan_library_cites_canonical_ids_and_prints_old_ones():
    library = load_library()
    canonical = set(load_sources())
    cited = set()
    for entry in library.interventions.values():
        cited |= set(entry.citations)
    for params in library.parameters.values():
        cited |= set(params.citations)
    for pathway in library.pathways.values():
        cited |= set(_walk_pathway_refs(pathway)[2])
    assert cited and cited <= canonical
    # a plan version stored before the merge names the old id: same citation
    assert library.cite(["tanna-dmd-2023-review"]) == library.cite(["tanna2023dmd"])
