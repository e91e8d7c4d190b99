"""Compile-once queries for hot paths (the response write path runs several per request).

Django turns a QuerySet into SQL every time it is evaluated. For a small fixed-shape
lookup ("this patient's medications") building the SQL costs several times running it
on SQLite. ``CompiledQuery`` builds an ordinary QuerySet once per database alias with
placeholder arguments, keeps its SQL and column converters, and re-runs that SQL with
new argument values: the same statement and the same row conversion (JSON, datetimes,
booleans) as evaluating the QuerySet, without rebuilding it.

Arguments are integers (primary keys), UUIDs (public ids) or strings. Each placeholder must
appear among the statement's parameters (once, or once per subquery that uses it), which
is checked when the query compiles. Model rows may follow ``select_related`` and carry
annotations, as ``ModelIterable`` builds them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connections, models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models.query import get_related_populators
from django.db.transaction import TransactionManagementError


@contextmanager
def shared_cursor(using: str = "default") -> Iterator[None]:
    """Run the compiled statements of one write (``CompiledQuery``, ``insert_new``,
    ``statement_cursor`` users) on one database cursor instead of opening one each.

    Each statement still goes through Django's cursor (query logging, execute wrappers,
    error translation); only the cursor's set-up and close are shared. Nested use keeps
    the outer cursor. Statements run one after another, each fetching its rows before
    the next runs.
    """
    connection = connections[using]
    if getattr(connection, "_speciosa_cursor", None) is not None:
        yield
        return
    with connection.cursor() as cursor:
        connection._speciosa_cursor = cursor  # type: ignore[attr-defined]
        try:
            yield
        finally:
            connection._speciosa_cursor = None  # type: ignore[attr-defined]


def statement_cursor(connection) -> Any:
    """``connection.cursor()``, or the open ``shared_cursor`` (kept open on exit)."""
    shared = getattr(connection, "_speciosa_cursor", None)
    return nullcontext(shared) if shared is not None else connection.cursor()


# placeholders nobody uses as a primary key or public id
_INT_MARKS = tuple(-(2**52) - n for n in range(8))
_UUID_MARKS = tuple(uuid.UUID(int=2**127 + 977 + n) for n in range(8))
_STR_MARKS = tuple(f"\x1ecompiled-query-argument-{n}\x1e" for n in range(8))
_MARKS_OF = {int: _INT_MARKS, uuid.UUID: _UUID_MARKS, str: _STR_MARKS}


def _db_value(value: Any, connection) -> Any:
    """An argument as the database receives it (UUIDs as hex where there is no uuid type)."""
    if isinstance(value, uuid.UUID):
        return value if connection.features.has_native_uuid_field else value.hex
    return value


class _Compiled:
    __slots__ = (
        "annotations",
        "compiler",
        "converters",
        "for_update",
        "from_db",
        "init_list",
        "model_slice",
        "params",
        "populators",
        "positions",
        "sql",
    )

    def __init__(
        self, compiler, sql: str, params: list[Any], positions: list[tuple[int, ...]]
    ) -> None:
        self.compiler = compiler
        self.sql = sql
        self.params = params
        self.positions = positions
        self.for_update = bool(compiler.query.select_for_update)
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        self.converters = compiler.get_converters(fields)
        self.init_list: list[str] = []
        self.model_slice = slice(0, 0)
        self.populators: list = []
        self.annotations: list[tuple[str, int]] = []
        self.from_db: Callable[..., Any] | None = None


class CompiledQuery:
    """``build(*args)`` returns a QuerySet (models or ``values_list``); ``kinds`` gives the
    type of each argument (``int``, ``uuid.UUID`` or ``str``)."""

    def __init__(
        self, build: Callable[..., models.QuerySet], kinds: tuple[type, ...] = (int,)
    ) -> None:
        if not 0 < len(kinds) <= len(_INT_MARKS) or not set(kinds) <= set(_MARKS_OF):
            raise ValueError("arguments must be 1 to 8 ints, UUIDs or strings")
        self._build = build
        self._kinds = kinds
        self._marks = tuple(_MARKS_OF[kind][n] for n, kind in enumerate(kinds))
        self._by_alias: dict[str, _Compiled] = {}

    def _compile(self, alias: str) -> _Compiled:
        queryset = self._build(*self._marks)
        connection = connections[alias]
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()  # refuses select_for_update outside a transaction
        params = list(params)
        positions = []
        for mark in self._marks:
            wanted = _db_value(mark, connection)
            found = tuple(i for i, p in enumerate(params) if p == wanted)
            if not found:
                raise ValueError(f"placeholder does not appear in {sql}")
            positions.append(found)
        compiled = _Compiled(compiler, sql, params, positions)
        if queryset._iterable_class is models.query.ModelIterable:  # type: ignore[attr-defined]
            # as ModelIterable: the model's columns, then select_related models
            klass_info = compiler.klass_info
            select_fields = klass_info["select_fields"]
            start, end = select_fields[0], select_fields[-1] + 1
            compiled.model_slice = slice(start, end)
            compiled.init_list = [f[0].target.attname for f in compiler.select[start:end]]
            fetch_mode = queryset._fetch_mode  # type: ignore[attr-defined]
            compiled.populators = get_related_populators(
                klass_info, compiler.select, alias, fetch_mode
            )
            compiled.from_db = partial(queryset.model.from_db, fetch_mode=fetch_mode)
            compiled.annotations = list(compiler.annotation_col_map.items())
        self._by_alias[alias] = compiled
        return compiled

    def _run(self, args: tuple[Any, ...], alias: str) -> tuple[_Compiled, list]:
        compiled = self._by_alias.get(alias) or self._compile(alias)
        connection = connections[alias]
        if (
            compiled.for_update
            and connection.features.has_select_for_update
            and connection.get_autocommit()
        ):
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(compiled.params)
        for positions, kind, value in zip(compiled.positions, self._kinds, args, strict=True):
            if kind is int:
                value = int(value)
            elif kind is str:
                value = str(value)
            elif not isinstance(value, uuid.UUID):
                value = uuid.UUID(str(value))  # ValueError for a malformed id
            value = _db_value(value, connection)
            for position in positions:
                params[position] = value
        with statement_cursor(connection) as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        return compiled, rows

    def values(self, *args: Any, using: str = "default") -> list[tuple]:
        """The rows as tuples (for a ``values_list`` QuerySet)."""
        return [tuple(r) for r in self._run(args, using)[1]]

    def models(self, *args: Any, using: str = "default") -> list[Any]:
        """The rows as model instances (for a model QuerySet), related models attached and
        annotations set as attributes."""
        compiled, rows = self._run(args, using)
        from_db = compiled.from_db
        if from_db is None:
            raise TypeError("models() needs a model QuerySet, not values_list()")
        found = []
        for row in rows:
            obj = from_db(using, compiled.init_list, tuple(row[compiled.model_slice]))
            for populator in compiled.populators:
                populator.populate(row, obj)
            for name, position in compiled.annotations:
                setattr(obj, name, row[position])
            found.append(obj)
        return found


# --- inserts --------------------------------------------------------------------------


# fields (exact classes) whose get_db_prep_save() returns None or a value of this type
# unchanged (integers too where the backend does not wrap them: not psycopg 3)
_UNCHANGED_TYPE: dict[type[models.Field], type] = {
    models.CharField: str,
    models.TextField: str,
    models.FloatField: float,
    models.BooleanField: bool,
}
_INTEGER_FIELDS = (
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
)


def _prepare_value(field: models.Field, connection) -> Callable[[Any], Any]:
    """``field.get_db_prep_save(value, connection)``, with a shortcut for the value types
    the write path stores most (each shortcut gives that method's result for its type;
    any other value takes the method): primary keys of related rows, UUIDs, text,
    numbers and booleans stored as given, JSON as ``json.dumps`` text where the backend
    stores it so (SQLite) and, on SQLite, aware datetimes (naive text in the connection's
    time zone). Each shortcut skips ~3 method calls per value, 40 values per response."""

    def generic(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    ops = type(connection.ops)
    kind = type(field)
    same_type = _UNCHANGED_TYPE.get(kind)
    if kind in _INTEGER_FIELDS and (
        ops.adapt_integerfield_value is BaseDatabaseOperations.adapt_integerfield_value
    ):
        same_type = int
    if same_type is not None:
        return lambda value: value if value is None or type(value) is same_type else generic(value)
    if kind is models.JSONField and ops.adapt_json_value is BaseDatabaseOperations.adapt_json_value:
        encoder = field.encoder  # type: ignore[attr-defined]
        return lambda value: (
            json.dumps(value, cls=encoder) if type(value) in (dict, list) else generic(value)
        )
    if isinstance(field, models.ForeignKey) and isinstance(
        field.target_field, models.AutoField | models.BigAutoField
    ):
        return lambda value: value if value is None or type(value) is int else generic(value)
    if isinstance(field, models.UUIDField):
        native = connection.features.has_native_uuid_field
        return lambda value: (
            (value if native else value.hex) if type(value) is uuid.UUID else generic(value)
        )
    if (
        isinstance(field, models.DateTimeField)
        and connection.vendor == "sqlite"
        and settings.USE_TZ  # without it Django refuses aware datetimes: keep its error
    ):
        tz = connection.timezone
        return lambda value: (
            str(value.astimezone(tz).replace(tzinfo=None))
            if type(value) is datetime and value.tzinfo is not None
            else generic(value)
        )
    return generic


def _check_related(obj: models.Model, relations: list[Any]) -> None:
    """``Model._prepare_related_fields_for_save(operation_name="save")`` over just the
    model's relation fields, reading their cached objects directly: the same refusal of
    an unsaved related object and the same fix-up of one saved after it was assigned."""
    for field in relations:
        related = field.get_cached_value(obj, default=None)
        if not related:
            continue
        if not related._is_pk_set():
            if not field.remote_field.multiple:
                field.remote_field.delete_cached_value(related)
            raise ValueError(
                "save() prohibited to prevent data loss due to unsaved related object "
                f"'{field.name}'."
            )
        if getattr(obj, field.attname) in field.empty_values:
            setattr(obj, field.name, related)
        if getattr(related, field.target_field.attname) != getattr(obj, field.attname):
            field.delete_cached_value(obj)


class _Insert:
    __slots__ = ("fields", "prepare", "relations", "returning", "sql")

    def __init__(self, model: type[models.Model], connection) -> None:
        meta = model._meta
        self.fields = [f for f in meta.concrete_fields if not f.generated and f is not meta.pk]
        if not isinstance(meta.pk, models.AutoField | models.BigAutoField):
            raise ValueError("insert_new() needs an auto-incremented primary key")
        if any(f.has_db_default() for f in self.fields):
            raise ValueError("insert_new() does not read back database defaults")
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.returning = connection.features.can_return_columns_from_insert
        self.prepare = [(f, _prepare_value(f, connection)) for f in self.fields]
        # None: generic relations too, which only Django's own check knows
        self.relations = (
            None if meta.private_fields else [f for f in meta.concrete_fields if f.is_relation]
        )
        table = quote(meta.db_table)
        # identifiers are quoted model metadata; every value is a parameter
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})" + (  # noqa: S608
            f" RETURNING {quote(meta.pk.column)}" if self.returning else ""
        )


_INSERTS: dict[tuple[type[models.Model], str], _Insert] = {}


def insert_new(obj: models.Model, *, using: str = "default") -> None:
    """``obj.save()`` for a new row, with the INSERT statement built once per model.

    Same values as ``save()`` (each field's ``pre_save`` and ``get_db_prep_save``), same
    ``pre_save``/``post_save`` signals; sets the primary key. Only for models with an
    auto-incremented key and no ``save()`` override that matters to the caller.
    """
    from django.db.models.signals import post_save, pre_save

    if obj.pk is not None or not obj._state.adding:
        raise ValueError("insert_new() inserts new rows only")
    model = type(obj)
    connection = connections[using]
    plan = _INSERTS.get((model, using))
    if plan is None:
        plan = _INSERTS[(model, using)] = _Insert(model, connection)
    if plan.relations is None:
        obj._prepare_related_fields_for_save(operation_name="save")
    else:
        _check_related(obj, plan.relations)
    pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
    params = [prepare(f.pre_save(obj, True)) for f, prepare in plan.prepare]
    with statement_cursor(connection) as cursor:
        cursor.execute(plan.sql, params)
        if plan.returning:
            pk = cursor.fetchone()[0]
        else:
            pk = connection.ops.last_insert_id(cursor, model._meta.db_table, model._meta.pk.column)
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = using
    post_save.send(
        sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using
    )


# --- construction ---------------------------------------------------------------------


class _Construct:
    __slots__ = ("constants", "factories", "slots")

    def __init__(self, model: type[models.Model]) -> None:
        # the argument position of each name a caller may give: a field's attname, or the
        # field's name for a related object (set through its descriptor afterwards)
        self.slots: dict[str, tuple[int, bool]] = {}
        self.constants: list[Any] = []  # the defaults that are values
        self.factories: list[tuple[int, Callable[[], Any]]] = []  # uuid4, now, dict...
        for position, f in enumerate(model._meta.concrete_fields):
            self.slots[f.attname] = (position, False)
            if f.is_relation:
                self.slots[f.name] = (position, True)
            if f.has_default() and callable(f.default):
                self.factories.append((position, f.default))
                self.constants.append(None)
            else:
                self.constants.append(f.get_default())


_CONSTRUCT: dict[type[models.Model], _Construct] = {}


def new_instance(model: type[models.Model], /, **values: Any) -> Any:
    """``model(**values)`` for a new row, built the way ``Model.from_db`` builds one (each
    field in order, positionally) instead of the keyword path's per-field lookups.

    Same result: a field not given takes its default (factories such as ``uuid4`` and
    ``now`` are called), and a related object given by field name (``patient=p``) is set
    through its descriptor afterwards, so it is type-checked and cached as with the
    keyword path. Concrete fields only (no properties); an unknown name is a TypeError.
    """
    plan = _CONSTRUCT.get(model)
    if plan is None:
        plan = _CONSTRUCT[model] = _Construct(model)
    args = plan.constants.copy()
    given: set[int] = set()
    related = []
    for name, value in values.items():
        slot = plan.slots.get(name)
        if slot is None or slot[0] in given:
            raise TypeError(f"{model.__name__}() got an unexpected or repeated {name!r}")
        position, by_name = slot
        given.add(position)
        if by_name:
            related.append((name, value))
        else:
            args[position] = value
    for position, factory in plan.factories:
        if position not in given:
            args[position] = factory()
    obj = model(*args)
    for name, value in related:
        setattr(obj, name, value)
    return obj
