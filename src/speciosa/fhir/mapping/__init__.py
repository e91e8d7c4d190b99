"""Model <-> FHIR R4 resource mapping, one module per resource, over the UI's models."""

import importlib

CORE_MODULES = [
    "patient",
    "practitioner",
    "organization",
    "episode",
    "condition",
    "medication",
    "observation",
    "group",
    "research",
    "measures",
    "safety",
    "plans",
    "consent",
    "audit",
]


def load_mappings() -> None:
    """Import every mapping module so each registers its resource type."""
    from speciosa.fhir.codesystems import all_code_systems
    from speciosa.fhir.registry import register_catalog

    register_catalog("CodeSystem", all_code_systems)
    for name in CORE_MODULES:
        importlib.import_module(f"speciosa.fhir.mapping.{name}")
