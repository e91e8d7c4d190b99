"""AuditEvent <- audit.AuditEvent (the append-only, hash-chained audit log).

Read and search only, for compliance officers and integrators: callers see the programs
where they hold ``view_audit`` (program directors, administrators); rows of the
``system`` chain (no program: logins, failed authentication, calls of a caller in
several programs) are not served. Reading the
log is itself audited by ``fhir_endpoint`` like every call: one new row on the read
row's program chain (a search: on the caller's one program's chain, else ``system``),
never a change to a served row.

Coding follows the R4 AuditEvent page (https://hl7.org/fhir/R4/auditevent.html) and its
value sets: ``type`` from http://hl7.org/fhir/R4/valueset-audit-event-type.html (DICOM
event ids plus ``rest``), ``subtype`` from valueset-audit-event-sub-type.html (DICOM and
restful-interaction codes; extensible, so Speciosa's own action code is added), ``action``
from valueset-audit-event-action.html. The resource id is the row's place in its chain,
``<chain>-<seq>`` (program code, "_" written "." as FHIR ids allow no "_"): stable,
unique, found through the chain's own unique index (no extra index to update on every
audited write), and it counts only the reader's own program's rows.
"""

from typing import Any

import orjson
from django.db.models import Q

from speciosa.accounts.permissions import Action
from speciosa.audit.models import AuditAction
from speciosa.audit.models import AuditEvent as AuditRow
from speciosa.fhir.codesystems import CodeSystemDef, Concept, register_code_system
from speciosa.fhir.mapping.common import coding, ext, instant, meta, prune, ref
from speciosa.fhir.registry import NOTHING, ParamDoc, ResourceType, Source, register
from speciosa.fhir.search import date_filter, token_parts

DCM = "http://dicom.nema.org/resources/ontology/DCM"
EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
SECURITY_ROLE = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
AUDIT_CHAIN_URL = ext("audit-chain")
OBSERVER = {"type": "Device", "display": "Speciosa FHIR server"}

AUDIT_ACTION_CS = CodeSystemDef(
    name="audit-action",
    title="Speciosa audit action",
    description=(
        "AuditEvent.subtype: the action as Speciosa's audit log records it "
        "(audit.models.AuditAction); AuditEvent.action carries the R4 C/R/U/D/E code."
    ),
    concepts=tuple(Concept(v, str(label)) for v, label in AuditAction.choices),
)
register_code_system(AUDIT_ACTION_CS)

# Speciosa action -> R4 AuditEventAction. export and disclose are R: data leave the
# program in a file or to a recipient, which DICOM PS3.15 A.5.3.4 (Data Export, event
# 110106) audits with EventActionCode "Shall be R". Two rules refine this below: a FHIR
# search is E (R4 AuditEvent example-search: type rest, subtype search, action E), and a
# break-the-glass row is R when it records a chart read under the grant, E when it
# records the grant itself. Anything not listed (a future action) is E.
ACTION_CODE = {
    AuditAction.CREATE: "C",
    AuditAction.BULK_CREATE: "C",
    AuditAction.READ: "R",
    AuditAction.EXPORT: "R",
    AuditAction.DISCLOSE: "R",
    AuditAction.UPDATE: "U",
    AuditAction.DELETE: "D",
    AuditAction.LOGIN: "E",
    AuditAction.BREAK_GLASS: "E",
}
# AuditEvent.type per kind of row (DICOM audit event ids, PS3.16 CID 400)
EXPORT_TYPE = coding(DCM, "110106", "Export")
IMPORT_TYPE = coding(DCM, "110107", "Import")
PATIENT_RECORD_TYPE = coding(DCM, "110110", "Patient Record")
AUTHENTICATION_TYPE = coding(DCM, "110114", "User Authentication")
APPLICATION_TYPE = coding(DCM, "110100", "Application Activity")
REST_TYPE = coding(EVENT_TYPE, "rest", "RESTful Operation")

