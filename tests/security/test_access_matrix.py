"""Every route x every role x own/other program gets the status its rule predicts.

One request per (route, actor, side), each inside a savepoint that is rolled back, so a
write by one role never changes what the next role sees. Mismatches are collected and
reported together, one line each, so a failing run says exactly which rule is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse

from speciosa.accounts import route_rules
from speciosa.accounts.models import Role
from speciosa.accounts.permissions import MATRIX_COLUMNS, PATIENT_LINK, render_matrix_markdown
from speciosa.accounts.route_rules import Outcome, Side, expected_outcome, rule_for
from speciosa.api import api
from tests.factories import make_user
from tests.security.openapi_examples import body_for, query_for
from tests.security.route_params import World, has_factory

ACTORS: tuple[str, ...] = tuple(str(c) for c in MATRIX_COLUMNS)
# routes whose answer repeats the patient id the caller sent (not a leak)
ECHOES_THE_REQUEST = {"POST /api/privacy/break-glass"}
ADMIN_PARAM_VALUES = {"app_label": "accounts", "object_id": "1", "content_type_id": "1"}


@dataclass
class Checked:
    requests: int = 0
    routes: int = 0


def classify(response) -> Outcome | None:
    """The gate outcome a response shows; None for a server error."""
    status = response.status_code
    if status >= 500:
        return None
    if status == 401:
        return Outcome.LOGIN
    if status in (301, 302, 303) and "login" in response.get("Location", ""):
        return Outcome.LOGIN
    if status == 403:
        try:
            code = json.loads(response.content).get("code")
        except (ValueError, AttributeError):
            code = None
        # a missing patient consent is refused after the role gate let the caller in
        return Outcome.ALLOW if code == "consent_required" else Outcome.FORBID
    if status == 404:
        return Outcome.HIDE
    return Outcome.ALLOW


def fill_path(path: str, world: World, side: Side, style: str) -> str:
    """Put the side's object ids into ``{name}`` (OpenAPI) or ``<conv:name>`` (Django)."""
    import re

    pattern = r"\{(\w+)\}" if style == "api" else r"<(?:\w+:)?(\w+)>"

    def value(match):
        name = match.group(1)
        if not has_factory(name, path):
            raise AssertionError(
                f"no value factory for path parameter {name!r} in {path}: "
                "add one to tests/security/route_params.py::PATH_PARAMS"
            )
        return str(world.get(name, side, path))

    return re.sub(pattern, value, path)


def clients_for(world: World) -> dict[str, Client]:
    clients: dict[str, Client] = {}
    for actor in ACTORS:
        client = Client()
        if actor != PATIENT_LINK:
            client.force_login(make_user(world.programs[Side.OWN], Role(actor), f"mx-{actor}"))
        clients[actor] = client
    return clients


def send(client: Client, method: str, url: str, body) -> object:
    # roll back each request so writes and deletes never change the next caller's view
    with transaction.atomic():
        if body is None:
            response = client.generic(method, url)
        else:
            response = client.generic(
                method, url, data=json.dumps(body), content_type="application/json"
            )
        transaction.set_rollback(True)
    return response


def check(
    key: str, url: str, method: str, body, actor: str, side: Side, client, world, problems
) -> None:
    rule = rule_for(key)
    assert rule is not None
    response = send(client, method, url, body)
    got = classify(response)
    want = expected_outcome(rule, actor, side)
    if got != want:
        problems.append(
            f"{key} as {actor} ({side}): expected {want}, got {response.status_code} "
            f"{response.content[:160]!r}"
        )
        return
    if got is Outcome.ALLOW and key not in ECHOES_THE_REQUEST:
        text = response.content.decode(errors="replace")
        for marker in world.leak_markers():
            if marker in text:
                problems.append(f"{key} as {actor} ({side}): response leaks {marker!r}")


def api_requests(world: World, side: Side):
    schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            key = f"{method.upper()} {path}"
            overrides = world.body_overrides(side)
            url = fill_path(path, world, side, "api")
            query = query_for(operation, schema, overrides)
            if query:
                url += "?" + urlencode(query, doseq=True)
            yield key, url, method.upper(), body_for(operation, schema, overrides)


