"""Patients, episodes of care, substance use (kratom in detail), diagnoses, medications, labs."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from speciosa.clinical.facts import KratomForm, LabMethod, MedicationStatus, Route, Sex, Substance
from speciosa.core.models import ClinicalRecord


def _choices(enum, labels: dict[str, str] | None = None) -> list[tuple[str, str]]:
    labels = labels or {}
    return [(m.value, labels.get(m.value, m.value.replace("_", " ").capitalize())) for m in enum]


SEX_CHOICES = _choices(Sex)
SUBSTANCE_CHOICES = _choices(Substance)
KRATOM_FORM_CHOICES = _choices(
    KratomForm,
    {
        "leaf_powder": "Leaf powder",
        "capsules": "Capsules",
        "extract_shot": "Liquid extract / shot",
        "seven_oh": "7-hydroxymitragynine (7-OH) product",
        "other": "Other",
    },
)
ROUTE_CHOICES = _choices(Route)
LAB_METHOD_CHOICES = _choices(
    LabMethod,
    {
        "immunoassay": "Immunoassay",
        "lc_ms_ms": "LC-MS/MS",
        "gc_ms": "GC-MS",
        "point_of_care": "Point-of-care cup",
        "chemistry": "Serum chemistry",
    },
)
MEDICATION_STATUS_CHOICES = _choices(MedicationStatus)


class PatientQuerySet(models.QuerySet):
    def for_user(self, user):
        """Only patients of programs where ``user`` holds a clinical role, plus patients
        ``user`` holds an active break-the-glass grant for (read-only; see privacy app)."""
        from speciosa.accounts.access import program_ids_for
        from speciosa.privacy.queries import break_glass_patient_filter

        in_programs = models.Q(program_id__in=program_ids_for(user))
        glass = break_glass_patient_filter(user)
        # the grant lookup is a subquery of this same query: no extra round trip
        return self.filter(in_programs | glass if glass is not None else in_programs)


class Patient(ClinicalRecord):
    mrn = models.CharField("MRN", max_length=40)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    sex_at_birth = models.CharField(max_length=10, choices=SEX_CHOICES, default=Sex.UNKNOWN)
    gender_identity = models.CharField(max_length=60, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    preferred_language = models.CharField(max_length=20, default="en", help_text="BCP-47 tag")
    allergies = models.CharField(max_length=300, blank=True)
    is_pregnant = models.BooleanField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "mrn"], name="patient_unique_program_mrn")
        ]
        indexes = [
            models.Index(fields=["program", "family_name", "given_name"], name="patient_name"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class PatientRecord(ClinicalRecord):
    """A clinical row that belongs to one patient (and, through it, one program)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class AsamLevel(models.TextChoices):
    # ASAM Criteria, 3rd ed. (Mee-Lee et al., 2013) levels of care.
    EARLY_INTERVENTION = "0.5", "0.5 Early intervention"
    OUTPATIENT = "1", "1 Outpatient"
    OTP = "1-OTP", "1 Opioid treatment program"
    INTENSIVE_OUTPATIENT = "2.1", "2.1 Intensive outpatient"
    PARTIAL_HOSPITAL = "2.5", "2.5 Partial hospitalization"
    RESIDENTIAL_LOW = "3.1", "3.1 Clinically managed low-intensity residential"
    RESIDENTIAL_POP_SPECIFIC = "3.3", "3.3 Clinically managed population-specific residential"
    RESIDENTIAL_HIGH = "3.5", "3.5 Clinically managed high-intensity residential"
    MEDICALLY_MONITORED = "3.7", "3.7 Medically monitored inpatient"
    MEDICALLY_MANAGED = "4", "4 Medically managed intensive inpatient"


class DischargeReason(models.TextChoices):
    COMPLETED = "completed", "Treatment completed"
    TRANSFERRED = "transferred", "Transferred to another level/program"
    LEFT_AGAINST_ADVICE = "left_against_advice", "Left against clinical advice"
    ADMINISTRATIVE = "administrative", "Administrative discharge"
    INCARCERATED = "incarcerated", "Incarcerated"
    DIED = "died", "Died"
    OTHER = "other", "Other"


