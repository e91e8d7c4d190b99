"""AuditEvent: the hash-chained audit log over FHIR, read and search, for the roles that
may read the audit trail (view_audit: program director, administrator)."""

from datetime import timedelta

import orjson
import pytest

from speciosa.accounts.models import Role
from speciosa.audit.models import AuditAction, AuditEvent
from speciosa.audit.services import ChainBreak, iter_chain_breaks, write_audit
from speciosa.fhir.export import exportable_types
from speciosa.fhir.mapping.audit import (
    AUDIT_CHAIN_URL,
    SHARED_DETAIL_KEYS,
    action_code,
    rows_with_action_code,
)
from speciosa.fhir.mapping.audit import (
    audit_event_id as fid,
)
from speciosa.fhir.models import ExportLevel
from speciosa.fhir.validation import validate_resource
from tests.factories import make_user
from tests.fhir.conftest import assert_outcome, token_client


def rows_of(bundle) -> list[dict]:
    return [e["resource"] for e in bundle.get("entry", [])]


def chain_of(resource) -> dict:
    (chain,) = [e for e in resource["extension"] if e["url"] == AUDIT_CHAIN_URL]
    return {
        e["url"]: next(v for k, v in e.items() if k.startswith("value")) for e in chain["extension"]
    }


@pytest.fixture
def audited(prescriber, patient):
    """Three rows on the ``alpha`` chain about ``patient``: create, read, update."""
    write_audit(actor=prescriber, action=AuditAction.CREATE, obj=patient)
    write_audit(actor=prescriber, action=AuditAction.READ, obj=patient, object_type="chart")
    write_audit(
        actor=prescriber,
        action=AuditAction.UPDATE,
        obj=patient,
        detail={"changed": {"family_name": ["Rivera", "Rivera-Diaz"]}, "method": "PUT"},
    )
    return list(AuditEvent.objects.filter(program=patient.program).order_by("seq"))


def test_search_by_patient_validates_and_carries_the_chain(fhir_director, audited, patient):
    bundle = fhir_director.get(f"/fhir/AuditEvent?patient={patient.uid}").json_body
    validate_resource(bundle, "Bundle")
    resources = [validate_resource(r, "AuditEvent") for r in rows_of(bundle)]
    assert [r["id"] for r in resources] == [fid(row) for row in audited]
    for resource, row in zip(resources, audited, strict=True):
        assert chain_of(resource) == {
            "chain": "alpha",
            "seq": row.seq,
            "prevHash": row.prev_hash,
            "hash": row.hash,
        }
        assert resource["recorded"] == row.at.isoformat().replace("+00:00", "Z")
        assert resource["entity"][0]["what"] == {"reference": f"Patient/{patient.uid}"}
        assert resource["agent"][0]["who"]["display"] == "priya"
        assert resource["agent"][0]["requestor"] is True
    assert [r["action"] for r in resources] == ["C", "R", "U"]
    # consecutive rows link: an auditor can check continuity from the resources alone
    assert chain_of(resources[1])["prevHash"] == chain_of(resources[0])["hash"]


def test_read_by_id_equals_the_search_entry(fhir_director, audited):
    row = audited[0]
    response = fhir_director.get(f"/fhir/AuditEvent/{fid(row)}")
    assert response.status_code == 200, response.content
    found = rows_of(fhir_director.get(f"/fhir/AuditEvent?_id={fid(row)}").json_body)
    assert found == [response.json_body]
    assert response.json_body["agent"][0]["who"]["reference"] == f"Practitioner/{row.actor.uid}"