def url_from_regex(regex: str, world: World, side: Side) -> str:
    """``^Group/(?P<group_id>[A-Z]+)/\\$export$`` -> ``Group/<uuid>/$export`` (unnamed routes)."""
    import re

    url = re.sub(
        r"\(\?P<(\w+)>[^()]*(?:\([^()]*\)[^()]*)*\)", lambda m: str(world.get(m[1], side)), regex
    )
    url = url.strip("^$").replace("/?", "/").replace("\\", "")
    return "/fhir/" + url if not url.startswith("/") else url


def page_url(pattern, namespace: str, world: World, side: Side) -> str | None:
    """The URL of a Django pattern with the side's objects as its parameters."""
    params = list(pattern.pattern.regex.groupindex)
    is_admin = namespace.startswith("admin:")
    for name in params:
        if not is_admin and not has_factory(name, ""):
            raise AssertionError(
                f"no value factory for path parameter {name!r} of {pattern}: "
                "add one to tests/security/route_params.py::PATH_PARAMS"
            )
    if not pattern.name:
        if params and not is_admin:
            return url_from_regex(str(pattern.pattern), world, side)
        return None
    kwargs = {
        name: ADMIN_PARAM_VALUES.get(name, "1") if is_admin else world.get(name, side)
        for name in params
    }
    try:
        return reverse(namespace + pattern.name, kwargs=kwargs)
    except NoReverseMatch:
        if is_admin:
            return None  # e.g. the admin's catch-all; the admin is one staff-only tree
        raise


def page_requests(world: World, side: Side):
    api_paths = set(api.get_openapi_schema()["paths"])
    for key, pattern, namespace in route_rules.iter_page_routes():
        if route_rules.page_key_as_api_path(key) in api_paths:
            continue  # a NinjaAPI operation, checked with its own method and body
        if key.startswith("/admin/") and side is Side.OTHER:
            continue  # admin objects have no program side; one pass is enough
        url = page_url(pattern, namespace, world, side)
        if url is None:
            if "^" in key or key.startswith("/admin/"):
                continue
            url = key  # an unnamed plain route without parameters
        yield key, url, "GET", None


@pytest.fixture
def world(db):
    return World()


def test_every_route_has_a_rule():
    missing = route_rules.uncovered_routes()
    assert missing == [], (
        "routes without a permission rule (add them to speciosa/accounts/route_rules.py): "
        + ", ".join(missing)
    )


def test_no_rule_names_a_route_that_is_gone():
    assert route_rules.stale_rules() == []


def test_a_new_route_without_a_rule_is_reported():
    keys = route_rules.all_route_keys(
        api_keys=[*route_rules.iter_api_routes(), "DELETE /api/patients/{patient_id}/everything"],
        page_keys=[k for k, _, _ in route_rules.iter_page_routes()] + ["/secret-export/"],
    )
    assert route_rules.uncovered_routes(keys) == [
        "DELETE /api/patients/{patient_id}/everything",
        "/secret-export/",
    ]


def test_every_route_answers_every_role_as_its_rule_says(world):
    clients = clients_for(world)
    problems: list[str] = []
    checked = Checked()
    for side in (Side.OWN, Side.OTHER):
        for key, url, method, body in [*api_requests(world, side), *page_requests(world, side)]:
            checked.routes += side is Side.OWN
            for actor in ACTORS:
                check(key, url, method, body, actor, side, clients[actor], world, problems)
                checked.requests += 1
    print(f"access matrix: {checked.routes} routes, {checked.requests} requests")
    assert problems == [], "\n".join(problems)
    assert checked.requests > len(ACTORS) * 2 * 10


def test_docs_embed_the_current_matrix():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text()
    assert render_matrix_markdown() in doc, (
        "docs/security.md is out of date: paste the output of "
        "`speciosa security matrix` between the matrix markers"
    )
