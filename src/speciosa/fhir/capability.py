"""The CapabilityStatement, generated from the registry so it lists exactly what exists."""

from typing import Any

from speciosa.fhir.registry import CATALOGS, REGISTRY
from speciosa.fhir.search import CONTROL_PARAMS, supported_params

SOFTWARE_VERSION = "0.1.0"
CATALOG_DOCS = {
    "CodeSystem": "Speciosa's own code systems (kratom form, substance use, ...)",
    "Questionnaire": "Validated instruments (PHQ-9, COWS, ...) with scoring extensions",
}
BULK = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition"
EXPORT_OPERATIONS = {
    "Patient": {"name": "export", "definition": f"{BULK}/patient-export"},
    "Group": {"name": "export", "definition": f"{BULK}/group-export"},
}


def resource_capability(name: str) -> dict[str, Any]:
    rt = REGISTRY[name]
    interactions = ["read", "search-type"]
    if rt.create:
        interactions.append("create")
    if rt.update:
        interactions.append("update")
    if rt.delete:
        interactions.append("delete")
    if rt.history:
        interactions += ["vread", "history-instance"]
    out: dict[str, Any] = {
        "type": name,
        "interaction": [{"code": code} for code in interactions],
        "versioning": "versioned-update" if rt.update else "versioned",
        "readHistory": bool(rt.history),
        "updateCreate": False,
        "conditionalCreate": False,
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchInclude": [f"{name}:{p}" for p in rt.includes],
        "searchParam": [
            {"name": p, "type": doc.type, "documentation": doc.documentation}
            for p, doc in sorted(supported_params(rt).items())
        ],
    }
    if name in EXPORT_OPERATIONS:
        out["operation"] = [EXPORT_OPERATIONS[name]]
    if rt.documentation:
        out["documentation"] = rt.documentation
    if not out["searchInclude"]:
        del out["searchInclude"]
    return out


def capability_statement(base_url: str) -> dict[str, Any]:
    resources = [resource_capability(name) for name in sorted(REGISTRY)]
    for name in sorted(set(CATALOGS) - set(REGISTRY)):
        resources.append(
            {
                "type": name,
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "documentation": CATALOG_DOCS.get(name, ""),
                "searchParam": [
                    {"name": "url", "type": "uri"},
                    {"name": "name", "type": "string"},
                    {"name": "title", "type": "string"},
                    {"name": "status", "type": "token"},
                    {"name": "_id", "type": "token"},
                ],
            }
        )
    resources.sort(key=lambda r: r["type"])
    return {
        "resourceType": "CapabilityStatement",
        "id": "speciosa",
        "url": f"{base_url}/metadata",
        "name": "SpeciosaFhirServer",
        "title": "Speciosa FHIR R4 server",
        "status": "active",
        "date": "2026-11-26",
        "publisher": "Speciosa",
        "kind": "instance",
        "software": {"name": "Speciosa", "version": SOFTWARE_VERSION},
        "implementation": {"description": "Speciosa FHIR R4 API", "url": base_url},
        "instantiates": ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"],
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Paging is keyset-based (_cursor in next links); unknown search "
                    "parameters are refused with 400 unless 'Prefer: handling=lenient'. "
                    "Control parameters: "
                    + ", ".join(sorted(CONTROL_PARAMS - {"_elements", "_pretty"}))
                ),
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "OAuth",
                                }
                            ],
                            "text": "Bearer API tokens (scope read or read_write, limited to "
                            "programs) or the browser session",
                        }
                    ],
                    "description": "Every call is written to the hash-chained audit log.",
                },
                "resource": resources,
                "interaction": [{"code": "transaction"}, {"code": "batch"}],
                "operation": [
                    {
                        "name": "export",
                        "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
                        "documentation": "System-level Bulk Data export (_type, _since)",
                    }
                ],
            }
        ],
    }
