from django.contrib.auth.middleware import LoginRequiredMiddleware

from speciosa.core.context import new_request_id, request_id_var


class RequestIdMiddleware:
    """Tag each request with an id (honouring X-Request-ID) for the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming[:64] if incoming.isascii() and incoming.strip() else new_request_id()
        request.request_id = rid
        token = request_id_var.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = rid
        return response


class LoginRequiredEverywhereMiddleware(LoginRequiredMiddleware):
    """Login is required on every page; the APIs authenticate themselves (401 JSON).

    Pages that must work without an account (login, patient self-report links) use
    Django's ``@login_not_required``.
    """

    api_prefixes = ("/api/", "/fhir/")

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(self.api_prefixes):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class RejectNulBytesMiddleware:
    """Refuse requests carrying NUL characters (path, query, form or JSON body).

    PostgreSQL text columns cannot store U+0000, so such input used to surface as a 500
    at save time (found by the API fuzz test). No clinical text needs it. Multipart
    uploads are left to their own parsers (their bodies may be large).
    """

    checked_types = (
        "application/json",
        "application/fhir+json",
        "application/x-www-form-urlencoded",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self.has_nul(request):
            return self.refusal(request)
        return self.get_response(request)

    def has_nul(self, request) -> bool:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return True
        if request.content_type not in self.checked_types:
            return False
        try:
            body = request.body
        except Exception:  # noqa: BLE001 - too big etc.: the view reports it
            return False
        if b"\x00" in body:
            return True
        if request.content_type == "application/x-www-form-urlencoded":
            return b"%00" in body
        if b"\\u0000" in body:
            import json

            try:
                return _contains_nul(json.loads(body))
            except ValueError:
                return False
        return False

    @staticmethod
    def refusal(request):
        from django.http import HttpResponseBadRequest, JsonResponse

        message = "NUL characters are not allowed in requests"
        if request.path.startswith("/fhir"):
            outcome = {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "invalid", "diagnostics": message}],
            }
            return JsonResponse(outcome, status=400, content_type="application/fhir+json")
        if request.path.startswith("/api/"):
            body = {"code": "invalid_input", "message": message, "detail": {}}
            return JsonResponse(body, status=400)
        return HttpResponseBadRequest(message)


def _contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False
