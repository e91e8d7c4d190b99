"""One positive and one negative (near-miss) patient per rule.

A rule added to the data without a case here fails ``test_every_rule_has_cases``.
"""

from __future__ import annotations

from speciosa.clinical.facts import KratomForm, MedicationStatus, PatientFacts, Substance
from tests.clinical.safety.builders import (
    dx,
    event,
    kratom,
    lab,
    med,
    mitragynine_confirmed,
    patient,
    score,
    uds,
    uses,
)

ORDERED = MedicationStatus.ORDERED
STOPPED = MedicationStatus.STOPPED

# rule id -> (patient for whom it must fire, patient for whom it must not)
CASES: dict[str, tuple[PatientFacts, PatientFacts]] = {
    "kratom-full-agonist-opioid": (
        patient(substances=(kratom(), uses(Substance.FENTANYL))),
        patient(substances=(kratom(), uses(Substance.CANNABIS))),
    ),
    "kratom-benzodiazepine": (
        patient(substances=(kratom(),), medications=(med("alprazolam"),)),
        patient(substances=(kratom(),), medications=(med("alprazolam", STOPPED),)),
    ),
    "kratom-alcohol": (
        patient(substances=(kratom(), uses(Substance.ALCOHOL))),
        patient(substances=(uses(Substance.ALCOHOL),)),
    ),
    "kratom-gabapentinoid": (
        patient(substances=(kratom(),), medications=(med("pregabalin"),)),
        patient(medications=(med("pregabalin"),)),
    ),
    "kratom-cyp2d6-substrate": (
        patient(substances=(kratom(),), medications=(med("atomoxetine"),)),
        patient(substances=(kratom(),), medications=(med("sertraline"),)),
    ),
    "kratom-cyp3a4-substrate": (
        patient(substances=(kratom(),), medications=(med("quetiapine"),)),
        patient(substances=(kratom(),), medications=(med("clonidine"),)),
    ),
    "kratom-methadone": (
        patient(substances=(kratom(),), medications=(med("methadone"),)),
        patient(medications=(med("methadone"),)),
    ),
    "naltrexone-recent-opioid-or-kratom": (
        patient(substances=(kratom(hours_ago=30),), medications=(med("vivitrol", ORDERED),)),
        patient(
            substances=(uses(Substance.HEROIN, hours_ago=24 * 20),),
            medications=(med("naltrexone", ORDERED),),
        ),
    ),
    "naltrexone-short-opioid-free-interval": (
        patient(
            substances=(uses(Substance.HEROIN, hours_ago=24 * 9),),
            medications=(med("naltrexone", ORDERED),),
        ),
        patient(
            substances=(uses(Substance.HEROIN, hours_ago=24 * 15),),
            medications=(med("naltrexone", ORDERED),),
        ),
    ),
    "buprenorphine-induction-after-kratom": (
        patient(
            substances=(kratom(hours_ago=4),),
            medications=(med("buprenorphine", ORDERED),),
        ),
        patient(
            substances=(kratom(hours_ago=20),),
            medications=(med("buprenorphine", ORDERED),),
            scores=(score("cows", 11),),
        ),
    ),
    "kratom-concentrated-product": (
        patient(substances=(kratom("2", KratomForm.SEVEN_OH),)),
        patient(substances=(kratom("2", KratomForm.CAPSULES),)),
    ),
    "kratom-high-daily-dose": (
        patient(substances=(kratom("45"),)),
        patient(substances=(kratom("39.5"),)),
    ),
    "kratom-liver-signal": (
        patient(substances=(kratom(),), labs=(lab("ALT", 150, 40),)),
        patient(substances=(kratom(),), labs=(lab("ALT", 100, 40),)),
    ),
    "kratom-seizure-history": (
        patient(substances=(kratom(),), diagnoses=(dx("G40.909"),)),
        patient(substances=(kratom(),), diagnoses=(dx("G40.909", active=False),)),
    ),
    "kratom-pregnancy": (
        patient(substances=(kratom(),), is_pregnant=True),
        patient(substances=(kratom(),), is_pregnant=False),
    ),
    "kratom-uds-immunoassay-limits": (
        patient(substances=(kratom(),), labs=(uds(),)),
        patient(substances=(kratom(),), labs=(uds(), mitragynine_confirmed())),
    ),
    "phq9-item9-positive": (
        patient(scores=(score("phq9", 12, items={"phq9-9": 2}),)),
        patient(scores=(score("phq9", 22, items={"phq9-9": 0}),)),
    ),
    "cssrs-high-risk": (
        patient(scores=(score("cssrs", band="High"),)),
        patient(scores=(score("cssrs", band="moderate"),)),
    ),
    "cssrs-moderate-risk": (
        patient(scores=(score("cssrs", band="moderate"),)),
        patient(scores=(score("cssrs", band="low"),)),
    ),
    "cssrs-low-risk": (
        patient(scores=(score("cssrs", band="low"),)),
        patient(scores=(score("cssrs", band="none"),)),
    ),
    "cows-severe-withdrawal": (
        patient(scores=(score("cows", 27),)),
        patient(scores=(score("cows", 24),)),
    ),
    "ciwa-severe-withdrawal": (
        patient(scores=(score("ciwa_ar", 16),)),
        patient(scores=(score("ciwa_ar", 9),)),
    ),
    "reliable-deterioration": (
        patient(scores=(score("phq9", 8, days_ago=30), score("phq9", 15))),
        patient(scores=(score("phq9", 8, days_ago=30), score("phq9", 13))),
    ),
    "asrs-positive-without-adhd-plan": (
        patient(scores=(score("asrs_screener", 5, positive=True),)),
        patient(
            scores=(score("asrs_screener", 5, positive=True),),
            events=(event("assessment:adhd"),),
        ),
    ),
    "stimulant-rx-stimulant-use-disorder": (
        patient(medications=(med("adderall"),), diagnoses=(dx("F15.20"),)),
        patient(medications=(med("adderall"),), diagnoses=(dx("F11.20"),)),
    ),
}
