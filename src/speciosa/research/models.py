"""Studies, arms, outcomes, visit schedules, screening, e-consent, concealed randomization
lists, enrolments, study assessments, adverse events and study-level safety alerts.

Decisions (eligibility, allocation, deadlines, stopping rules) are made in
``speciosa.clinical.research``; these models store inputs and results.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from speciosa.clinical.research.adverse_events import Relatedness, SeverityGrade
from speciosa.clinical.research.study_status import StudyStatus
from speciosa.core.models import ClinicalRecord


def _choices(enum) -> list[tuple[str, str]]:
    return [(m.value, m.value.replace("_", " ").capitalize()) for m in enum]


def _new_secret() -> str:
    return secrets.token_hex(16)


class RandomizationMethod(models.TextChoices):
    PERMUTED_BLOCKS = "permuted_blocks", "Stratified permuted blocks"
    MINIMIZATION = "minimization", "Minimization (Pocock–Simon)"


class Study(ClinicalRecord):
    protocol_id = models.SlugField(max_length=40)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    irb_number = models.CharField("IRB number", max_length=60, blank=True)
    irb_approved_on = models.DateField("IRB approval date", null=True, blank=True)
    irb_expires_on = models.DateField("IRB approval expires", null=True, blank=True)
    status = models.CharField(max_length=12, choices=_choices(StudyStatus), default="draft")
    subject_prefix = models.CharField(max_length=8, help_text="Study subject ids: PREFIX-001")
    randomization_method = models.CharField(
        max_length=20, choices=RandomizationMethod.choices, default="permuted_blocks"
    )
    randomization_seed = models.BigIntegerField(default=0)
    block_multipliers = models.JSONField(default=list, help_text="e.g. [1, 2, 3]")
    # [{"name": "adhd", "condition": {...eligibility condition...}}] -> "yes"/"no" strata
    stratification_factors = models.JSONField(default=list, blank=True)
    eligibility_criteria = models.JSONField(default=list, blank=True)
    stopping_rules = models.JSONField(default=list, blank=True)
    list_size_per_stratum = models.PositiveIntegerField(default=60)
    # key for per-subject date shifting in exports; never exported
    deid_secret = models.CharField(max_length=64, default=_new_secret, editable=False)
    pause_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = "studies"
        constraints = [
            models.UniqueConstraint(
                fields=["program", "protocol_id"], name="study_unique_program_protocol"
            )
        ]

    def __str__(self) -> str:
        return f"{self.protocol_id}: {self.title}"

    @property
    def is_enrolling(self) -> bool:
        return self.status == StudyStatus.ENROLLING


class Arm(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="arms")
    code = models.SlugField(max_length=30)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    ratio = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "code"], name="arm_unique_study_code")
        ]

    def __str__(self) -> str:
        return self.name


class OutcomeMeasure(models.TextChoices):
    VALUE_AT_VISIT = "value_at_visit", "Value at a visit"
    TRAJECTORY = "trajectory", "Value over all visits (mixed model)"
    PEAK = "peak", "Peak value during follow-up"


class Outcome(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="outcomes")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    instrument_id = models.CharField(max_length=40, help_text='e.g. "asrs_full", "cows"')
    measure = models.CharField(max_length=20, choices=OutcomeMeasure.choices)
    visit_code = models.CharField(max_length=20, blank=True, help_text="for value_at_visit")
    is_primary = models.BooleanField(default=False)
    lower_is_better = models.BooleanField(default=True)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "code"], name="outcome_unique_study_code")
        ]

    def __str__(self) -> str:
        return self.name


class VisitDefinition(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="visit_definitions")
    code = models.SlugField(max_length=20)
    label = models.CharField(max_length=60)
    day = models.PositiveIntegerField(help_text="target day after randomization")
    window_days = models.PositiveSmallIntegerField(default=3)
    instruments = models.JSONField(default=list, blank=True, help_text="assessments due")

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["study", "code"], name="visitdef_unique_study_code")
        ]

    def __str__(self) -> str:
        return self.label


class ScreeningDecision(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    INELIGIBLE = "ineligible", "Screen fail"
    INCOMPLETE = "incomplete", "Incomplete (facts missing)"


class ScreeningLog(ClinicalRecord):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="screenings")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    screened_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(max_length=12, choices=ScreeningDecision.choices)
    reasons = models.JSONField(default=list, blank=True)  # one per failed criterion
    results = models.JSONField(default=list, blank=True)  # every criterion's outcome

    class Meta:
        ordering = ["-screened_at", "-id"]
        indexes = [models.Index(fields=["study", "patient"], name="screening_study_patient")]


class ConsentDocument(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="consent_documents")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    irb_approved_on = models.DateField(null=True, blank=True)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["study", "version"], name="consentdoc_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class ConsentMethod(models.TextChoices):
    ELECTRONIC = "electronic", "Electronic signature"
    PAPER = "paper", "Wet-ink signature on paper (scanned)"
    REMOTE = "remote", "Remote e-consent (video visit)"


class StudyConsent(ClinicalRecord):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="consents")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="+")
    signature_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=12, choices=ConsentMethod.choices)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["study", "patient"], name="consent_study_patient")]

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", "On study"
    COMPLETED = "completed", "Completed follow-up"
    WITHDRAWN = "withdrawn", "Withdrew consent"
    LOST = "lost", "Lost to follow-up"


class Enrolment(ClinicalRecord):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="enrolments")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    subject_id = models.CharField(max_length=20)
    arm = models.ForeignKey(Arm, on_delete=models.PROTECT, related_name="enrolments")
    stratum = models.CharField(max_length=200)
    randomized_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=EnrolmentStatus.choices, default="active")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["subject_id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "patient"], name="enrolment_unique_patient"),
            models.UniqueConstraint(
                fields=["study", "subject_id"], name="enrolment_unique_subject"
            ),
        ]

    def __str__(self) -> str:
        return self.subject_id


class RandomizationEntry(models.Model):
    """One slot of the concealed list. Read only through ``queries.allocated_entries``:
    an unallocated slot is never shown to anyone through the app or the API."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="+")
    stratum = models.CharField(max_length=200)
    sequence = models.PositiveIntegerField()
    arm = models.ForeignKey(Arm, on_delete=models.PROTECT, related_name="+")
    block = models.PositiveIntegerField()
    block_size = models.PositiveSmallIntegerField()
    enrolment = models.OneToOneField(
        Enrolment, null=True, blank=True, on_delete=models.PROTECT, related_name="list_entry"
    )
    allocated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["stratum", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "stratum", "sequence"], name="randentry_unique_slot"
            )
        ]

    def __str__(self) -> str:
        # never the arm: the string may reach logs or the admin
        return f"{self.stratum} #{self.sequence}"


