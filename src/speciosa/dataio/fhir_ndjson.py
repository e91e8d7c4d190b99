"""FHIR R4 NDJSON (Bulk Data output) as an import source.

Each line is one resource. The field mapping is the FHIR app's (``speciosa.fhir.mapping``:
``patient_fields``, ``condition_fields``...), so an import accepts exactly what the FHIR
API accepts. Idempotency key: ``<resourceType>/<id>``. A resource id that is a UUID
becomes the record's ``uid`` (a Speciosa export round-trips with the same identities).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from speciosa.clinical.errors import InvalidInput
from speciosa.dataio.sources import SourceRow, hash_files
from speciosa.fhir.mapping.common import reference_id
from speciosa.fhir.mapping.condition import condition_fields
from speciosa.fhir.mapping.episode import episode_fields
from speciosa.fhir.mapping.medication import medication_fields
from speciosa.fhir.mapping.observation import is_substance_use, lab_fields, substance_fields
from speciosa.fhir.mapping.patient import patient_fields
from speciosa.fhir.outcome import FhirError

# resource type -> (table, fields function, element holding the patient reference)
Mapper = Callable[[dict[str, Any]], dict[str, Any]]
RESOURCES: dict[str, tuple[str, Mapper, str]] = {
    "Patient": ("patients", patient_fields, ""),
    "EpisodeOfCare": ("episodes", episode_fields, "patient"),
    "Condition": ("diagnoses", condition_fields, "subject"),
    "MedicationStatement": ("medications", medication_fields, "subject"),
    "Observation": ("lab_results", lab_fields, "subject"),
}
TABLE_ORDER = ["Patient", "EpisodeOfCare", "Condition", "MedicationStatement", "Observation"]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


class FhirNdjsonSource:
    """One or more ``.ndjson`` files (or a folder of them). Patients are read first so
    later resources can name them by FHIR id."""

    kind = "fhir-ndjson"

    def __init__(self, paths: list[Path], program: Any = None) -> None:
        files: list[Path] = []
        for path in paths:
            files.extend(sorted(path.glob("*.ndjson")) if path.is_dir() else [path])
        self.paths = sorted(files, key=self._order)
        self.name = self.paths[0].name if len(self.paths) == 1 else f"{len(self.paths)} files"
        if not self.paths:
            raise InvalidInput("path", f"no .ndjson files in {', '.join(map(str, paths))}")
        self.program = program  # references to patients already there resolve by uid

    @staticmethod
    def _order(path: Path) -> tuple[int, str]:
        stem = path.stem.split(".")[0]
        return (TABLE_ORDER.index(stem) if stem in TABLE_ORDER else 0, path.name)

    def tables(self) -> list[str]:
        return ["patients", "episodes", "substance_uses", "diagnoses", "medications", "lab_results"]

    def content_hash(self) -> str:
        return hash_files(self.paths)

    def _lines(self) -> Iterator[tuple[Path, int, bytes]]:
        for path in self.paths:
            with path.open("rb") as fh:
                for number, line in enumerate(fh, start=1):
                    if line.strip():
                        yield path, number, line

    def _patient_mrns(self) -> dict[str, str]:
        """First pass: FHIR Patient id -> MRN, so references resolve on any order."""
        mrns: dict[str, str] = {}
        for _path, _number, line in self._lines():
            if b'"Patient"' not in line:
                continue
            try:
                resource = orjson.loads(line)
                if resource.get("resourceType") == "Patient" and resource.get("id"):
                    mrns[resource["id"]] = patient_fields(resource)["mrn"]
            except (orjson.JSONDecodeError, FhirError, AttributeError):
                continue  # reported in the second pass
        return mrns

    def _lookup_patient(self, fhir_id: str, mrns: dict[str, str]) -> None:
        from speciosa.patients.models import Patient

        if self.program is None or not _is_uuid(fhir_id):
            return
        mrn = (
            Patient.objects.filter(program=self.program, uid=fhir_id)
            .values_list("mrn", flat=True)
            .first()
        )
        if mrn is not None:
            mrns[fhir_id] = mrn

    def rows(self) -> Iterator[SourceRow]:
        mrns = self._patient_mrns()
        for path, number, line in self._lines():
            yield self._row(path, number, line, mrns)

    def _row(self, path: Path, number: int, line: bytes, mrns: dict[str, str]) -> SourceRow:
        key = f"{path.name}:L{number}"
        try:
            resource = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            return SourceRow(key, path.name, number, "patients", error=f"not JSON: {exc}")
        if not isinstance(resource, dict):
            return SourceRow(key, path.name, number, "patients", error="not a JSON object")
        kind = resource.get("resourceType")
        if resource.get("id"):
            key = f"{kind}/{resource['id']}"
        if kind not in RESOURCES:
            return SourceRow(
                key,
                path.name,
                number,
                "patients",
                error=f"resourceType {kind!r} is not imported ({', '.join(RESOURCES)})",
            )
        table, mapper, subject = RESOURCES[kind]
        if kind == "Observation" and is_substance_use(resource):
            table, mapper = "substance_uses", substance_fields
        try:
            values = mapper(resource)
            if subject:
                patient_id = reference_id(resource.get(subject), "Patient", f"{kind}.{subject}")
                if patient_id not in mrns:
                    self._lookup_patient(patient_id, mrns)
                if patient_id not in mrns:
                    return SourceRow(
                        key,
                        path.name,
                        number,
                        table,
                        error=f"{kind}.{subject}: Patient/{patient_id} is not in this import "
                        "or this program",
                    )
                values["mrn"] = mrns[patient_id]
        except FhirError as exc:
            return SourceRow(key, path.name, number, table, error=exc.diagnostics)
        if _is_uuid(resource.get("id", "")):
            values["uid"] = resource["id"]
        return SourceRow(key, path.name, number, table, values)
