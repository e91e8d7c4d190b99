import pytest

from speciosa.accounts.models import Role
from speciosa.accounts.permissions import MATRIX, Action, can, require
from speciosa.clinical.errors import NotFound, PermissionDenied


def test_every_role_has_a_row_in_the_matrix():
    assert set(MATRIX) == set(Role)


def test_only_prescribers_may_order_medication():
    assert [r for r, actions in MATRIX.items() if Action.ORDER_MEDICATION in actions] == [
        Role.PRESCRIBER
    ]


def test_researchers_cannot_view_charts():
    assert Action.VIEW_CHART not in MATRIX[Role.RESEARCHER]


def test_require_hides_other_programs_as_not_found(outsider, program):
    with pytest.raises(NotFound):
        require(outsider, Action.VIEW_CHART, program.pk)


def test_require_names_the_missing_action(counsellor, program):
    with pytest.raises(PermissionDenied, match="order medication"):
        require(counsellor, Action.ORDER_MEDICATION, program.pk)


def test_can_answers_for_own_program(prescriber, program):
    assert can(prescriber, Action.ORDER_MEDICATION, program.pk) is True