def test_detail_keys_beyond_the_shared_list_are_withheld(fhir_director, prescriber, patient):
    row = write_audit(
        actor=prescriber,
        action=AuditAction.UPDATE,
        obj=patient,
        detail={
            "rule_id": "kratom-atomoxetine-cyp2d6",
            "reason": "Alex told me about his brother",
            "path": "/fhir/Patient?family=Rivera&birthdate=1990-05-17",
            "ids": ["one", "two"],
            "changed": {"given_name": ["Alex", "Alexander"]},
        },
    )
    resource = fhir_director.get(f"/fhir/AuditEvent/{fid(row)}").json_body
    details = {d["type"]: d["valueString"] for e in resource["entity"] for d in e.get("detail", [])}
    assert details == {"rule_id": "kratom-atomoxetine-cyp2d6"}
    text = orjson.dumps(resource).decode()
    assert "brother" not in text and "birthdate" not in text and "Alexander" not in text


def test_every_emitted_detail_key_is_on_the_shared_list(fhir, fhir_director, audited, patient):
    fhir.get(f"/fhir/Patient/{patient.uid}")  # a FHIR call: method, path, status, token
    resources = rows_of(fhir_director.get("/fhir/AuditEvent?_count=100").json_body)
    keys = {d["type"] for r in resources for e in r["entity"] for d in e.get("detail", [])}
    assert {"method", "status", "token"} <= keys <= SHARED_DETAIL_KEYS
    assert "path" not in keys


def test_search_by_date_uses_the_recorded_instant(fhir_director, audited):
    day = audited[0].at.date().isoformat()
    later = (audited[0].at + timedelta(days=1)).date().isoformat()
    assert len(rows_of(fhir_director.get(f"/fhir/AuditEvent?date={day}").json_body)) == 3
    assert rows_of(fhir_director.get(f"/fhir/AuditEvent?date=ge{later}").json_body) == []
    # the two searches above are audited on the program's chain (the director works in one
    # program), so they are in the log now too
    found = rows_of(fhir_director.get(f"/fhir/AuditEvent?date=lt{later}").json_body)
    assert [r["id"] for r in found[:3]] == [fid(row) for row in audited] and len(found) == 5


def test_search_by_action_and_subtype(fhir_director, audited, prescriber, patient):
    write_audit(
        actor=prescriber,
        action=AuditAction.BREAK_GLASS,
        obj=patient,
        object_type="chart",
        detail={"grant": "g-1"},
    )
    created = rows_of(fhir_director.get("/fhir/AuditEvent?action=C").json_body)
    assert [r["id"] for r in created] == [fid(audited[0])]
    reads = rows_of(fhir_director.get("/fhir/AuditEvent?action=R").json_body)
    assert {r["action"] for r in reads} == {"R"} and len(reads) == 2  # chart read, glass read
    glass = rows_of(fhir_director.get("/fhir/AuditEvent?subtype=break_glass").json_body)
    assert [r["subtype"][0]["code"] for r in glass] == ["break_glass"]
    assert rows_of(fhir_director.get("/fhir/AuditEvent?action=X").json_body) == []


@pytest.mark.parametrize(
    ("action", "object_type", "object_id", "expected"),
    [
        (AuditAction.CREATE, "patients.Patient", "p", "C"),
        (AuditAction.BULK_CREATE, "dataio.ImportRun", "r", "C"),
        (AuditAction.READ, "chart", "p", "R"),
        (AuditAction.READ, "fhir:Observation", "o", "R"),
        (AuditAction.READ, "fhir:Observation", "", "E"),  # a FHIR search
        (AuditAction.UPDATE, "patients.Patient", "p", "U"),
        (AuditAction.DELETE, "fhir:Patient", "p", "D"),
        (AuditAction.EXPORT, "fhir:$export", "j", "R"),
        (AuditAction.DISCLOSE, "privacy.Disclosure", "d", "R"),
        (AuditAction.LOGIN, "accounts.User", "u", "E"),
        (AuditAction.BREAK_GLASS, "chart", "p", "R"),
        (AuditAction.BREAK_GLASS, "break_glass_grant", "g", "E"),
        ("something_new", "x", "", "E"),
    ],
)
def test_action_code_and_its_sql_agree(
    prescriber, program, action, object_type, object_id, expected
):
    row = write_audit(
        actor=prescriber,
        action=action,
        program=program,
        object_type=object_type,
        object_id=object_id,
    )
    assert action_code(row) == expected
    matching = {
        code
        for code in "CRUDE"
        if AuditEvent.objects.filter(pk=row.pk).filter(rows_with_action_code(code)).exists()
    }
    assert matching == {expected}


