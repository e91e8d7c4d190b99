"""Request plumbing for FHIR routes: authentication, scopes, responses, error mapping, audit.

Every FHIR view is wrapped by ``fhir_endpoint``. It authenticates (bearer ``ApiToken`` or
the browser session), enforces the token's read/write scope and program list, turns every
failure into an OperationOutcome and writes one audit row per call.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any
from urllib.parse import urlencode

import orjson
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from speciosa.accounts.access import memberships_for, program_ids_for
from speciosa.accounts.models import ApiToken
from speciosa.accounts.permissions import Action, can
from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.errors import DomainError
from speciosa.fhir.outcome import FhirError, fhir_error_from_domain, outcome_for_error

logger = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json; charset=utf-8"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
AUDIT_ACTION_FOR_METHOD = {
    "GET": AuditAction.READ,
    "HEAD": AuditAction.READ,
    "POST": AuditAction.CREATE,
    "PUT": AuditAction.UPDATE,
    "PATCH": AuditAction.UPDATE,
    "DELETE": AuditAction.DELETE,
}


@dataclass
class FhirContext:
    """Who is calling and what they may see. Views read scope from here, never from
    ``request.user`` directly, so a token limited to one program stays limited."""

    user: Any
    token: ApiToken | None
    program_ids: frozenset[int]
    base_url: str
    token_program_ids: frozenset[int] = frozenset()  # the token's program list; empty: any
    audit_action: str = ""
    audit_obj: Any = None
    audit_type: str = ""
    audit_id: str = ""
    audit_detail: dict[str, Any] = field(default_factory=dict)

    @property
    def can_write(self) -> bool:
        return self.token is None or self.token.scope == ApiToken.Scope.READ_WRITE

    def require_write(self) -> None:
        if not self.can_write:
            raise FhirError(
                403, "This API token has the read scope; writes need a read_write token"
            )

    def program_ids_with(self, action: str) -> frozenset[int]:
        """Programs where the caller holds ``action`` through any role (not only the
        clinical ones ``program_ids`` counts), within the token's program list."""
        found = {
            m.program_id
            for m in memberships_for(self.user)
            if can(self.user, Action(action), m.program_id)
        }
        if self.token_program_ids:
            found &= self.token_program_ids
        return frozenset(found)

    def require_program(self, program_id: int) -> None:
        """Objects of programs outside the caller's scope are reported as not found."""
        if program_id not in self.program_ids:
            raise FhirError(404, "Not found (or not in the programs this caller may see)")

    def url(self, path: str = "", params: dict[str, Any] | list[tuple[str, str]] | None = None):
        query = f"?{urlencode(params, doseq=True)}" if params else ""
        return f"{self.base_url}/{path}".rstrip("/") + query


def fhir_base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir").rstrip("/")


def fhir_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    response = HttpResponse(orjson.dumps(data), status=status, content_type=FHIR_JSON)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(exc: FhirError) -> HttpResponse:
    return fhir_response(outcome_for_error(exc), status=exc.status, headers=exc.headers)


def _bearer_secret(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise FhirError(
            401,
            "Authorization header must be 'Bearer <token>'",
            code="login",
            headers={"WWW-Authenticate": 'Bearer realm="fhir"'},
        )
    return secret.strip()


def authenticate(request: HttpRequest) -> FhirContext:
    """Bearer token first, then the session; 401 OperationOutcome when neither works."""
    secret = _bearer_secret(request)
    token: ApiToken | None = None
    if secret is not None:
        token = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=ApiToken.hash_secret(secret))
            .first()
        )
        if token is None or not token.is_usable or not token.user.is_active:
            raise FhirError(
                401,
                "The bearer token is unknown, expired or revoked",
                code="login",
                headers={"WWW-Authenticate": 'Bearer realm="fhir", error="invalid_token"'},
            )
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        user = token.user
        request.user = user
    else:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            raise FhirError(
                401,
                "Authentication required: send 'Authorization: Bearer <token>' or log in",
                code="login",
                headers={"WWW-Authenticate": 'Bearer realm="fhir"'},
            )
        if request.method in UNSAFE_METHODS:
            _check_csrf(request)
    program_ids = set(program_ids_for(user))
    limited: set[int] = set()
    if token is not None:
        limited = set(token.programs.values_list("pk", flat=True))
        if limited:
            program_ids &= limited
    return FhirContext(
        user=user,
        token=token,
        program_ids=frozenset(program_ids),
        base_url=fhir_base_url(request),
        token_program_ids=frozenset(limited),
    )