# The detail keys an auditor gets, in entity.detail: identifiers of Speciosa objects,
# codes and counts that say what was done and how. Everything else stays in the program
# (fail closed), notably: ``path`` (query strings carry names, birth dates, MRNs),
# ``ids`` (up to 200 ids a search returned), ``reason`` (free text), ``changed`` (old and
# new demographic values), ``recipient`` (free text naming a third party; the privacy
# app's accounting of disclosures serves it) and ``subject_id`` (study pseudonym).
SHARED_DETAIL_KEYS = frozenset(
    {
        # the FHIR call (fhir.http): method, HTTP status, rows returned, API token prefix
        "method",
        "status",
        "count",
        "token",
        # FHIR Bundles and $export
        "bundle_type",
        "entries",
        "failed_entry",
        "level",
        "types",
        "since",
        # safety alerts, instruments, imports, plans
        "rule_id",
        "severity",
        "instruments",
        "submitted",
        "import_run",
        "pathways",
        "document_version",
        # 42 CFR Part 2 disclosures and break-the-glass grants
        "purpose",
        "categories",
        "channel",
        "consent",
        "grant",
        "expires_at",
    }
)


def is_rest_call(row: Any) -> bool:
    return row.object_type == "fhir" or row.object_type.startswith("fhir:")


def rest_interaction(row: Any) -> str | None:
    """The restful-interaction code of a FHIR call, from what the audit row kept."""
    if row.object_type == "fhir":  # failed before a route was known (401, unknown path)
        return None
    if row.object_type.startswith("fhir:$"):
        return "operation"
    if row.object_type == "fhir:Bundle":
        return "transaction" if row.detail.get("bundle_type") == "transaction" else "batch"
    return {
        AuditAction.CREATE: "create",
        AuditAction.UPDATE: "update",
        AuditAction.DELETE: "delete",
    }.get(row.action, "read" if row.object_id else "search-type")


def action_code(row: Any) -> str:
    if row.action == AuditAction.READ and is_rest_call(row) and not row.object_id:
        return "E"
    if row.action == AuditAction.BREAK_GLASS and row.object_type == "chart":
        return "R"
    return ACTION_CODE.get(row.action, "E")


def event_type(row: Any) -> dict[str, str]:
    if is_rest_call(row):
        return REST_TYPE
    if row.action == AuditAction.LOGIN:
        return AUTHENTICATION_TYPE
    if row.action in (AuditAction.EXPORT, AuditAction.DISCLOSE):
        return EXPORT_TYPE
    if row.action == AuditAction.BULK_CREATE:
        return IMPORT_TYPE
    return PATIENT_RECORD_TYPE if row.patient_id else APPLICATION_TYPE


def subtypes(row: Any) -> list[dict[str, str]]:
    found = [coding(AUDIT_ACTION_CS.url, row.action, AUDIT_ACTION_CS.display(row.action))]
    interaction = rest_interaction(row) if is_rest_call(row) else None
    if interaction:
        found.append(coding(RESTFUL_INTERACTION, interaction))
    if row.action == AuditAction.LOGIN:
        found.append(coding(DCM, "110122", "Login"))
    return found


def outcome(row: Any) -> tuple[str, str]:
    """R4 AuditEventOutcome: 0 unless the row records an HTTP failure (4xx minor, 5xx
    serious); only FHIR calls store an HTTP status (elsewhere ``status`` is a word)."""
    status = row.detail.get("status")
    if not is_rest_call(row) or not isinstance(status, int) or status < 400:
        return "0", ""
    return ("8" if status >= 500 else "4"), f"HTTP {status}"


def shared_detail(detail: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "type": key,
            "valueString": value if isinstance(value, str) else orjson.dumps(value).decode(),
        }
        for key, value in sorted(detail.items())
        if key in SHARED_DETAIL_KEYS and value not in (None, "", [], {})
    ]


def agent(row: Any) -> dict[str, Any]:
    if row.actor_id:
        return {
            "type": {"coding": [coding(SECURITY_ROLE, "humanuser", "human user")]},
            "who": ref("Practitioner", row.actor.uid, row.actor_label),
            "requestor": True,
        }
    # no user: the system, or a patient through a self-report link
    return {"who": {"display": row.actor_label}, "requestor": True}


def entities(row: Any) -> list[dict[str, Any]]:
    found = []
    if row.patient_id:
        found.append(
            {
                "what": ref("Patient", row.patient.uid),
                "type": coding(ENTITY_TYPE, "1", "Person"),
                "role": coding(OBJECT_ROLE, "1", "Patient"),
            }
        )
    identifier = prune({"type": {"text": row.object_type} if row.object_type else None})
    identifier = prune({**identifier, "value": row.object_id})
    found.append(
        prune(
            {
                "what": {"identifier": identifier} if identifier else None,
                "type": coding(ENTITY_TYPE, "2", "System Object"),
                "detail": shared_detail(row.detail),
            }
        )
    )
    return found


