"""Who may see what: the one place that answers program and role questions.

Every patient read starts from ``Patient.objects.for_user(user)`` which calls
``program_ids_for`` below. Another program's object is reported as *not found*.
"""

from collections.abc import Iterable

from speciosa.accounts.models import CLINICAL_ROLES, Membership, Program, Role, User
from speciosa.core.compiled import CompiledQuery

# asked on every request: the SQL is built once (core.compiled)
_ACTIVE_MEMBERSHIPS = CompiledQuery(
    lambda user_id: Membership.objects.filter(user_id=user_id, is_active=True).select_related(
        "program"
    )
)


def memberships_for(user: User) -> list[Membership]:
    if not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, "_speciosa_memberships", None)
    if cached is None:
        cached = _ACTIVE_MEMBERSHIPS.models(user.pk)
        user._speciosa_memberships = cached  # type: ignore[attr-defined]
    return cached


def program_ids_for(user: User, roles: Iterable[str] | None = None) -> set[int]:
    """Programs in which ``user`` holds one of ``roles`` (default: any clinical role)."""
    wanted = set(roles) if roles is not None else set(CLINICAL_ROLES)
    return {m.program_id for m in memberships_for(user) if m.role in wanted}


def programs_for(user: User) -> list[Program]:
    seen: dict[int, Program] = {}
    for m in memberships_for(user):
        seen.setdefault(m.program_id, m.program)
    return sorted(seen.values(), key=lambda p: p.name)


def roles_in(user: User, program_id: int) -> set[str]:
    if getattr(user, "_speciosa_memberships", None) is None:
        known = getattr(user, "_speciosa_program_roles", None)
        if known is not None and program_id in known:
            return set(known[program_id])
    return {m.role for m in memberships_for(user) if m.program_id == program_id}


def remember_roles(user: User, program_id: int, roles: Iterable[str]) -> None:
    """Record ``user``'s active roles in one program, read in the same statement as an
    object of that program (``get_patient_for_user``). ``roles_in`` answers from it for
    the rest of the request, as ``memberships_for`` would, without another query."""
    if not user.is_authenticated or not user.is_active:
        return
    known = getattr(user, "_speciosa_program_roles", None)
    if known is None:
        known = {}
        user._speciosa_program_roles = known  # type: ignore[attr-defined]
    known[program_id] = frozenset(roles)


def has_role(user: User, program_id: int, *roles: Role) -> bool:
    return bool(roles_in(user, program_id) & set(roles))