class Episode(PatientRecord):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="episodes")
    asam_level = models.CharField("ASAM level of care", max_length=6, choices=AsamLevel.choices)
    admitted_on = models.DateField()
    discharged_on = models.DateField(null=True, blank=True)
    discharge_reason = models.CharField(max_length=30, choices=DischargeReason.choices, blank=True)
    primary_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-admitted_on"]
        indexes = [models.Index(fields=["program", "admitted_on"], name="episode_admitted")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discharged_on__isnull=True)
                | models.Q(discharged_on__gte=models.F("admitted_on")),
                name="episode_discharge_after_admission",
            )
        ]

    def __str__(self) -> str:
        return f"Episode {self.admitted_on} ({self.get_asam_level_display()})"

    @property
    def is_open(self) -> bool:
        return self.discharged_on is None


class SubstanceUse(PatientRecord):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="substance_uses")
    substance = models.CharField(max_length=30, choices=SUBSTANCE_CHOICES)
    is_current = models.BooleanField(default=True)
    last_use_at = models.DateTimeField(null=True, blank=True)
    # kratom-specific
    kratom_form = models.CharField(max_length=20, choices=KRATOM_FORM_CHOICES, blank=True)
    grams_per_day = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    doses_per_day = models.PositiveSmallIntegerField(null=True, blank=True)
    years_of_use = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    source_vendor = models.CharField(max_length=200, blank=True)
    # other substances
    amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    unit = models.CharField(max_length=30, blank=True)
    route = models.CharField(max_length=20, choices=ROUTE_CHOICES, blank=True)
    frequency = models.CharField(max_length=60, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "substance"], name="substance_patient")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grams_per_day__isnull=True) | models.Q(grams_per_day__gte=0),
                name="substance_grams_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(substance="kratom") | models.Q(kratom_form=""),
                name="substance_kratom_form_only_for_kratom",
            ),
        ]

    def __str__(self) -> str:
        if self.substance == Substance.KRATOM:
            form = self.get_kratom_form_display() if self.kratom_form else "form ?"
            return f"Kratom {self.grams_per_day or '?'} g/day ({form})"
        return self.get_substance_display()


class Diagnosis(PatientRecord):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="diagnoses")
    icd10_code = models.CharField("ICD-10-CM", max_length=8)
    text = models.CharField(max_length=200)
    onset_on = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "diagnoses"
        indexes = [models.Index(fields=["patient", "icd10_code"], name="diagnosis_patient")]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.text}"


class Medication(PatientRecord):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField(max_length=120, help_text="Generic name")
    rxnorm_code = models.CharField("RxNorm code", max_length=20, blank=True)
    dose = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    unit = models.CharField(max_length=30, blank=True)
    route = models.CharField(max_length=20, choices=ROUTE_CHOICES, blank=True)
    frequency = models.CharField(max_length=60, blank=True)
    status = models.CharField(
        max_length=10, choices=MEDICATION_STATUS_CHOICES, default=MedicationStatus.ACTIVE
    )
    start_at = models.DateTimeField(null=True, blank=True)
    stop_at = models.DateTimeField(null=True, blank=True)
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    indication = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "status"], name="medication_patient")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dose__isnull=True) | models.Q(dose__gte=0),
                name="medication_dose_non_negative",
            )
        ]

    def __str__(self) -> str:
        # format "f": Decimal("40.000").normalize() would print as 4E+1
        dose = f" {self.dose.normalize():f} {self.unit}" if self.dose is not None else ""
        return f"{self.name}{dose} {self.frequency}".strip()


class LabResult(PatientRecord):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="lab_results")
    analyte = models.CharField(max_length=40, help_text="e.g. ALT, AST, MITRAGYNINE, FENTANYL")
    loinc = models.CharField("LOINC", max_length=20, blank=True)
    specimen = models.CharField(max_length=20, default="serum")
    value = models.FloatField(null=True, blank=True)
    result_text = models.CharField(max_length=40, blank=True, help_text="positive / negative")
    unit = models.CharField(max_length=30, blank=True)
    ref_low = models.FloatField(null=True, blank=True)
    ref_high = models.FloatField(null=True, blank=True)
    cutoff = models.FloatField(null=True, blank=True, help_text="Screening cut-off (ng/mL)")
    method = models.CharField(max_length=20, choices=LAB_METHOD_CHOICES, default="chemistry")
    collected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["patient", "analyte", "collected_at"], name="lab_patient")]

    def __str__(self) -> str:
        shown = self.result_text or (
            f"{self.value:g} {self.unit}" if self.value is not None else ""
        )
        return f"{self.analyte} {shown}"
