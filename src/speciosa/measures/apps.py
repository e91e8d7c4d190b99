from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "speciosa.measures"
    label = "measures"

    def ready(self) -> None:
        from speciosa.demo.steps import register_demo_step
        from speciosa.measures.demo import add_demo_scores
        from speciosa.measures.facts import score_facts
        from speciosa.patients.facts import register_fact_provider

        register_fact_provider("scores", score_facts)
        register_demo_step(10, "measures", add_demo_scores)
