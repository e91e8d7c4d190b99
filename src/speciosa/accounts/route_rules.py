"""Every route's permission rule, in one registry that a test holds complete.

``tests/security/test_access_matrix.py`` walks every Django URL pattern and every
NinjaAPI operation (from the OpenAPI schema) and requests each one as every role, for an
object of the caller's own program and of another program, and compares the status with
``expected_outcome`` below. A route without an entry here fails that test, so a new
route cannot ship without someone deciding who may call it.

Adding a route? Add one line to ``API_RULES`` (``"METHOD /api/path/{param}"``) or
``PAGE_RULES`` (``"/django/route/<conv:param>/"``) naming its gate and the ``Action`` the
service layer ``require()``s. If the route takes a new path parameter, also add a value
factory in ``tests/security/route_params.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from speciosa.accounts.models import CLINICAL_ROLES, Role
from speciosa.accounts.permissions import PATIENT_LINK, Action, actions_of


class Gate(StrEnum):
    PUBLIC = "public"  # no login (login page, health check, API schema)
    SIGNED_IN = "signed_in"  # any signed-in user; content is scoped to their programs
    CHART = "chart"  # a patient's record: hidden (404) outside the caller's clinical programs
    PROGRAM = "program"  # a program-level object: 404 to non-members, 403 without the action
    STAFF = "staff"  # the Django admin site: is_staff accounts only
    SELF_REPORT = "self_report"  # patient-link: a valid link token, no account


class Side(StrEnum):
    OWN = "own"  # the object belongs to the caller's program (or the link is valid)
    OTHER = "other"  # another program's object (or an unknown/expired link)


class Outcome(StrEnum):
    ALLOW = "allow"  # passed the gate (2xx/3xx, or a 4xx about the input itself)
    FORBID = "forbid"  # 403: a member whose role lacks the action
    HIDE = "hide"  # 404: not yours, so it does not exist for you
    LOGIN = "login"  # 401 (API) or a redirect to the login page


@dataclass(frozen=True)
class RouteRule:
    gate: Gate
    action: Action | None = None
    note: str = ""
    # (actor, side) -> outcome, for routes the gates above do not describe
    expect: Callable[[str, Side], Outcome] | None = None


def _by_action(actor: str, action: Action) -> Outcome:
    """Program-independent routes: signed-in callers whose role holds ``action`` pass."""
    if actor == PATIENT_LINK:
        return Outcome.LOGIN
    return Outcome.ALLOW if action in actions_of(actor) else Outcome.FORBID


def always(outcome: Outcome) -> Callable[[str, Side], Outcome]:
    """A rule whose answer is the same for every caller (e.g. a route that is always 404)."""
    return lambda actor, side: outcome


A = Action
G = Gate


def _reports(actor: str) -> Outcome:
    """Report pages: 403 for a member whose roles lack VIEW_REPORTS."""
    if actor == PATIENT_LINK:
        return Outcome.LOGIN
    return Outcome.ALLOW if Action.VIEW_REPORTS in actions_of(actor) else Outcome.FORBID


# Every NinjaAPI operation: "METHOD /api/path/{param}" as in the OpenAPI schema.
API_RULES: dict[str, RouteRule] = {
    # patients
    "GET /api/patients": RouteRule(G.SIGNED_IN, A.VIEW_CHART, "list scoped to own programs"),
    "POST /api/patients": RouteRule(G.CHART, A.EDIT_DEMOGRAPHICS, "program named in body"),
    "GET /api/patients/{patient_id}": RouteRule(G.CHART, A.VIEW_CHART),
    "PATCH /api/patients/{patient_id}": RouteRule(G.CHART, A.EDIT_DEMOGRAPHICS),
    "GET /api/patients/{patient_id}/substance-use": RouteRule(G.CHART, A.VIEW_CHART),
    "POST /api/patients/{patient_id}/substance-use": RouteRule(G.CHART, A.RECORD_SUBSTANCE_USE),
    "GET /api/patients/{patient_id}/medications": RouteRule(G.CHART, A.VIEW_CHART),
    "POST /api/patients/{patient_id}/medications": RouteRule(G.CHART, A.ORDER_MEDICATION),
    "PATCH /api/patients/{patient_id}/medications/{medication_id}": RouteRule(
        G.CHART, A.ORDER_MEDICATION
    ),
    "POST /api/patients/{patient_id}/diagnoses": RouteRule(G.CHART, A.RECORD_DIAGNOSIS),
    "POST /api/patients/{patient_id}/labs": RouteRule(G.CHART, A.RECORD_LAB),
    # measures (issue 3): instruments are public knowledge to staff; scores are chart data
    "GET /api/measures/instruments": RouteRule(G.SIGNED_IN, note="the instrument library"),
    "GET /api/measures/instruments/{instrument_id}": RouteRule(G.SIGNED_IN),
    "POST /api/measures/patients/{patient_id}/responses": RouteRule(G.CHART, A.RECORD_RESPONSE),
    "GET /api/measures/patients/{patient_id}/scores": RouteRule(G.CHART, A.VIEW_CHART),
    "GET /api/measures/patients/{patient_id}/schedules": RouteRule(G.CHART, A.VIEW_CHART),
    "POST /api/measures/patients/{patient_id}/schedules": RouteRule(G.CHART, A.EDIT_PLAN),
    "GET /api/measures/due": RouteRule(G.PROGRAM, A.VIEW_CHART, "program code in the query"),
    # research (issue 8): studies are program objects; subjects appear by subject id only
    "GET /api/research/studies": RouteRule(G.SIGNED_IN, note="studies of own programs"),
    "GET /api/research/studies/{protocol_id}": RouteRule(G.PROGRAM, note="any member"),
    "POST /api/research/studies/{protocol_id}/status": RouteRule(G.PROGRAM, A.MANAGE_STUDY),
    "POST /api/research/studies/{protocol_id}/screenings": RouteRule(
        G.CHART, A.VIEW_CHART, "patient named in body"
    ),
    "POST /api/research/studies/{protocol_id}/consents": RouteRule(G.CHART, A.MANAGE_CONSENT),
    "POST /api/research/consents/{consent_id}/withdraw": RouteRule(G.CHART, A.MANAGE_CONSENT),
    "POST /api/research/studies/{protocol_id}/enrolments": RouteRule(G.CHART, A.ENROL_SUBJECT),
    "GET /api/research/studies/{protocol_id}/enrolments": RouteRule(
        G.PROGRAM, A.VIEW_STUDY_DATA, "consented subjects only"
    ),
    "GET /api/research/studies/{protocol_id}/allocations": RouteRule(
        G.PROGRAM, A.VIEW_STUDY_DATA, "allocated slots only"
    ),
    "GET /api/research/studies/{protocol_id}/subjects/{subject_id}/visits": RouteRule(
        G.PROGRAM, A.VIEW_STUDY_DATA
    ),
    "GET /api/research/studies/{protocol_id}/subjects/{subject_id}/assessments": RouteRule(
        G.PROGRAM, A.VIEW_STUDY_DATA
    ),
    "POST /api/research/studies/{protocol_id}/subjects/{subject_id}/assessments": RouteRule(
        G.PROGRAM, A.RECORD_STUDY_DATA
    ),
    "POST /api/research/studies/{protocol_id}/subjects/{subject_id}/assessments/from-score": (
        RouteRule(G.PROGRAM, A.RECORD_STUDY_DATA)
    ),
    "POST /api/research/studies/{protocol_id}/subjects/{subject_id}/adverse-events": RouteRule(
        G.PROGRAM, A.RECORD_STUDY_DATA
    ),
    "POST /api/research/studies/{protocol_id}/subjects/{subject_id}/end-follow-up": RouteRule(
        G.PROGRAM, A.RECORD_STUDY_DATA
    ),
    "POST /api/research/studies/{protocol_id}/adverse-events/{event_id}/filed-reports": (
        RouteRule(G.PROGRAM, A.RECORD_STUDY_DATA)
    ),
    "POST /api/research/studies/{protocol_id}/alerts/{study_alert_id}/acknowledge": RouteRule(
        G.PROGRAM, A.MANAGE_STUDY
    ),
    "GET /api/research/studies/{protocol_id}/adverse-events": RouteRule(
        G.PROGRAM, A.VIEW_STUDY_DATA
    ),
    "GET /api/research/studies/{protocol_id}/alerts": RouteRule(G.PROGRAM, A.VIEW_STUDY_DATA),
    "GET /api/research/studies/{protocol_id}/consort": RouteRule(G.PROGRAM, A.VIEW_STUDY_DATA),
    # privacy (issue 9): 42 CFR Part 2 consents, accounting of disclosures, break-the-glass
    "GET /api/privacy/patients/{patient_id}/consents": RouteRule(G.CHART, A.VIEW_CHART),
    "POST /api/privacy/patients/{patient_id}/consents": RouteRule(G.CHART, A.MANAGE_CONSENT),
    "POST /api/privacy/consents/{consent_id}/revoke": RouteRule(G.CHART, A.MANAGE_CONSENT),
    "POST /api/privacy/patients/{patient_id}/disclosure-check": RouteRule(G.CHART, A.DISCLOSE),
    "GET /api/privacy/patients/{patient_id}/disclosures": RouteRule(
        G.CHART, A.MANAGE_CONSENT, "accounting of disclosures"
    ),
    "POST /api/privacy/break-glass": RouteRule(
        G.SIGNED_IN,
        A.BREAK_GLASS,
        "own-program patient: 409 (already visible); other program: 201 grant",
        expect=lambda actor, side: _by_action(actor, A.BREAK_GLASS),
    ),
    "GET /api/privacy/break-glass": RouteRule(
        G.SIGNED_IN,
        A.VIEW_AUDIT,
        "grants in programs whose audit the caller reads",
        expect=lambda actor, side: _by_action(actor, A.VIEW_AUDIT),
    ),
    # safety (issue 4)
    "GET /api/safety/programs/{code}/alerts": RouteRule(
        G.PROGRAM, A.VIEW_CHART, "program alert inbox"
    ),
    "GET /api/safety/alerts/{alert_id}": RouteRule(G.CHART, A.VIEW_CHART),
    "POST /api/safety/alerts/{alert_id}/acknowledge": RouteRule(G.CHART, A.ACKNOWLEDGE_ALERT),
    "POST /api/safety/alerts/{alert_id}/override": RouteRule(G.CHART, A.ACKNOWLEDGE_ALERT),
    "GET /api/safety/evidence": RouteRule(G.SIGNED_IN, note="evidence cards, no patient data"),
    "GET /api/safety/evidence/{card_id}": RouteRule(G.SIGNED_IN, note="no patient data"),
    "GET /api/safety/rules": RouteRule(G.SIGNED_IN, note="rule table, no patient data"),
    # plans (issue 5)
    "GET /api/plans/pathways": RouteRule(G.SIGNED_IN, note="template catalogue, no patient data"),
    "GET /api/plans/interventions": RouteRule(G.SIGNED_IN, note="library, no patient data"),
    "GET /api/plans": RouteRule(G.SIGNED_IN, A.VIEW_CHART, "list scoped to own programs"),
    "POST /api/plans": RouteRule(G.CHART, A.EDIT_PLAN, "patient named in body"),
    "GET /api/plans/{plan_id}": RouteRule(G.CHART, A.VIEW_CHART),
    "PUT /api/plans/{plan_id}": RouteRule(G.CHART, A.EDIT_PLAN),
    "POST /api/plans/{plan_id}/signatures": RouteRule(G.CHART, A.SIGN_PLAN),
    "POST /api/plans/{plan_id}/reviews": RouteRule(G.CHART, A.EDIT_PLAN),
    "GET /api/plans/{plan_id}/versions": RouteRule(G.CHART, A.VIEW_CHART),
    "GET /api/plans/{plan_id}/diff": RouteRule(G.CHART, A.VIEW_CHART),
    "GET /api/plans/{plan_id}/induction-check": RouteRule(G.CHART, A.VIEW_CHART),
    "POST /api/plans/patients/{patient_id}/events": RouteRule(G.CHART, A.EDIT_PLAN),
    "GET /api/plans/{plan_id}/pdf": RouteRule(
        G.CHART, A.VIEW_CHART, "audited as export; ?recipient=&purpose= needs DISCLOSE + consent"
    ),
    "GET /api/plans/{plan_id}/discharge-summary.pdf": RouteRule(
        G.CHART, A.VIEW_CHART, "audited as export; ?recipient=&purpose= needs DISCLOSE + consent"
    ),
}

# Every Django URL pattern that is not a NinjaAPI operation: "/route/<conv:param>/".
PAGE_RULES: dict[str, RouteRule] = {
    "/login/": RouteRule(G.PUBLIC),
    "/logout/": RouteRule(G.SIGNED_IN, note="POST only (GET is 405)"),
    "/": RouteRule(G.SIGNED_IN, A.VIEW_CHART, "caseload scoped to own programs"),
    "/patients/<uuid:patient_id>/": RouteRule(G.CHART, A.VIEW_CHART),
    "/patients/<uuid:patient_id>/assess/<slug:instrument_id>/": RouteRule(
        G.CHART, A.RECORD_RESPONSE, "assessment entry form"
    ),
    "/patients/<uuid:patient_id>/self-report-links/": RouteRule(
        G.CHART, A.CREATE_SELF_REPORT_LINK, "POST only (GET is 405 after the gate)"
    ),
    "/alerts/<uuid:alert_id>/acknowledge/": RouteRule(
        G.CHART, A.ACKNOWLEDGE_ALERT, "POST only (GET is 405 after the gate)"
    ),
    "/alerts/<uuid:alert_id>/override/": RouteRule(
        G.CHART, A.ACKNOWLEDGE_ALERT, "POST only (GET is 405 after the gate)"
    ),
    "/patients/<uuid:patient_id>/plans/from-template/": RouteRule(
        G.CHART, A.EDIT_PLAN, "POST only (GET is 405 after the gate)"
    ),
    "/plans/<uuid:plan_id>/sign/": RouteRule(
        G.CHART, A.SIGN_PLAN, "POST only (GET is 405 after the gate)"
    ),
    "/plans/<uuid:plan_id>/status/": RouteRule(
        G.CHART, A.EDIT_PLAN, "POST only (GET is 405 after the gate)"
    ),
    "/plans/<uuid:plan_id>/disclosure.pdf": RouteRule(
        G.CHART, A.DISCLOSE, "Part 2 disclosure PDF; POST only (GET is 405 after the gate)"
    ),
    "/evidence/": RouteRule(G.SIGNED_IN, note="evidence cards: public knowledge, no patient data"),
    "/evidence/<str:card_id>/": RouteRule(G.SIGNED_IN, note="one evidence card"),
    "/r/<str:token>/": RouteRule(G.SELF_REPORT, note="patient self-report link (no account)"),
    # research pages (issue 8): subjects by study subject id only
    "/research/": RouteRule(G.SIGNED_IN, note="studies of own programs"),
    "/research/<slug:protocol_id>/": RouteRule(G.PROGRAM, note="dashboard: any member"),
    "/research/<slug:protocol_id>/report/": RouteRule(G.PROGRAM, A.VIEW_STUDY_DATA),
    "/research/<slug:protocol_id>/adverse-events/<uuid:event_id>/filed/": RouteRule(
        G.PROGRAM, A.RECORD_STUDY_DATA, "POST only (GET is 405 after the gate)"
    ),
    "/research/<slug:protocol_id>/subjects/<str:subject_id>/end-follow-up/": RouteRule(
        G.PROGRAM, A.RECORD_STUDY_DATA, "POST only (GET is 405 after the gate)"
    ),
    "/research/<slug:protocol_id>/alerts/<int:study_alert_id>/acknowledge/": RouteRule(
        G.PROGRAM, A.MANAGE_STUDY, "POST only (GET is 405 after the gate)"
    ),
    "/research/<slug:protocol_id>/subjects/<str:subject_id>/visits/<slug:visit_code>/": RouteRule(
        G.PROGRAM, A.RECORD_STUDY_DATA, "visit data entry; lists the subject's scores"
    ),
    "/research/<slug:protocol_id>/subjects/<str:subject_id>/adverse-events/": RouteRule(
        G.PROGRAM, A.RECORD_STUDY_DATA, "adverse-event form; lists the subject's events"
    ),
    # the chart's Research panel: the patient is in the URL, so chart rules apply
    "/research/<slug:protocol_id>/patients/<uuid:patient_id>/screen/": RouteRule(
        G.CHART, A.VIEW_CHART, "POST only (GET is 405 after the gate)"
    ),
    "/research/<slug:protocol_id>/patients/<uuid:patient_id>/consent/": RouteRule(
        G.CHART, A.MANAGE_CONSENT, "POST only (GET is 405 after the gate)"
    ),
    "/research/<slug:protocol_id>/patients/<uuid:patient_id>/consent/withdraw/": RouteRule(
        G.CHART, A.MANAGE_CONSENT, "POST only (GET is 405 after the gate)"
    ),
    "/research/<slug:protocol_id>/patients/<uuid:patient_id>/enrol/": RouteRule(
        G.CHART, A.ENROL_SUBJECT, "POST only (GET is 405 after the gate)"
    ),
    "/healthz": RouteRule(G.PUBLIC, note="database ping, no data"),
    "/api/openapi.json": RouteRule(G.PUBLIC, note="the schema, no data"),
    "/api/docs": RouteRule(G.PUBLIC, note="Swagger UI, no data"),
    "/api/": RouteRule(G.PUBLIC, note="ninja's root: always 404", expect=always(Outcome.HIDE)),
    "/admin/login/": RouteRule(G.PUBLIC, note="the admin's own login form"),
    # FHIR R4 (speciosa/fhir): bearer token or session; scoped by program_ids_for(user)
    "/fhir": RouteRule(G.SIGNED_IN, note="POST transaction/batch Bundle (GET is 405)"),
    "/fhir/": RouteRule(G.SIGNED_IN, note="POST transaction/batch Bundle (GET is 405)"),
    "/fhir/metadata": RouteRule(G.PUBLIC, note="CapabilityStatement, no data"),
    "/fhir/$export": RouteRule(G.SIGNED_IN, A.VIEW_CHART, "Bulk export of own programs"),
    "/fhir/Patient/$export": RouteRule(G.SIGNED_IN, A.VIEW_CHART, "Bulk export of own programs"),
    "/fhir/^Group/(?P<group_id>[A-Za-z0-9\\-]{1,64})/\\$export$": RouteRule(
        G.CHART, A.VIEW_CHART, "Group = a program the caller sees"
    ),
    "/fhir/$export-status/<str:job_id>": RouteRule(
        G.SIGNED_IN,
        note="the requester's own job only",
        expect=lambda actor, side: Outcome.LOGIN if actor == PATIENT_LINK else Outcome.HIDE,
    ),
    "/fhir/^\\$export-file/(?P<job_id>[0-9a-f\\-]{36})/"
    "(?P<filename>[A-Za-z]+\\.ndjson)$": RouteRule(
        G.SIGNED_IN,
        note="the requester's own job only",
        expect=lambda actor, side: Outcome.LOGIN if actor == PATIENT_LINK else Outcome.HIDE,
    ),
    "/fhir/^(?P<type_name>[A-Z][A-Za-z]+)/_search/?$": RouteRule(
        G.SIGNED_IN, A.VIEW_CHART, "POST search, scoped to own programs"
    ),
    "/fhir/^(?P<type_name>[A-Z][A-Za-z]+)/?$": RouteRule(
        G.SIGNED_IN, A.VIEW_CHART, "search/create, scoped to own programs"
    ),
    "/fhir/^(?P<type_name>[A-Z][A-Za-z]+)/(?P<resource_id>[A-Za-z0-9\\-\\.]{1,64})/?$": RouteRule(
        G.CHART, A.VIEW_CHART
    ),
    "/fhir/^(?P<type_name>[A-Z][A-Za-z]+)/(?P<resource_id>[A-Za-z0-9\\-\\.]{1,64})/_history/?$": (
        RouteRule(G.CHART, A.VIEW_CHART)
    ),
    "/fhir/^(?P<type_name>[A-Z][A-Za-z]+)/(?P<resource_id>[A-Za-z0-9\\-\\.]{1,64})/_history/"
    "(?P<version_id>[0-9]+)/?$": RouteRule(G.CHART, A.VIEW_CHART),
    "/fhir/^(?P<path>.*)$": RouteRule(
        G.SIGNED_IN,
        note="unknown FHIR route: 401, else 404",
        expect=lambda actor, side: Outcome.LOGIN if actor == PATIENT_LINK else Outcome.HIDE,
    ),
    "/admin/logout/": RouteRule(G.SIGNED_IN, note="non-staff are sent to the admin login"),
    # outcomes dashboard (speciosa/outcomes): aggregates of the programs where the caller
    # holds VIEW_REPORTS; no object in the URL, so both sides answer alike
    "/outcomes/": RouteRule(G.SIGNED_IN, A.VIEW_REPORTS, expect=lambda a, s: _reports(a)),
    "/outcomes/export.csv": RouteRule(G.SIGNED_IN, A.VIEW_REPORTS, expect=lambda a, s: _reports(a)),
    "/outcomes/report.pdf": RouteRule(G.SIGNED_IN, A.VIEW_REPORTS, expect=lambda a, s: _reports(a)),
}

# Whole trees with one rule (the Django admin has its own staff-only login).
PREFIX_RULES: dict[str, RouteRule] = {
    "/admin/": RouteRule(G.STAFF, A.MANAGE_USERS, "Django admin: is_staff only"),
}


def rule_for(key: str) -> RouteRule | None:
    """The rule of an API key (``"GET /api/..."``) or a page route (``"/..."``)."""
    if key in API_RULES:
        return API_RULES[key]
    if key in PAGE_RULES:
        return PAGE_RULES[key]
    for prefix, rule in PREFIX_RULES.items():
        if key.startswith(prefix):
            return rule
    return None


def expected_outcome(rule: RouteRule, actor: str, side: Side) -> Outcome:
    """What ``actor`` (a Role value or ``PATIENT_LINK``) gets from a route with ``rule``.

    The actor is a member of program A only; ``side`` says whether the object named in
    the request belongs to A or to program B.
    """
    if rule.expect is not None:
        return rule.expect(actor, side)
    if rule.gate is Gate.PUBLIC:
        return Outcome.ALLOW
    if rule.gate is Gate.SELF_REPORT:
        return Outcome.ALLOW if side is Side.OWN else Outcome.HIDE
    if actor == PATIENT_LINK or rule.gate is Gate.STAFF:
        return Outcome.LOGIN  # no account / no staff account
    if rule.gate is Gate.SIGNED_IN:
        return Outcome.ALLOW
    if side is Side.OTHER:
        return Outcome.HIDE
    role = Role(actor)
    if rule.gate is Gate.CHART and role not in CLINICAL_ROLES:
        return Outcome.HIDE  # non-clinical roles do not see charts at all
    if rule.action is None:
        return Outcome.ALLOW  # any member of the program
    return Outcome.ALLOW if rule.action in actions_of(actor) else Outcome.FORBID


_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def page_key_as_api_path(route: str) -> str:
    """``/api/patients/<patient_id>`` -> ``/api/patients/{patient_id}`` (OpenAPI style)."""
    return _CONVERTER.sub(r"{\1}", route)


def iter_page_routes() -> Iterator[tuple[str, object, str]]:
    """Every Django URL pattern as (``"/route"``, pattern, ``"namespace:"``), depth first."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns: Iterable[object], prefix: str, ns: str) -> Iterator[tuple[str, object, str]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = ns + (f"{p.namespace}:" if p.namespace else "")
                yield from walk(p.url_patterns, prefix + str(p.pattern), inner)
            elif isinstance(p, URLPattern):
                yield "/" + prefix + str(p.pattern), p, ns

    seen: set[str] = set()
    for key, pattern, ns in walk(get_resolver().url_patterns, "", ""):
        if key not in seen:
            seen.add(key)
            yield key, pattern, ns