def test_failed_fhir_call_has_a_failure_outcome(fhir_director, prescriber, program):
    row = write_audit(
        actor=prescriber,
        action=AuditAction.READ,
        program=program,
        object_type="fhir:Patient",
        object_id="x",
        detail={"status": 503, "method": "GET"},
    )
    resource = fhir_director.get(f"/fhir/AuditEvent/{fid(row)}").json_body
    assert (resource["outcome"], resource["outcomeDesc"]) == ("8", "HTTP 503")
    assert resource["type"]["code"] == "rest"
    assert resource["subtype"][1]["code"] == "read"


def test_count_pages_through_every_row_once(fhir_director, prescriber, patient):
    for _ in range(7):
        write_audit(actor=prescriber, action=AuditAction.READ, obj=patient)
    expected = [fid(r) for r in AuditEvent.objects.filter(program=patient.program).order_by("pk")]
    url, seen, pages = "/fhir/AuditEvent?_count=3", [], 0
    while url:
        bundle = fhir_director.get(url).json_body
        seen += [r["id"] for r in rows_of(bundle)]
        pages += 1
        nxt = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        url = nxt[0].split("testserver", 1)[1] if nxt else None
    # each page request is audited on the program's chain and shows up on a later page;
    # every row comes once, the ones that existed first in order
    assert seen[: len(expected)] == expected and len(set(seen)) == len(seen)
    extras = [r for r in AuditEvent.objects.filter(program=patient.program) if fid(r) in seen]
    searches = [r for r in extras if fid(r) not in expected]
    assert searches and all(r.detail["method"] == "GET" for r in searches)
    assert pages >= 3


# --- who may read what -----------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PRESCRIBER, Role.NURSE, Role.COUNSELLOR, Role.RESEARCHER])
def test_roles_without_view_audit_get_403(client, program, audited, role):
    fhir = token_client(client, make_user(program, role))
    assert_outcome(fhir.get("/fhir/AuditEvent"), 403, contains="view_audit")
    assert_outcome(fhir.get(f"/fhir/AuditEvent/{fid(audited[0])}"), 403, contains="view_audit")


def test_administrator_reads_the_audit_of_own_program(client, admin_user, audited):
    fhir = token_client(client, admin_user, scope="read")
    ids = [r["id"] for r in rows_of(fhir.get("/fhir/AuditEvent").json_body)]
    assert ids == [fid(row) for row in audited]


def test_director_sees_only_own_program(
    client, fhir_director, audited, other_program, other_patient, prescriber
):
    outsider = make_user(other_program, Role.PRESCRIBER)
    beta_row = write_audit(actor=outsider, action=AuditAction.CREATE, obj=other_patient)
    ids = {r["id"] for r in rows_of(fhir_director.get("/fhir/AuditEvent?_count=100").json_body)}
    assert fid(beta_row) not in ids and fid(audited[0]) in ids
    assert_outcome(fhir_director.get(f"/fhir/AuditEvent/{fid(beta_row)}"), 404)
    by_patient = fhir_director.get(f"/fhir/AuditEvent?patient={other_patient.uid}").json_body
    assert rows_of(by_patient) == []

    other_director = token_client(client, make_user(other_program, Role.PROGRAM_DIRECTOR))
    theirs = rows_of(other_director.get("/fhir/AuditEvent?_count=100").json_body)
    assert [r["id"] for r in theirs] == [fid(beta_row)]
    assert_outcome(other_director.get(f"/fhir/AuditEvent/{fid(audited[0])}"), 404)