def _check_csrf(request: HttpRequest) -> None:
    """Session-authenticated writes need the CSRF token, exactly as the rest of the site."""
    reason = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, None, (), {})
    if reason is not None:
        raise FhirError(403, "CSRF check failed for a session-authenticated write", code="security")


def _only_program(ctx: FhirContext | None):
    """The one program a call could touch (a search, a Bundle, an export of a caller who
    works in one program): its chain records the call, so that program's auditors see it.
    Callers in several programs (or none) stay on the ``system`` chain."""
    from speciosa.accounts.models import Program

    if ctx is None or len(ctx.program_ids) != 1:
        return None
    return Program.objects.filter(pk=next(iter(ctx.program_ids))).first()


def _audit_call(request: HttpRequest, ctx: FhirContext | None, response: HttpResponse) -> None:
    action = (ctx.audit_action if ctx else "") or AUDIT_ACTION_FOR_METHOD.get(
        request.method or "GET", AuditAction.READ
    )
    detail = {"method": request.method, "path": request.get_full_path()[:500]}
    detail["status"] = response.status_code
    obj = None
    object_type, object_id = "fhir", ""
    if ctx is not None:
        detail.update(ctx.audit_detail)
        obj = ctx.audit_obj
        object_type = ctx.audit_type or object_type
        object_id = ctx.audit_id
        if ctx.token is not None:
            detail["token"] = ctx.token.prefix
    obj = obj if obj is not None and hasattr(obj, "_meta") else None
    try:
        write_audit(
            actor=ctx.user if ctx else None,
            action=action,
            obj=obj,
            object_type=object_type,
            object_id=object_id,
            program=_only_program(ctx) if obj is None else None,
            detail=detail,
        )
    except Exception:
        logger.exception("could not audit FHIR call %s", request.get_full_path())
        raise


def fhir_endpoint(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Authenticate, run ``view(request, ctx, ...)``, map errors, audit the call."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ctx: FhirContext | None = None
        try:
            ctx = authenticate(request)
            if request.method in UNSAFE_METHODS and not getattr(view, "fhir_read_only", False):
                ctx.require_write()
            external = ctx.token is not None and ctx.token.is_external_client
            if external:
                # 42 CFR Part 2: an external client app is outside the program
                from speciosa.privacy.hooks import guard_external_fhir_request

                guard_external_fhir_request(ctx, request)
            response = view(request, ctx, *args, **kwargs)
            if external:
                from speciosa.privacy.hooks import disclose_external_fhir_response

                response = disclose_external_fhir_response(ctx, request, response)
        except FhirError as exc:
            response = error_response(exc)
        except DomainError as exc:
            response = error_response(fhir_error_from_domain(exc))
        except Exception:
            logger.exception("FHIR request failed: %s %s", request.method, request.path)
            rid = getattr(request, "request_id", "")
            response = error_response(
                FhirError(500, f"Internal server error; quote request id {rid} when reporting it")
            )
        if ctx is not None and response.status_code >= 400:
            ctx.audit_obj = None  # a failed write was rolled back: its row may not exist
        try:
            _audit_call(request, ctx, response)
        except Exception:
            # no audit row, no answer: an unaudited disclosure is worse than an error
            response = error_response(FhirError(500, "The call could not be audited"))
        return response

    return wrapped


def read_only_method(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a POST/DELETE view that only reads (e.g. a POST search or an export cancel)."""
    view.fhir_read_only = True  # type: ignore[attr-defined]
    return view


def parse_json_body(request: HttpRequest) -> Any:
    ctype = request.content_type or ""
    if ctype and ctype not in ("application/fhir+json", "application/json"):
        raise FhirError(415, f"Unsupported content type {ctype!r}; send application/fhir+json")
    try:
        return orjson.loads(request.body or b"null")
    except orjson.JSONDecodeError as exc:
        raise FhirError(400, f"The body is not valid JSON: {exc}") from exc
