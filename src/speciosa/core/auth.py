"""API authentication: the browser session (with CSRF) or a bearer ApiToken."""

from django.utils import timezone
from django.utils.functional import LazyObject, empty
from ninja.security import APIKeyCookie, HttpBearer

from speciosa.accounts.models import ApiToken


class SessionAuth(APIKeyCookie):
    """The logged-in browser session; unsafe methods need the CSRF token."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return _unwrapped(user)
        return None


def _unwrapped(user):
    """The user object behind ``request.user``'s lazy wrappers (Django's auth middleware
    and django-otp's each add one): the same, already verified object, so the services
    reading ``request.auth`` do not pay two proxy hops on every attribute access."""
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer spc_…``. Sets ``request.api_token`` for scope checks."""

    def authenticate(self, request, token):
        if not token:
            return None
        row = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=ApiToken.hash_secret(token))
            .first()
        )
        if row is None or not row.is_usable or not row.user.is_active:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.api_token = row
        request.user = row.user
        return row.user


def api_auth() -> list:
    return [TokenAuth(), SessionAuth()]
