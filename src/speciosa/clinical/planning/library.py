"""The cited planning knowledge: citations, interventions, parameters and pathways.

Loaded once from ``data/*.yaml`` and validated: every intervention, parameter set and
pathway cites at least one known source, and every library reference resolves.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from speciosa.clinical.citations import Citation
from speciosa.clinical.errors import InvalidInput, NotFound
from speciosa.clinical.evidence.sources import load_sources, source_ids
from speciosa.clinical.knowledge import load_data_file

DATA = Path(__file__).parent / "data"


class InterventionEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    category: str  # psychosocial / medication / holistic / education
    summary: str
    default_owner: str
    default_frequency: str = ""
    safeguards: tuple[str, ...] = ()
    citations: tuple[str, ...] = Field(min_length=1)


class ParameterSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    values: dict[str, Any]
    citations: tuple[str, ...] = Field(min_length=1)
    note: str = ""


class PathwayEntry(BaseModel):
    """A raw template; ``templates.apply_pathway`` turns it into a ``PlanDocument``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    version: int
    evidence_note: str
    generator: str | None = None
    citations: tuple[str, ...] = Field(min_length=1)
    monitoring: tuple[str, ...] = ()
    decision_points: tuple[dict[str, Any], ...] = ()
    problems: tuple[dict[str, Any], ...]


class Library(BaseModel):
    model_config = ConfigDict(frozen=True)

    citations: dict[str, Citation]
    interventions: dict[str, InterventionEntry]
    parameters: dict[str, ParameterSet]
    pathways: dict[str, PathwayEntry]

    def intervention(self, intervention_id: str) -> InterventionEntry:
        try:
            return self.interventions[intervention_id]
        except KeyError:
            raise NotFound(f"No intervention {intervention_id!r} in the library") from None

    def pathway(self, pathway_id: str) -> PathwayEntry:
        try:
            return self.pathways[pathway_id]
        except KeyError:
            known = ", ".join(self.pathways)
            raise InvalidInput(
                "pathway_ids", f"no pathway {pathway_id!r} (known: {known})"
            ) from None

    def cite(self, citation_ids: tuple[str, ...] | list[str]) -> list[Citation]:
        return [self.citations[c] for c in citation_ids]


def _walk_pathway_refs(pathway: PathwayEntry) -> tuple[list[str], list[str], list[str]]:
    """(intervention ids, parameter ids, citation ids) a pathway refers to."""
    interventions: list[str] = []
    parameters: list[str] = []
    citations = list(pathway.citations)
    for point in pathway.decision_points:
        citations.extend(point.get("citation_ids", []))
    for problem in pathway.problems:
        for goal in problem.get("goals", []):
            for objective in goal.get("objectives", []):
                if "parameters" in objective:
                    parameters.append(objective["parameters"])
                for item in objective.get("interventions", []):
                    interventions.append(item["library_id"])
    return interventions, parameters, citations


@cache
def load_library(folder: Path = DATA) -> Library:
    # the shared citation library; aliases too, so plan versions stored under an entry's
    # earlier id still print their citations
    sources = load_sources()
    citations = {name: sources[key] for name, key in source_ids().items()}
    interventions = {
        entry["id"]: InterventionEntry(**entry)
        for entry in load_data_file(folder / "interventions.yaml")["interventions"]
    }
    parameters = {
        key: ParameterSet(**value)
        for key, value in load_data_file(folder / "parameters.yaml")["parameters"].items()
    }
    pathways = {
        entry["id"]: PathwayEntry(**entry)
        for entry in load_data_file(folder / "pathways.yaml")["pathways"]
    }
    missing: list[str] = []
    for entry in interventions.values():
        missing += [f"intervention {entry.id}: {c}" for c in entry.citations if c not in citations]
    for key, params in parameters.items():
        missing += [f"parameters {key}: {c}" for c in params.citations if c not in citations]
    for pathway in pathways.values():
        refs_i, refs_p, refs_c = _walk_pathway_refs(pathway)
        missing += [
            f"pathway {pathway.id}: intervention {i}" for i in refs_i if i not in interventions
        ]
        missing += [f"pathway {pathway.id}: parameters {p}" for p in refs_p if p not in parameters]
        missing += [f"pathway {pathway.id}: citation {c}" for c in refs_c if c not in citations]
    if missing:
        raise ValueError("unresolved references in planning data: " + "; ".join(missing))
    return Library(
        citations=citations, interventions=interventions, parameters=parameters, pathways=pathways
    )