class StudyAssessment(ClinicalRecord):
    """One outcome value at a visit (e.g. kratom use days, COWS, ASRS total).

    ``score``: the scored questionnaire the value was taken from (its total, its time),
    so a study value can be traced to its source record; null for a value entered by
    hand (e.g. use days from a timeline follow-back)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="assessments")
    visit_code = models.CharField(max_length=20)
    instrument_id = models.CharField(max_length=40)
    value = models.FloatField()
    assessed_at = models.DateTimeField(default=timezone.now)
    score = models.ForeignKey(
        "measures.Score",
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # source data of a trial outcome is never deleted under it
        related_name="study_assessments",
    )

    class Meta:
        ordering = ["assessed_at", "id"]
        indexes = [
            models.Index(fields=["enrolment", "instrument_id"], name="assessment_enrol_instr")
        ]
        constraints = [  # one score is one visit's value, not copied into several
            models.UniqueConstraint(fields=["enrolment", "score"], name="assessment_unique_score")
        ]


class AdverseEventCategory(models.TextChoices):
    # coded (exportable) category; the verbatim term stays inside the program
    GASTROINTESTINAL = "gastrointestinal", "Gastrointestinal"
    HEPATIC = "hepatic", "Hepatobiliary"
    NERVOUS_SYSTEM = "nervous_system", "Nervous system"
    PSYCHIATRIC = "psychiatric", "Psychiatric"
    WITHDRAWAL = "withdrawal", "Withdrawal syndrome"
    CARDIAC = "cardiac", "Cardiac"
    RESPIRATORY = "respiratory", "Respiratory"
    OVERDOSE = "overdose", "Overdose / poisoning"
    SKIN = "skin", "Skin"
    OTHER = "other", "Other"


class AdverseEvent(ClinicalRecord):
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="adverse_events"
    )
    term = models.CharField(max_length=200, help_text="Verbatim term (not exported)")
    category = models.CharField(max_length=20, choices=AdverseEventCategory.choices)
    onset_on = models.DateField()
    resolved_on = models.DateField(null=True, blank=True)
    aware_at = models.DateTimeField(default=timezone.now, help_text="reporting clocks start")
    seriousness = models.JSONField(default=list, blank=True)  # SeriousnessCriterion values
    is_serious = models.BooleanField(default=False)
    grade = models.PositiveSmallIntegerField(
        choices=[(g.value, g.name.title()) for g in SeverityGrade]
    )
    relatedness = models.CharField(max_length=12, choices=_choices(Relatedness))
    is_expected = models.BooleanField()
    reported_clocks = models.JSONField(default=list, blank=True)  # clock ids already filed
    next_deadline_at = models.DateTimeField(null=True, blank=True, db_index=True)
    next_deadline_clock = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["-aware_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolved_on__isnull=True)
                | models.Q(resolved_on__gte=models.F("onset_on")),
                name="ae_resolved_after_onset",
            )
        ]


class StudyAlert(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="alerts")
    rule_id = models.CharField(max_length=60)
    reason = models.CharField(max_length=400)
    arm_code = models.CharField(max_length=30, blank=True)
    subject_id = models.CharField(max_length=20, blank=True)
    citation = models.CharField(max_length=400, blank=True)
    paused_enrolment = models.BooleanField(default=False)
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "rule_id", "arm_code", "subject_id"], name="alert_unique_signal"
            )
        ]

    def __str__(self) -> str:
        return self.reason