def test_token_limited_to_a_program_sees_only_that_program(
    client, director, program, other_program, audited, other_patient
):
    from speciosa.accounts.models import Membership

    Membership.objects.create(user=director, program=other_program, role=Role.NURSE)
    beta_row = write_audit(actor=director, action=AuditAction.CREATE, obj=other_patient)
    alpha_only = token_client(client, director, scope="read", programs=[program])
    ids = [r["id"] for r in rows_of(alpha_only.get("/fhir/AuditEvent?_count=100").json_body)]
    assert ids == [fid(row) for row in audited]
    # a nurse in beta: beta's audit is not hers to read, even with a token limited to beta
    beta_only = token_client(client, director, scope="read", programs=[other_program])
    assert_outcome(beta_only.get("/fhir/AuditEvent"), 403)
    assert fid(beta_row) not in ids


def test_outsider_gets_403_not_rows(fhir_outsider, audited):
    assert_outcome(fhir_outsider.get("/fhir/AuditEvent"), 403)


# --- reading the log is audited, without touching the chain ----------------------------


def test_reading_an_audit_event_is_audited_and_the_chain_stays_intact(
    fhir_director, director, audited
):
    row = audited[1]
    before = AuditEvent.objects.filter(chain="alpha").count()
    assert fhir_director.get(f"/fhir/AuditEvent/{fid(row)}").status_code == 200
    new = AuditEvent.objects.filter(chain="alpha").order_by("-seq").first()
    assert AuditEvent.objects.filter(chain="alpha").count() == before + 1
    assert (new.actor_id, new.action, new.object_type, new.object_id) == (
        director.pk,
        AuditAction.READ,
        "fhir:AuditEvent",
        fid(row),
    )
    assert new.prev_hash == audited[-1].hash
    assert [b for b in iter_chain_breaks() if isinstance(b, ChainBreak)] == []
    # the served row is unchanged: reading again answers the same resource
    first = fhir_director.get(f"/fhir/AuditEvent/{fid(row)}").json_body
    assert fhir_director.get(f"/fhir/AuditEvent/{fid(row)}").json_body == first


def test_audit_event_is_read_only_and_not_exported(fhir, fhir_director, audited):
    url = f"/fhir/AuditEvent/{fid(audited[0])}"
    resource = fhir_director.get(url).json_body
    assert_outcome(fhir.put(url, resource), 405)
    assert_outcome(fhir.post("/fhir/AuditEvent", resource), 405)
    assert "AuditEvent" not in exportable_types(ExportLevel.SYSTEM)
    assert "AuditEvent" not in exportable_types(ExportLevel.PATIENT)


def test_capability_statement_lists_audit_event(client, db):
    body = client.get("/fhir/metadata").json()
    (audit,) = [r for r in body["rest"][0]["resource"] if r["type"] == "AuditEvent"]
    assert {i["code"] for i in audit["interaction"]} == {"read", "search-type"}
    names = {p["name"] for p in audit["searchParam"]}
    assert {"patient", "date", "action", "subtype", "_id", "_lastUpdated"} <= names


def test_ids_are_chain_positions_found_without_a_hash_index():
    """``<chain>-<seq>``; "_" (allowed in program codes, not in FHIR ids) becomes "."; a
    malformed id finds nothing."""
    from speciosa.fhir.mapping.audit import audit_event_query

    row = AuditEvent(chain="north_side-2", seq=41)
    assert fid(row) == "north.side-2-41"
    q = audit_event_query(fid(row))
    assert dict(q.children) == {"chain": "north_side-2", "seq": 41}
    for bad in ("alpha", "alpha-", "-7", "alpha-x1"):
        assert audit_event_query(bad).children == [("pk__in", [])]
    assert "audit_hash" not in {i.name for i in AuditEvent._meta.indexes}
