"""The OpenAPI schema describes every body correctly.

django-ninja names schema components by class name, so two ``Schema`` classes with the
same name in different apps silently share one component: one route's documented (and
fuzzed) body becomes the other's. Found when privacy's ``ConsentIn`` replaced
research's in the schema.
"""

from collections import defaultdict

from ninja import Schema
from pydantic import BaseModel

import speciosa.api  # noqa: F401  (imports every router and its schemas)


def speciosa_schemas() -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)

    def walk(cls):
        for sub in cls.__subclasses__():
            # ninja Schemas, and plain pydantic models of an app's schemas.py (output-only
            # models such as measures' ScoreOut); the clinical core's models are not API
            api_schema = issubclass(sub, Schema) or sub.__module__.endswith(".schemas")
            if sub.__module__.startswith("speciosa.") and api_schema:
                found[sub.__name__].add(f"{sub.__module__}.{sub.__qualname__}")
            walk(sub)

    walk(BaseModel)
    return found


def test_schema_class_names_are_unique_across_apps():
    clashes = {name: sorted(where) for name, where in speciosa_schemas().items() if len(where) > 1}
    assert clashes == {}, f"rename one of each (ninja would merge them): {clashes}"
