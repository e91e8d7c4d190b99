"""The role x action matrix, enforced in one place.

Views, API routes and services ask ``require(user, Action.X, program_id)``. A user with
no role at all in the program gets ``NotFound`` (the object's existence is not leaked);
a user whose role lacks the action gets ``PermissionDenied``.
"""

from enum import StrEnum

from speciosa.accounts.access import roles_in
from speciosa.accounts.models import Role, User
from speciosa.clinical.errors import NotFound, PermissionDenied


class Action(StrEnum):
    VIEW_CHART = "view_chart"
    EDIT_DEMOGRAPHICS = "edit_demographics"
    RECORD_EPISODE = "record_episode"
    RECORD_SUBSTANCE_USE = "record_substance_use"
    RECORD_DIAGNOSIS = "record_diagnosis"
    ORDER_MEDICATION = "order_medication"
    RECORD_LAB = "record_lab"
    RECORD_RESPONSE = "record_response"
    CREATE_SELF_REPORT_LINK = "create_self_report_link"
    ACKNOWLEDGE_ALERT = "acknowledge_alert"
    EDIT_PLAN = "edit_plan"
    SIGN_PLAN = "sign_plan"
    VIEW_REPORTS = "view_reports"
    MANAGE_STUDY = "manage_study"
    VIEW_STUDY_DATA = "view_study_data"
    EXPORT_DEIDENTIFIED = "export_deidentified"
    EXPORT_RECORDS = "export_records"  # identified bulk export for use inside the program
    ENROL_SUBJECT = "enrol_subject"  # research: randomize a consented, eligible patient
    RECORD_STUDY_DATA = "record_study_data"  # research: visits, assessments, adverse events
    MANAGE_CONSENT = "manage_consent"
    DISCLOSE = "disclose"
    VIEW_AUDIT = "view_audit"
    MANAGE_USERS = "manage_users"
    BREAK_GLASS = "break_glass"
    SUBMIT_SELF_REPORT = "submit_self_report"


A = Action
_CARE_READ = {A.VIEW_CHART, A.VIEW_REPORTS}
_CARE_WRITE = {
    A.RECORD_SUBSTANCE_USE,
    A.RECORD_LAB,
    A.RECORD_RESPONSE,
    A.CREATE_SELF_REPORT_LINK,
    A.ACKNOWLEDGE_ALERT,
    A.EDIT_PLAN,
    A.SIGN_PLAN,
    A.MANAGE_CONSENT,
    A.ENROL_SUBJECT,
    A.RECORD_STUDY_DATA,
}

MATRIX: dict[Role, frozenset[Action]] = {
    Role.ADMINISTRATOR: frozenset({A.MANAGE_USERS, A.VIEW_AUDIT, A.VIEW_REPORTS}),
    Role.PROGRAM_DIRECTOR: frozenset(
        _CARE_READ
        | {A.EDIT_DEMOGRAPHICS, A.RECORD_EPISODE, A.VIEW_AUDIT, A.DISCLOSE, A.MANAGE_CONSENT}
        | {A.MANAGE_STUDY, A.BREAK_GLASS, A.EXPORT_RECORDS}
    ),
    Role.PRESCRIBER: frozenset(
        _CARE_READ
        | _CARE_WRITE
        | {A.ORDER_MEDICATION, A.RECORD_DIAGNOSIS, A.RECORD_EPISODE, A.EDIT_DEMOGRAPHICS}
        | {A.DISCLOSE, A.BREAK_GLASS}
    ),
    Role.NURSE: frozenset(
        _CARE_READ | _CARE_WRITE | {A.RECORD_EPISODE, A.EDIT_DEMOGRAPHICS, A.BREAK_GLASS}
    ),
    Role.COUNSELLOR: frozenset(
        _CARE_READ
        | {
            A.RECORD_SUBSTANCE_USE,
            A.RECORD_RESPONSE,
            A.CREATE_SELF_REPORT_LINK,
            A.ACKNOWLEDGE_ALERT,
            A.EDIT_PLAN,
            A.SIGN_PLAN,
        }
    ),
    Role.RESEARCHER: frozenset({A.VIEW_STUDY_DATA, A.EXPORT_DEIDENTIFIED, A.MANAGE_STUDY}),
}

# The patient holding a self-report link has no account and no membership: the link
# token itself names one patient and one questionnaire, and allows only this.
PATIENT_LINK = "patient_link"
PATIENT_LINK_ACTIONS: frozenset[Action] = frozenset({A.SUBMIT_SELF_REPORT})

# Column order of the documented matrix (docs/security.md).
MATRIX_COLUMNS: tuple[str, ...] = (
    Role.ADMINISTRATOR,
    Role.PROGRAM_DIRECTOR,
    Role.PRESCRIBER,
    Role.NURSE,
    Role.COUNSELLOR,
    Role.RESEARCHER,
    PATIENT_LINK,
)


def actions_of(column: str) -> frozenset[Action]:
    """The actions of a matrix column (a Role value or ``PATIENT_LINK``)."""
    if column == PATIENT_LINK:
        return PATIENT_LINK_ACTIONS
    return MATRIX.get(Role(column), frozenset())


def render_matrix_markdown() -> str:
    """The matrix as a Markdown table; docs/security.md embeds it (a test keeps them equal)."""
    header = "| action | " + " | ".join(str(c).replace("_", " ") for c in MATRIX_COLUMNS) + " |"
    rule = "|---|" + "---|" * len(MATRIX_COLUMNS)
    rows = [header, rule]
    for action in Action:
        marks = ["✓" if action in actions_of(c) else "·" for c in MATRIX_COLUMNS]
        rows.append(f"| {action.value} | " + " | ".join(marks) + " |")
    return "\n".join(rows) + "\n"


def allowed_actions(user: User, program_id: int) -> set[Action]:
    actions: set[Action] = set()
    for role in roles_in(user, program_id):
        actions |= MATRIX.get(Role(role), frozenset())
    return actions


def can(user: User, action: Action, program_id: int) -> bool:
    return action in allowed_actions(user, program_id)


def require(user: User, action: Action, program_id: int) -> None:
    roles = roles_in(user, program_id)
    if not roles:
        raise NotFound("Not found")
    if action not in allowed_actions(user, program_id):
        raise PermissionDenied(
            f"Your role ({', '.join(sorted(roles))}) may not {action.value.replace('_', ' ')}",
            detail={"action": action.value},
        )
