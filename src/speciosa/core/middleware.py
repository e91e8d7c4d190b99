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
