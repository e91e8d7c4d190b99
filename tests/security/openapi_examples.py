"""Minimal valid request bodies and query strings built from the OpenAPI schema.

The access-matrix test must get past input validation (ninja answers 422 before the
view runs) to reach the permission check, so every request carries a schema-valid body.
Field values can be overridden by name (``program`` -> the program code of the side).
"""

from __future__ import annotations

from typing import Any

FORMAT_EXAMPLES: dict[str, Any] = {
    "date": "2026-01-15",
    "date-time": "2026-01-15T10:00:00Z",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "email": "someone@example.org",
    "uri": "https://example.org/x",
    "time": "10:00:00",
    "duration": "P1D",
}


def resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        path = schema["$ref"].lstrip("#/").split("/")
        node: Any = root
        for part in path:
            node = node[part]
        schema = node
    return schema


def example_for(
    schema: dict[str, Any],
    root: dict[str, Any],
    overrides: dict[str, Any] | None = None,
    name: str = "",
) -> Any:
    """A small value that satisfies ``schema`` (required properties only)."""
    overrides = overrides or {}
    if name in overrides:
        return overrides[name]
    schema = resolve(schema, root)
    if "example" in schema:
        return schema["example"]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if resolve(o, root).get("type") != "null"]
            return example_for(options[0] if options else schema[key][0], root, overrides)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(resolve(part, root))
        return example_for(merged, root, overrides, name)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {
            key: example_for(props[key], root, overrides, key)
            for key in schema.get("required", [])
            if key in props
        }
    if kind == "array":
        item = example_for(schema.get("items", {}), root, overrides)
        return [item] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return max(1.0, float(schema.get("minimum", 1)))
    if kind == "boolean":
        return False
    if kind == "string" or kind is None:
        fmt = schema.get("format")
        if fmt in FORMAT_EXAMPLES:
            return FORMAT_EXAMPLES[fmt]
        text = "example"
        low = schema.get("minLength", 1)
        high = schema.get("maxLength", 200)
        return (text * (1 + low // len(text)))[: max(low, min(len(text), high))]
    return None


def body_for(operation: dict[str, Any], root: dict[str, Any], overrides: dict[str, Any]) -> Any:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return example_for(content["application/json"]["schema"], root, overrides)


def query_for(operation: dict[str, Any], root: dict[str, Any], overrides: dict[str, Any]) -> dict:
    out: dict[str, Any] = {}
    for param in operation.get("parameters", []):
        if param.get("in") == "query" and param.get("required"):
            out[param["name"]] = example_for(
                param.get("schema", {}), root, overrides, param["name"]
            )
    return out
