from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "speciosa.plans"
    label = "plans"

    def ready(self) -> None:
        from speciosa.core.signals import patient_facts_changed
        from speciosa.demo.steps import register_demo_step
        from speciosa.patients.facts import register_fact_provider
        from speciosa.plans.demo import add_demo_plans
        from speciosa.plans.facts import care_event_facts
        from speciosa.plans.receivers import reevaluate_open_plans

        register_fact_provider("events", care_event_facts)
        patient_facts_changed.connect(reevaluate_open_plans, dispatch_uid="plans-reevaluate")
        register_demo_step(30, "plans", add_demo_plans)
