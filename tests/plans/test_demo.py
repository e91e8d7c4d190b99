from speciosa.demo.generate import generate_demo_program
from speciosa.patients.models import SubstanceUse
from speciosa.plans.models import CareEvent, TreatmentPlan


def test_demo_step_creates_plans_through_the_services(db):
    generate_demo_program(patients=20, seed=5)
    plans = list(TreatmentPlan.objects.prefetch_related("versions"))
    assert 1 <= len(plans) <= 20
    assert all(p.versions.count() == 1 and p.last_evaluation for p in plans)
    assert CareEvent.objects.filter(kind="session:cbt").exists()


def test_demo_tapers_only_patients_who_use_kratom(db):
    generate_demo_program(patients=20, seed=5)
    taper_patients = {
        p.patient_id for p in TreatmentPlan.objects.all() if "kratom-taper" in p.pathway_ids
    }
    users = set(
        SubstanceUse.objects.filter(substance="kratom", is_current=True).values_list(
            "patient_id", flat=True
        )
    )
    assert taper_patients and taper_patients <= users
