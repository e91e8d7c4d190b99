"""JSON API of the safety app (django-ninja router, mounted at /api/safety/)."""

from uuid import UUID

from ninja import Router

from speciosa.clinical.errors import NotFound
from speciosa.clinical.evidence.cards import load_cards
from speciosa.clinical.safety.rules import load_rules
from speciosa.safety import services
from speciosa.safety.queries import get_alert_for_user, program_for_user, program_inbox
from speciosa.safety.schemas import (
    AcknowledgeIn,
    AlertOut,
    EvidenceCardOut,
    OverrideIn,
    RuleOut,
)

router = Router(tags=["safety"])


@router.get("/programs/{code}/alerts", response=list[AlertOut])
def list_program_alerts(request, code: str, include_resolved: bool = False, limit: int = 200):
    """Alert inbox: most severe first, then the longest waiting."""
    program = program_for_user(request.auth, code)
    limit = max(1, min(limit, 1000))
    alerts = program_inbox(request.auth, program, include_resolved=include_resolved)[:limit]
    return [AlertOut.from_model(a) for a in alerts]


@router.get("/alerts/{alert_id}", response=AlertOut)
def read_alert(request, alert_id: UUID):
    return AlertOut.from_model(get_alert_for_user(request.auth, alert_id))


@router.post("/alerts/{alert_id}/acknowledge", response=AlertOut)
def acknowledge(request, alert_id: UUID, body: AcknowledgeIn):
    alert = get_alert_for_user(request.auth, alert_id)
    services.acknowledge_alert(
        actor=request.auth, alert=alert, reason=body.reason, expected_version=body.version
    )
    return AlertOut.from_model(alert)


@router.post("/alerts/{alert_id}/override", response=AlertOut)
def override(request, alert_id: UUID, body: OverrideIn):
    alert = get_alert_for_user(request.auth, alert_id)
    services.override_alert(
        actor=request.auth, alert=alert, reason=body.reason, expected_version=body.version
    )
    return AlertOut.from_model(alert)


@router.get("/evidence", response=list[EvidenceCardOut])
def list_evidence_cards(request):
    return [EvidenceCardOut.from_card(card) for card in load_cards().values()]


@router.get("/evidence/{card_id}", response=EvidenceCardOut)
def read_evidence_card(request, card_id: str):
    card = load_cards().get(card_id.upper())
    if card is None:
        raise NotFound("Evidence card not found")
    return EvidenceCardOut.from_card(card)


@router.get("/rules", response=list[RuleOut])
def list_rules(request):
    return [RuleOut.from_rule(rule) for rule in load_rules()]
