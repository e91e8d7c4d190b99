"""Per-request context (request id) that the audit log reads without threading it through."""

import contextvars
import uuid

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def current_request_id() -> str:
    return request_id_var.get() or ""


def new_request_id() -> str:
    return uuid.uuid4().hex
