from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "speciosa.safety"
    label = "safety"

    def ready(self) -> None:
        from speciosa.core.signals import patient_facts_changed
        from speciosa.demo.steps import register_demo_step
        from speciosa.safety import receivers

        patient_facts_changed.connect(
            receivers.reevaluate_on_facts_changed, dispatch_uid="safety.reevaluate"
        )
        register_demo_step(20, "safety", receivers.recheck_demo_program)
