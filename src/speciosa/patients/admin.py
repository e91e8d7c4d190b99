from django.contrib import admin

from speciosa.patients.models import (
    Diagnosis,
    Episode,
    LabResult,
    Medication,
    Patient,
    SubstanceUse,
)


class PatientChildInline(admin.TabularInline):
    extra = 0
    exclude = ["program", "created_by", "version"]


class EpisodeInline(PatientChildInline):
    model = Episode


class SubstanceUseInline(PatientChildInline):
    model = SubstanceUse


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["mrn", "family_name", "given_name", "birth_date", "program"]
    list_filter = ["program"]
    search_fields = ["mrn", "family_name"]
    readonly_fields = ["uid", "version", "created_at", "updated_at"]
    inlines = [EpisodeInline, SubstanceUseInline]


for model in (Diagnosis, Medication, LabResult, SubstanceUse, Episode):
    admin.site.register(
        model,
        list_display=["__str__", "patient", "program", "updated_at"],
        list_select_related=["patient", "program"],
        readonly_fields=["uid", "version"],
    )