def chain_extension(row: Any) -> dict[str, Any]:
    """Where the row sits in its program's hash chain. An auditor can check continuity
    (``seq`` without gaps, each ``prevHash`` equal to the previous row's ``hash``) and pin
    hashes; recomputing a hash needs the whole row (``speciosa audit verify``), since it
    also covers detail keys and internal ids that are not shared."""
    return {
        "url": AUDIT_CHAIN_URL,
        "extension": [
            {"url": "chain", "valueString": row.chain},
            {"url": "seq", "valueInteger": row.seq},
            {"url": "prevHash", "valueString": row.prev_hash},
            {"url": "hash", "valueString": row.hash},
        ],
    }


def audit_event_id(row: Any) -> str:
    return f"{row.chain.replace('_', '.')}-{row.seq}"


def audit_event_query(resource_id: str) -> Q:
    """The row an ``audit_event_id`` names (served by the unique (chain, seq) index)."""
    chain, _, seq = resource_id.rpartition("-")
    if not chain or not seq.isdigit():
        return NOTHING
    return Q(chain=chain.replace(".", "_"), seq=int(seq))


def audit_event_to_fhir(row: AuditRow) -> dict[str, Any]:
    outcome_code, outcome_text = outcome(row)
    return prune(
        {
            "resourceType": "AuditEvent",
            "id": audit_event_id(row),
            "meta": meta(row, updated=row.at),
            "extension": [chain_extension(row)],
            "type": event_type(row),
            "subtype": subtypes(row),
            "action": action_code(row),
            "recorded": instant(row.at),
            "outcome": outcome_code,
            "outcomeDesc": outcome_text,
            "agent": [agent(row)],
            "source": {
                "site": row.chain,
                "observer": OBSERVER,
                "type": [coding(SOURCE_TYPE, "4", "Application Server")],
            },
            "entity": entities(row),
        }
    )


# --- search ---------------------------------------------------------------------------

REST_ROW = Q(object_type="fhir") | Q(object_type__startswith="fhir:")
REST_SEARCH = Q(action=AuditAction.READ, object_id="") & REST_ROW
GLASS_READ = Q(action=AuditAction.BREAK_GLASS, object_type="chart")


def rows_with_action_code(code: str) -> Q:
    """The rows ``action_code`` answers ``code`` for, as SQL (a test keeps them equal)."""
    plain = Q(action__in=[a for a, c in ACTION_CODE.items() if c == code])
    if code == "R":
        return (plain & ~REST_SEARCH) | GLASS_READ
    if code == "E":
        return (plain & ~GLASS_READ) | REST_SEARCH | ~Q(action__in=list(ACTION_CODE))
    return plain


def action_filter(value: str) -> Q:
    system, code = token_parts(value)
    if system not in (None, "http://hl7.org/fhir/audit-event-action"):
        return NOTHING
    return rows_with_action_code(code)


def subtype_filter(value: str) -> Q:
    system, code = token_parts(value)
    return Q(action=code) if system in (None, AUDIT_ACTION_CS.url) else NOTHING


AUDIT_EVENT = register(
    ResourceType(
        name="AuditEvent",
        sources=[
            Source(
                key="audit",
                model=AuditRow,
                to_fhir=audit_event_to_fhir,
                select_related=("actor", "patient"),
                id_of=audit_event_id,
                id_query=audit_event_query,
                updated_field="at",
                filters={
                    "date": date_filter("at"),
                    "action": action_filter,
                    "subtype": subtype_filter,
                },
            )
        ],
        params={
            "date": ParamDoc("date", "When the event was recorded (prefixes ge, le, gt, lt, eq)"),
            "action": ParamDoc("token", "C, R, U, D or E (see docs/fhir.md for the mapping)"),
            "subtype": ParamDoc("token", "Speciosa audit action, e.g. break_glass, disclose"),
        },
        read_action=Action.VIEW_AUDIT,
        documentation=(
            "The hash-chained audit log of programs where the caller holds view_audit; "
            "read-only; not in $export"
        ),
    )
)
