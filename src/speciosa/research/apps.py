from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "speciosa.research"
    label = "research"

    def ready(self) -> None:
        from speciosa.core.signals import patient_facts_changed
        from speciosa.demo.steps import register_demo_step
        from speciosa.patients.facts import register_fact_provider
        from speciosa.research.demo import load_demo_study
        from speciosa.research.facts import study_arms_for

        register_fact_provider("study_arms", study_arms_for)
        patient_facts_changed.connect(_on_facts_changed, dispatch_uid="research-stopping-rules")
        register_demo_step(40, "research", load_demo_study)


def _on_facts_changed(sender, patient, actor=None, reason="", changed=None, **kwargs) -> None:
    # a new lab of an enrolled patient may meet a liver-injury stopping rule; stopping
    # rules read only labs and serious adverse events (filing one re-runs them itself)
    if reason == "study_arm":
        return
    if changed is not None and "labs" not in changed:
        return
    from speciosa.research.services import reevaluate_after_facts_change

    reevaluate_after_facts_change(patient=patient, actor=actor)
