"""Signal receiver and demo step: alerts follow the facts inside the same transaction."""

from speciosa.demo.steps import DemoContext
from speciosa.safety import services


def reevaluate_on_facts_changed(
    sender, *, patient, actor=None, reason: str = "", changed=None, **kwargs
):
    # Runs inside the writer's transaction (the signal is sent there), so a rolled-back
    # write leaves no alert behind and a committed one always has its alerts.
    services.reevaluate_patient(
        patient=patient, actor=actor, reason=reason or "facts changed", changed=changed
    )


def recheck_demo_program(ctx: DemoContext) -> None:
    services.reevaluate_program(ctx.program, actor=None, progress=ctx.progress)
