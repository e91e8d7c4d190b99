"""Resource types the server speaks, and the model sources each is read from.

A ``ResourceType`` has one or more ``Source``s: Observation, for instance, is read from
lab results, substance-use records and (when the measures app is installed) scores.
Search, read, paging and export walk the sources in a fixed order, each by primary key,
so a page cursor is simply ``(source index, last primary key)``.
"""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, Q, QuerySet

from speciosa.fhir.http import FhirContext
from speciosa.fhir.outcome import FhirError

ParamFilter = Callable[[str], Q]
NOTHING = Q(pk__in=[])


@dataclass
class Source:
    """One model whose rows are resources of one type."""

    key: str  # short stable name, part of page cursors and export file names
    model: type[Model]
    to_fhir: Callable[[Any], dict[str, Any]]
    filters: dict[str, ParamFilter] = field(default_factory=dict)
    patient_path: str | None = "patient"
    program_path: str | None = "program_id"
    select_related: tuple[str, ...] = ()
    only_rows: Q | None = None
    base: Callable[[frozenset[int]], QuerySet] | None = None
    id_field: str = "uid"
    # a computed id instead of one field: how to write it and the filter that finds it
    id_of: Callable[[Any], str] | None = None
    id_query: Callable[[str], Q] | None = None
    updated_field: str = "updated_at"
    # Columns for the bulk-export fast path: rows come back as named tuples (no model
    # instances) and ``to_fhir`` must read only these names ("patient__uid" arrives as
    # ``patient_uid``). Empty: export instantiates models like every other path.
    export_fields: tuple[str, ...] = ()

    def resource_id(self, obj: Any) -> str:
        if self.id_of is not None:
            return self.id_of(obj)
        return str(getattr(obj, self.id_field))

    def id_filter(self, value: str) -> Q:
        """The rows whose resource id is ``value`` (NOTHING for a malformed id)."""
        if self.id_query is not None:
            return self.id_query(value)
        if self.id_field == "uid":
            try:
                return Q(uid=uuid.UUID(value))
            except ValueError:
                return NOTHING
        return Q(**{self.id_field: value})

    def queryset(self, program_ids: Iterable[int]) -> QuerySet:
        if self.base is not None:
            qs = self.base(frozenset(program_ids))
        else:
            qs = self.model._default_manager.filter(**{f"{self.program_path}__in": program_ids})
        if self.only_rows is not None:
            qs = qs.filter(self.only_rows)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        return qs


@dataclass(frozen=True)
class ParamDoc:
    type: str  # FHIR search param type: token, date, reference, string
    documentation: str


@dataclass
class ResourceType:
    name: str
    sources: list[Source]
    params: dict[str, ParamDoc] = field(default_factory=dict)
    includes: dict[str, tuple[str, str]] = field(default_factory=dict)  # param -> (type, attr)
    create: Callable[[FhirContext, dict[str, Any]], Any] | None = None
    update: Callable[[FhirContext, Any, dict[str, Any], int], Any] | None = None
    delete: Callable[[FhirContext, Any], None] | None = None
    history: Callable[[FhirContext, Any], list[dict[str, Any]]] | None = None
    profile: str = ""
    documentation: str = ""
    # A permission beyond seeing charts (AuditEvent: view_audit). The caller then sees the
    # programs where one of their roles holds it, administrators included; holding it in
    # none is a 403. Such types stay out of $export, whose job keeps only chart programs.
    read_action: str | None = None

    @property
    def has_patient(self) -> bool:
        return all(s.patient_path for s in self.sources)

    def program_ids_for(self, ctx: FhirContext) -> frozenset[int]:
        """The programs whose rows of this type the caller may read."""
        if self.read_action is None:
            return ctx.program_ids
        allowed = ctx.program_ids_with(self.read_action)
        if not allowed:
            raise FhirError(
                403,
                f"Reading {self.name} needs the {self.read_action} permission (program "
                "director or administrator) in a program this caller may see",
            )
        return allowed

    def source_for(self, obj: Any) -> Source:
        for source in self.sources:
            if isinstance(obj, source.model) and (
                source.only_rows is None
                or source.model._default_manager.filter(pk=obj.pk).filter(source.only_rows).exists()
            ):
                return source
        raise LookupError(f"no {self.name} source for {type(obj).__name__}")

    def to_fhir(self, obj: Any) -> dict[str, Any]:
        return self.source_for(obj).to_fhir(obj)

    def find(self, program_ids: Iterable[int], resource_id: str) -> tuple[Source, Any] | None:
        for source in self.sources:
            obj = source.queryset(program_ids).filter(source.id_filter(resource_id)).first()
            if obj is not None:
                return source, obj
        return None


REGISTRY: dict[str, ResourceType] = {}


def register(resource_type: ResourceType) -> ResourceType:
    REGISTRY[resource_type.name] = resource_type
    return resource_type


def add_source(type_name: str, source: Source, params: dict[str, ParamDoc] | None = None) -> None:
    """Let another app contribute rows to an existing type (e.g. scores -> Observation)."""
    rt = REGISTRY[type_name]
    if all(s.key != source.key for s in rt.sources):
        rt.sources.append(source)
    rt.params.update(params or {})


def get_type(name: str) -> ResourceType | None:
    return REGISTRY.get(name)


# Definitional resources served from data, not from program rows (CodeSystem,
# Questionnaire): type -> function returning every resource. Read and search only;
# visible to any authenticated caller (they hold no patient data).
CATALOGS: dict[str, Callable[[], list[dict[str, Any]]]] = {}


def register_catalog(type_name: str, resources: Callable[[], list[dict[str, Any]]]) -> None:
    CATALOGS[type_name] = resources
