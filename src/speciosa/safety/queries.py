"""Scoped reads of alerts: a user sees alerts of programs where they hold a clinical role."""

from uuid import UUID

from speciosa.accounts.access import program_ids_for
from speciosa.accounts.models import Program, Role
from speciosa.accounts.permissions import Action, require
from speciosa.clinical.errors import NotFound
from speciosa.safety.models import Alert


def alerts_for_user(user):
    return Alert.objects.filter(program_id__in=program_ids_for(user))


def program_for_user(user, code: str) -> Program:
    """A program the user is a member of (any role; the caller checks the action)."""
    member_of = program_ids_for(user, roles=[role.value for role in Role])
    program = Program.objects.filter(code=code, pk__in=member_of).first()
    if program is None:
        raise NotFound("Program not found")
    return program


def program_inbox(user, program: Program, *, include_resolved: bool = False):
    """The program's alerts, most severe first, then longest waiting."""
    require(user, Action.VIEW_CHART, program.pk)
    qs = Alert.objects.filter(program=program).select_related("patient", "acknowledged_by")
    if not include_resolved:
        qs = qs.active()
    return qs.inbox_order()


def get_alert_for_user(user, uid: UUID) -> Alert:
    alert = alerts_for_user(user).select_related("patient", "acknowledged_by").filter(uid=uid)
    found = alert.first()
    if found is None:
        raise NotFound("Alert not found")
    return found
