"""Cohort filters for the dashboard: cohort A, and optionally cohort B to compare with."""

from __future__ import annotations

from datetime import date

from django import forms

from speciosa.accounts.models import Program
from speciosa.clinical.outcomes.definitions import load_definitions
from speciosa.clinical.outcomes.tables import CohortFilter
from speciosa.patients.models import SEX_CHOICES, AsamLevel


def _multi(choices, label: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=choices, required=False, label=label, widget=forms.CheckboxSelectMultiple
    )


class DateInput(forms.DateInput):
    input_type = "date"


class CohortForm(forms.Form):
    program = forms.MultipleChoiceField(required=False, label="Programs")
    admitted_from = forms.DateField(required=False, label="Admitted from", widget=DateInput)
    admitted_to = forms.DateField(required=False, label="Admitted to", widget=DateInput)
    level = _multi(AsamLevel.choices, "Level of care")
    diagnosis = _multi([], "Diagnosis groups (any of)")
    age_band = _multi([], "Age band")
    sex = _multi(SEX_CHOICES, "Sex at birth")
    as_of = forms.DateField(required=False, label="Report date", widget=DateInput)
    compare = forms.BooleanField(required=False, label="Compare with cohort B")
    b_program = forms.MultipleChoiceField(required=False, label="B: programs")
    b_admitted_from = forms.DateField(required=False, label="B: admitted from", widget=DateInput)
    b_admitted_to = forms.DateField(required=False, label="B: admitted to", widget=DateInput)

    def __init__(self, *args, programs: list[Program], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.programs = {p.code: p for p in programs}
        choices = [(p.code, p.name) for p in programs]
        self.fields["program"].choices = choices
        self.fields["program"].widget = forms.CheckboxSelectMultiple(choices=choices)
        self.fields["b_program"].choices = choices
        self.fields["b_program"].widget = forms.CheckboxSelectMultiple(choices=choices)
        d = load_definitions()
        self.fields["diagnosis"].choices = [
            (gid, g.label) for gid, g in d.cohort.diagnosis_groups.items()
        ]
        self.fields["age_band"].choices = [(b.id, b.id) for b in d.cohort.age_bands]

    def clean(self):
        data = super().clean()
        for prefix in ("", "b_"):
            start, end = data.get(f"{prefix}admitted_from"), data.get(f"{prefix}admitted_to")
            if start and end and start > end:
                self.add_error(f"{prefix}admitted_to", "Must be on or after the start date.")
        return data

    def _ids(self, codes: list[str]) -> tuple[int, ...]:
        return tuple(sorted(self.programs[c].id for c in codes))

    def report_date(self, today: date) -> date:
        return self.cleaned_data.get("as_of") or today

    def cohort_a(self) -> CohortFilter:
        c = self.cleaned_data
        return CohortFilter(
            admitted_from=c.get("admitted_from"),
            admitted_to=c.get("admitted_to"),
            program_ids=self._ids(c.get("program") or []),
            levels_of_care=tuple(c.get("level") or ()),
            diagnosis_groups=tuple(c.get("diagnosis") or ()),
            age_bands=tuple(c.get("age_band") or ()),
            sexes=tuple(c.get("sex") or ()),
        )

    def cohort_b(self) -> CohortFilter | None:
        """Same patient filters as A, with B's own programs and admission dates."""
        c = self.cleaned_data
        if not c.get("compare"):
            return None
        a = self.cohort_a()
        return CohortFilter(
            admitted_from=c.get("b_admitted_from"),
            admitted_to=c.get("b_admitted_to"),
            program_ids=self._ids(c.get("b_program") or []) or a.program_ids,
            levels_of_care=a.levels_of_care,
            diagnosis_groups=a.diagnosis_groups,
            age_bands=a.age_bands,
            sexes=a.sexes,
        )
