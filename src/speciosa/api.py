"""The JSON API (django-ninja): one NinjaAPI, one router per app, one error shape.

Errors are ``{"code": ..., "message": ..., "detail": {...}}`` with a 4xx status. The FHIR
routes (``speciosa.fhir``) have their own OperationOutcome error handling.
"""

from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from speciosa.clinical import errors
from speciosa.core.auth import api_auth

STATUS_FOR_ERROR: dict[type[errors.DomainError], int] = {
    errors.NotFound: 404,
    errors.PermissionDenied: 403,
    errors.StaleVersion: 412,
    errors.Conflict: 409,
    errors.ConsentRequired: 403,
    errors.InvalidInput: 422,
}


def status_for(exc: errors.DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_FOR_ERROR:
            return STATUS_FOR_ERROR[cls]
    return 400


def build_api() -> NinjaAPI:
    api = NinjaAPI(
        title="Speciosa API",
        version="1",
        description="Kratom- and ADHD-aware measurement-based care. Errors: "
        '{"code", "message", "detail"}.',
        auth=api_auth(),
        urls_namespace="api",
    )

    @api.exception_handler(errors.DomainError)
    def domain_error(request, exc: errors.DomainError):
        return api.create_response(request, exc.as_dict(), status=status_for(exc))

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        first = exc.errors[0] if exc.errors else {}
        loc = [str(part) for part in first.get("loc", []) if part not in ("body", "query", "path")]
        field = ".".join(loc) or "request"
        body = {
            "code": "invalid_input",
            "message": f"{field}: {first.get('msg', 'invalid')}",
            "detail": {"field": field, "errors": exc.errors},
        }
        return api.create_response(request, body, status=422)

    @api.exception_handler(AuthenticationError)
    def auth_error(request, exc):
        body = {
            "code": "not_authenticated",
            "message": "Log in or send a bearer token",
            "detail": {},
        }
        return api.create_response(request, body, status=401)

    @api.exception_handler(DataError)
    def database_refused_value(request, exc: DataError):
        # A value the schema let through but the database cannot store (e.g. a UTC offset
        # beyond PostgreSQL's range). The service's transaction rolled back: nothing saved.
        body = {
            "code": "invalid_input",
            "message": "A value is outside the range the database can store",
            "detail": {"field": "request", "reason": str(exc).splitlines()[0][:200]},
        }
        return api.create_response(request, body, status=422)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(
            request, {"code": "not_found", "message": "Not found", "detail": {}}, status=404
        )

    @api.exception_handler(RequestDataTooBig)
    def payload_too_large(request, exc):
        # without this Django answers with its HTML 400 page, not the API's error shape
        body = {
            "code": "payload_too_large",
            "message": "Request body is larger than the server accepts",
            "detail": {},
        }
        return api.create_response(request, body, status=413)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        body = {"code": "http_error", "message": str(exc), "detail": {}}
        return api.create_response(request, body, status=exc.status_code)

    from speciosa.dataio.api import router as dataio_router
    from speciosa.measures.api import router as measures_router
    from speciosa.outcomes.api import router as outcomes_router
    from speciosa.patients.api import router as patients_router
    from speciosa.plans.api import router as plans_router
    from speciosa.privacy.api import router as privacy_router
    from speciosa.research.api import router as research_router
    from speciosa.safety.api import router as safety_router

    api.add_router("/patients", patients_router)
    api.add_router("/measures", measures_router)
    api.add_router("/safety", safety_router)
    api.add_router("/plans", plans_router)
    api.add_router("/research", research_router)
    api.add_router("/data", dataio_router)
    api.add_router("/outcomes", outcomes_router)
    api.add_router("/privacy", privacy_router)
    return api


api = build_api()