def iter_api_routes(schema: dict | None = None) -> Iterator[str]:
    """Every NinjaAPI operation as ``"METHOD /path"`` from the OpenAPI schema."""
    if schema is None:
        from speciosa.api import api

        schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method in methods:
            if method.lower() in {"get", "post", "put", "patch", "delete"}:
                yield f"{method.upper()} {path}"


def all_route_keys(
    api_keys: Iterable[str] | None = None, page_keys: Iterable[str] | None = None
) -> list[str]:
    """API operations plus the Django patterns that are not API operations."""
    api_list = list(iter_api_routes() if api_keys is None else api_keys)
    api_paths = {key.split(" ", 1)[1] for key in api_list}
    pages = [k for k, _, _ in iter_page_routes()] if page_keys is None else list(page_keys)
    return api_list + [k for k in pages if page_key_as_api_path(k) not in api_paths]


def uncovered_routes(keys: Iterable[str] | None = None) -> list[str]:
    """Routes that have no rule. Must be empty (the access-matrix test asserts it)."""
    return [k for k in (all_route_keys() if keys is None else keys) if rule_for(k) is None]


def stale_rules(keys: Iterable[str] | None = None) -> list[str]:
    """Rules for routes that no longer exist (kept tidy by a test)."""
    present = set(all_route_keys() if keys is None else keys)
    return sorted(k for k in [*API_RULES, *PAGE_RULES] if k not in present)
