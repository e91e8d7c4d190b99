"""Values for path parameters and body fields in the access-matrix test, per side.

``World`` holds program A (the callers' program, side OWN) and program B (side OTHER),
one patient in each, and builds further objects on demand. A route with a path parameter
named here gets the object of the requested side. A new parameter name needs a factory
in ``PATH_PARAMS`` (the matrix test fails and names it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from speciosa.accounts.models import Program
from speciosa.accounts.route_rules import Side
from speciosa.patients.models import Patient
from tests.factories import add_medication, make_patient, make_program


class World:
    def __init__(self) -> None:
        self.programs: dict[Side, Program] = {
            Side.OWN: make_program("mx-own", "Matrix Own Program"),
            Side.OTHER: make_program("mx-other", "Matrix Other Program"),
        }
        self.patients: dict[Side, Patient] = {
            Side.OWN: make_patient(
                self.programs[Side.OWN], given_name="Olive", family_name="Ownside", mrn="OWN-1"
            ),
            Side.OTHER: make_patient(
                self.programs[Side.OTHER],
                given_name="Leaky",
                family_name="Othersidezq",
                mrn="LEAK-ZQ-1",
            ),
        }
        self._cache: dict[tuple[str, Side], Any] = {}

    def get(self, name: str, side: Side) -> Any:
        """A value for path parameter ``name`` on ``side`` (built once)."""
        key = (name, side)
        if key not in self._cache:
            self._cache[key] = PATH_PARAMS[name](self, side)
        return self._cache[key]

    def body_overrides(self, side: Side) -> dict[str, Any]:
        """Body/query fields whose value must name the side's program or patient."""
        return {
            "program": self.programs[side].code,
            "patient_id": str(self.patients[side].uid),
        }

    def leak_markers(self) -> list[str]:
        """Strings that must never appear in a response to a program-A caller."""
        other = self.patients[Side.OTHER]
        return [str(other.uid), other.family_name, other.mrn]


PATH_PARAMS: dict[str, Callable[[World, Side], Any]] = {
    "patient_id": lambda w, side: w.patients[side].uid,
    "medication_id": lambda w, side: add_medication(w.patients[side], "sertraline").uid,
    # FHIR: instance routes are checked on the Patient resource of the side
    "type_name": lambda w, side: "Patient",
    "resource_id": lambda w, side: w.patients[side].uid,
    "version_id": lambda w, side: 1,
    "path": lambda w, side: "NoSuchType/x/y",
}
